"""``sim:camera``: an in-process camera producing a synthetic scene.

Options: ``width`` and ``height`` (default 640x480), ``fps`` (default 30; frames are
paced to it). By default the face shipped with idcapture (``photo=demo``) sits in front
of a wall, framed so that auto-capture takes a portrait; ``photo=PATH`` shows another
face photo (see :mod:`idcapture.sim.camera.scene`); ``photo=none`` (or giving ``face``
without ``photo``) draws a cartoon face instead, ``face=false`` an empty scene. The
photo is shown in the scene named by
``scene=`` (default ``good``; ``turn-head`` and ``blink`` meet a liveness challenge,
``glasses``, ``glasses-turn`` and ``glasses-blink`` are the same person wearing glasses,
``printed-photo``, ``phone-replay``, ``glossy-print`` and ``screen-glare`` are
presentation attacks) or played over time by
``script=FILE`` (a JSON scene script); ``profile=`` (default ``exam-480x640``) sets
where a good face sits.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, ClassVar

import cv2
import numpy as np

from ...address import Address
from ...devices.base import DeviceInfo
from ...devices.camera import Camera
from ...devices.options import Option
from ...errors import DeviceRemoved

if TYPE_CHECKING:
    from .scene import FaceSource, SceneScript

__all__ = ["SimCamera", "draw_face_scene"]

SceneFn = Callable[[int], np.ndarray]


def draw_face_scene(width: int = 640, height: int = 480, face: bool = True) -> np.ndarray:
    """A plain wall with a drawn head and shoulders in the middle (BGR uint8)."""
    img = np.full((height, width, 3), (215, 220, 222), np.uint8)
    if face:
        cx, cy = width // 2, int(height * 0.45)
        s = min(width, height) / 480.0
        cv2.ellipse(img, (cx, int(cy + 260 * s)), (int(170 * s), int(110 * s)), 0, 180, 360,
                    (90, 70, 60), -1)
        cv2.ellipse(img, (cx, cy), (int(75 * s), int(100 * s)), 0, 0, 360, (150, 180, 225), -1)
        for dx in (-30, 30):
            cv2.ellipse(img, (int(cx + dx * s), int(cy - 15 * s)), (int(12 * s), int(6 * s)),
                        0, 0, 360, (250, 250, 250), -1)
            cv2.circle(img, (int(cx + dx * s), int(cy - 15 * s)), int(5 * s), (40, 30, 30), -1)
        cv2.ellipse(img, (cx, int(cy + 45 * s)), (int(22 * s), int(6 * s)), 0, 0, 360,
                    (90, 90, 170), -1)
        cv2.ellipse(img, (cx, int(cy - 85 * s)), (int(78 * s), int(35 * s)), 0, 180, 360,
                    (30, 30, 35), -1)
    return img


class SimCamera(Camera):
    """A camera whose frames come from a scene function (settable with :meth:`set_scene`)."""

    address_options: ClassVar[tuple[Option, ...] | None] = (
        Option("width", "int", 640, "frame width"),
        Option("height", "int", 480, "frame height"),
        Option("fps", "float", 30.0, "frame rate"),
        Option("photo", "str", "demo", "face shown: demo (the shipped face), an image file, "
               "or none (a drawn cartoon face)"),
        Option("face", "bool", True, "with photo=none: draw the cartoon face (false: empty)"),
        Option("script", "str", None, "scene script file (JSON) played with the photo"),
        Option("scene", "str", "good", "scene played with the photo when no script is given "
               "(good, yaw, side-lit...; turn-head and blink for a liveness challenge, "
               "glasses, glasses-turn and glasses-blink with glasses; printed-photo, "
               "phone-replay, glossy-print and screen-glare attacks)"),
        Option("profile", "str", "exam-480x640", "portrait profile the good scene frames for"),
    )

    default_timeout: ClassVar[float] = 2.0

    def __init__(self, address: Address | str = "", *, timeout: float | None = None) -> None:
        super().__init__(address, timeout=timeout)
        self._w = self.address.int_option("width", 640)
        self._h = self.address.int_option("height", 480)
        self._fps = self.address.float_option("fps", 30.0)
        still = draw_face_scene(self._w, self._h, self.address.bool_option("face", True))
        self._scene: SceneFn = lambda _i: still
        self._script_unplug = False
        self._next = 0.0
        self._n = 0
        self._unplugged = False
        photo = self.address.option("photo")
        by_default = photo is None and "face" not in self.address.options
        if by_default:
            photo = "demo"
        if photo and photo.lower() != "none":
            from ...errors import DriverUnavailable
            from .scene import SceneScript, SceneStep, load_face_source

            script_path = self.address.option("script")
            script = (SceneScript.load(script_path) if script_path else
                      SceneScript([SceneStep(self.address.option("scene", "good") or "good", 1)]))
            try:
                face = load_face_source(photo)
            except DriverUnavailable as exc:  # the face models (idcapture[face]) are missing
                if not by_default:
                    raise
                self.log.warning("sim:camera shows a drawn head: the shipped face needs %s",
                                 exc.reason)
            else:
                self.play(script, face, self.address.option("profile", "exam-480x640"))

    def set_scene(self, scene: SceneFn | np.ndarray) -> None:
        """Frames from now on: a fixed image, or a function of the frame number."""
        if isinstance(scene, np.ndarray):
            fixed = scene
            self._scene = lambda _i: fixed
        else:
            self._scene = scene

    def unplug(self, unplugged: bool = True) -> None:
        self._unplugged = unplugged

    def play(self, script: SceneScript, face: FaceSource | None,
             profile: str | None = "exam-480x640") -> None:
        """Play a scene script from the next frame on. An ``unplug`` step makes the
        camera unplugged for its frames. ``profile`` places a good face where that
        portrait profile's framing box wants it."""
        from .scene import SCENE_PERIODS, render_scene

        size = (self._w, self._h)
        ied: float | None = None
        eye: tuple[float, float] | None = None
        if profile:
            from ...biometrics.face import framing_box, get_profile

            fb = framing_box(get_profile(profile), size)
            ied, eye = fb.target_ied, (fb.centre_x, fb.eye_line_y)
        start = self._n
        cache: dict[tuple[str, float, int], np.ndarray] = {}

        def scene(i: int) -> np.ndarray:
            step = script.step_at(i - start)
            self._script_unplug = step.scene == "unplug"
            if self._script_unplug:
                return np.zeros((self._h, self._w, 3), np.uint8)
            key = (step.scene, step.amount, (i - start) % SCENE_PERIODS.get(step.scene, 8))
            if key not in cache:
                cache[key] = render_scene(step.scene, face, size, amount=step.amount,
                                          target_ied=ied, eye_point=eye, frame_no=i - start)
            return cache[key]

        self._scene = scene

    @property
    def resolution(self) -> tuple[int, int]:
        return (self._w, self._h)

    @property
    def frame_rate(self) -> float:
        return self._fps

    def _open(self) -> None:
        if self._unplugged:
            raise DeviceRemoved("simulated camera is unplugged")
        self._next = time.monotonic()

    def _read_frame(self, timeout: float) -> np.ndarray | None:
        if self._unplugged:
            raise DeviceRemoved("simulated camera was unplugged")
        if self._fps > 0:
            wait = self._next - time.monotonic()
            if wait > timeout:  # the next frame comes after the caller's deadline
                time.sleep(max(timeout, 0.0))
                return None
            if wait > 0:
                time.sleep(wait)
            self._next = max(self._next + 1.0 / self._fps, time.monotonic() - 1.0 / self._fps)
        frame: np.ndarray = self._scene(self._n).copy()
        self._n += 1
        if self._script_unplug:
            raise DeviceRemoved("simulated camera was unplugged by its scene script")
        return frame

    def _info(self) -> DeviceInfo:
        return DeviceInfo("sim", self.kind, "sim:camera", "in-process camera simulator",
                          vendor="idcapture", model="sim",
                          extra={"width": str(self._w), "height": str(self._h)})

    @classmethod
    def discover(cls, timeout: float = 2.0) -> list[DeviceInfo]:
        return [DeviceInfo("sim", cls.kind, "sim:camera", "in-process camera simulator",
                           vendor="idcapture", model="sim")]
