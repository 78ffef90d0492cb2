"""Scripted camera scenes: a face photo placed in front of a wall, spoiled on purpose.

A :class:`FaceSource` is a photo with its eyes located once. :func:`render_scene` draws
one frame of a named scenario; a :class:`SceneScript` strings scenarios together over
time (``[{"scene": "too-far", "frames": 20}, {"scene": "good", "frames": 60}]``), so that
every guidance path of the portrait step can be driven from a test. The in-process
``sim:camera`` plays a script (``?script=FILE&face=PHOTO``), and ``idcapture sim camera``
serves one as an MJPEG stream over HTTP for ``opencv:http://...`` or writes it to a
video file.

Scenarios (``SCENARIOS``): ``good``, ``no-face``, ``two-faces``, ``too-far``,
``too-close``, ``off-centre``, ``yaw``, ``pitch``, ``roll``, ``eyes-closed``,
``too-dark``, ``backlit``, ``side-lit``, ``motion-blur``, ``cluttered``, ``unplug``.
Each takes an optional ``amount`` (0..1, default 1) scaling how strong it is.

A live person meeting a liveness challenge: ``turn-head`` (a small turn to one side and
back over the first 30 of every 42 frames, up to 21 degrees at amount 1) and ``blink``
(eyes shut for frames 12-14 of every 30). The same person wearing glasses, whose lenses
carry small highlights that move with the head: ``glasses``, ``glasses-turn`` and
``glasses-blink`` (the ``good``, ``turn-head`` and ``blink`` scenes). Presentation attacks
(:func:`render_attack`, below): ``printed-photo``, ``phone-replay``, ``glossy-print`` and
``screen-glare``. Scenes that move repeat every :data:`SCENE_PERIODS` frames.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import cv2
import numpy as np

from ...errors import ConfigError

if TYPE_CHECKING:
    from ...biometrics.face.landmarks import Landmarks

__all__ = [
    "ATTACK_PERIOD",
    "ATTACK_SCENES",
    "GLASSES_SCENES",
    "SCENARIOS",
    "SCENE_PERIODS",
    "FaceSource",
    "SceneScript",
    "SceneStep",
    "demo_face_path",
    "load_face_source",
    "render_attack",
    "render_scene",
    "wall",
    "with_glasses",
]

SCENARIOS = (
    "good", "no-face", "two-faces", "too-far", "too-close", "off-centre", "yaw", "pitch",
    "roll", "eyes-closed", "too-dark", "backlit", "side-lit", "motion-blur", "cluttered",
    "unplug", "turn-head", "blink", "glasses", "glasses-turn", "glasses-blink",
    "printed-photo", "phone-replay", "glossy-print", "screen-glare",
)
#: Frames after which a scene repeats (the others repeat their small sway every 8).
SCENE_PERIODS = {"turn-head": 42, "blink": 30, "glasses-turn": 42, "glasses-blink": 30,
                 "printed-photo": 84, "phone-replay": 84, "glossy-print": 84,
                 "screen-glare": 84}
#: The scenes a person wearing glasses plays, and the scene without glasses each is.
GLASSES_SCENES = {"glasses": "good", "glasses-turn": "turn-head", "glasses-blink": "blink"}


@dataclass(frozen=True)
class FaceSource:
    """A face photo (BGR) with its landmarks found once when it was loaded."""

    image: np.ndarray
    landmarks: Landmarks

    @property
    def points(self) -> np.ndarray:
        """The landmark points, (x, y) in photo pixels."""
        return self.landmarks.points

    @property
    def eye_centres(self) -> np.ndarray:
        return self.landmarks.eye_centres

    @property
    def eye_midpoint(self) -> tuple[float, float]:
        return self.landmarks.eye_midpoint

    @property
    def ied(self) -> float:
        return self.landmarks.inter_eye_distance


def demo_face_path() -> Path:
    """The face photo shipped for the simulators and the demo (public domain; see
    ``idcapture/data/faces/NOTICE.txt``)."""
    from importlib import resources

    return Path(str(resources.files("idcapture").joinpath("data/faces/demo-face.png")))


def load_face_source(photo: str | Path | np.ndarray) -> FaceSource:
    """Load a face photo and locate its landmarks (needs the face models); ``"demo"`` is
    the face shipped with idcapture."""
    from ...biometrics.face import analyze_face

    if isinstance(photo, str) and photo.lower() == "demo":
        photo = demo_face_path()
    if isinstance(photo, np.ndarray):
        image = photo
    else:
        from ...formats.images import ImageError, load_image

        try:
            image = load_image(photo, "RGB", bgr=True)
        except ImageError as exc:
            raise ConfigError(f"cannot read face photo {Path(photo).name} ({exc.reason})",
                              exc.code) from None
    analysis = analyze_face(image, min_face_px=40)
    if analysis.landmarks is None:
        raise ConfigError("no face found in the face photo given to the camera simulator")
    return FaceSource(np.ascontiguousarray(image), analysis.landmarks)


def wall(size: tuple[int, int], colour: tuple[int, int, int] = (222, 226, 228),
         seed: int = 0) -> np.ndarray:
    """A plain, evenly lit wall with a little sensor noise (BGR)."""
    w, h = size
    rng = np.random.default_rng(seed)
    img = np.empty((h, w, 3), np.float32)
    img[:] = colour
    img += rng.normal(0, 1.5, (h, w, 1)).astype(np.float32)
    return np.clip(img, 0, 255).astype(np.uint8)


def _head_mask(src: FaceSource) -> np.ndarray:
    """A soft mask of the head: the face outline closed over an estimated crown."""
    h, w = src.image.shape[:2]
    jaw = src.landmarks.face_outline()
    mid = src.eye_midpoint
    ied = src.ied
    crown = []
    for t in np.linspace(0, math.pi, 15):
        crown.append((mid[0] + math.cos(t) * ied * 1.25, mid[1] - math.sin(t) * ied * 1.6))
    poly = np.vstack([jaw, np.array(crown)]).astype(np.int32)
    mask = np.zeros((h, w), np.uint8)
    cv2.fillPoly(mask, [cv2.convexHull(poly)], 255)
    k = max(3, int(ied * 0.15) | 1)
    return cv2.GaussianBlur(mask, (k, k), 0).astype(np.float32) / 255.0


def _place(src: FaceSource, background: np.ndarray, mid: tuple[float, float], ied: float,
           angle_deg: float = 0.0, image: np.ndarray | None = None) -> np.ndarray:
    """Composite the head of ``src`` onto ``background`` with its eyes at ``mid``."""
    h, w = background.shape[:2]
    k = ied / src.ied
    m = cv2.getRotationMatrix2D(src.eye_midpoint, angle_deg, k)
    m[0, 2] += mid[0] - src.eye_midpoint[0]
    m[1, 2] += mid[1] - src.eye_midpoint[1]
    face = cv2.warpAffine(src.image if image is None else image, m, (w, h),
                          flags=cv2.INTER_AREA if k < 1 else cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_REPLICATE)
    mask = cv2.warpAffine(_head_mask(src), m, (w, h), flags=cv2.INTER_LINEAR)[:, :, None]
    out = face.astype(np.float32) * mask + background.astype(np.float32) * (1 - mask)
    return np.clip(out, 0, 255).astype(np.uint8)


def _close_eyes(src: FaceSource) -> np.ndarray:
    """The photo with both eyes painted over with the skin just below them."""
    img = src.image.copy()
    p = src.points
    ied = src.ied
    for a, b in ((2, 3), (0, 1)):
        cx, cy = (p[a] + p[b]) / 2.0
        width = float(np.hypot(*(p[a] - p[b])))
        rx = width * 0.62 + 1
        ry = max(width * 0.35, ied * 0.06) + 1
        sample_y = int(min(img.shape[0] - 1, cy + ry + ied * 0.12))
        x0, x1 = int(max(cx - rx, 0)), int(min(cx + rx, img.shape[1] - 1))
        skin = img[sample_y, x0:x1 + 1].reshape(-1, 3).mean(axis=0)
        cv2.ellipse(img, (int(cx), int(cy)), (int(rx), int(ry)), 0, 0, 360,
                    tuple(float(v) for v in skin), -1)
        cv2.line(img, (int(cx - rx * 0.8), int(cy + ry * 0.2)),
                 (int(cx + rx * 0.8), int(cy + ry * 0.2)),
                 tuple(float(v) * 0.55 for v in skin), max(1, int(ied * 0.03)))
    k = max(3, int(ied * 0.06) | 1)
    blurred = cv2.GaussianBlur(img, (k, k), 0)
    mask = np.zeros(img.shape[:2], np.uint8)
    for cx, cy in src.eye_centres:
        cv2.circle(mask, (int(cx), int(cy)), int(ied * 0.3), 255, -1)
    out: np.ndarray = np.where(mask[:, :, None] > 0, blurred, img)
    return out


_glasses_cache: dict[int, tuple[FaceSource, FaceSource]] = {}


def with_glasses(src: FaceSource) -> FaceSource:
    """The same face wearing glasses: thin dark rims around both eyes, a bridge, lightly
    tinted lenses and on each lens two small highlights (a lamp's reflection in the
    curved glass, each under 0.01 IED squared), drawn on the photo so that they move
    with the head. The landmarks are the original ones."""
    cached = _glasses_cache.get(id(src))
    if cached is not None and cached[0] is src:
        return cached[1]
    img = src.image.astype(np.float32)
    ied = src.ied
    h, w = img.shape[:2]
    lens = np.zeros((h, w), np.uint8)
    rims = np.zeros((h, w), np.uint8)
    shine = np.zeros((h, w), np.float32)
    axes = (int(0.42 * ied), int(0.30 * ied))
    thick = max(2, int(0.035 * ied))
    centres = [(int(x), int(y + 0.04 * ied)) for x, y in src.eye_centres]
    for cx, cy in centres:
        cv2.ellipse(lens, (cx, cy), axes, 0, 0, 360, 255, -1)
        cv2.ellipse(rims, (cx, cy), axes, 0, 0, 360, 255, thick)
        for dx, dy, r in ((-0.2, -0.14, 0.045), (0.12, 0.12, 0.025)):
            cv2.circle(shine, (int(cx + dx * ied), int(cy + dy * ied)),
                       max(1, int(r * ied)), 1.0, -1)
    (lx, ly), (rx, ry) = centres
    cv2.line(rims, (lx + axes[0], ly - axes[1] // 3), (rx - axes[0], ry - axes[1] // 3),
             255, thick)
    img[lens > 0] *= 0.9
    blurred = cv2.GaussianBlur(shine, (0, 0), max(0.6, 0.008 * ied))
    img += 255.0 * np.clip(blurred * 1.6, 0, 1)[:, :, None]
    img[rims > 0] = img[rims > 0] * 0.25 + 12.0
    out = FaceSource(np.clip(img, 0, 255).astype(np.uint8), src.landmarks)
    _glasses_cache.clear()
    _glasses_cache[id(src)] = (src, out)
    return out


def _turn(frame: np.ndarray, nose: tuple[float, float], ied: float, yaw: float,
          pitch: float) -> np.ndarray:
    """Turn the head by ``yaw``/``pitch`` degrees: the half of the face turning away is
    foreshortened and the nose moves towards it, as on a real turned head."""
    h, w = frame.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    reach = ied * 1.6
    inside = np.exp(-(((xx - nose[0]) / reach) ** 4 + ((yy - nose[1]) / (reach * 1.3)) ** 4))
    s_y = math.sin(math.radians(yaw))
    s_p = math.sin(math.radians(pitch))
    dx = xx - nose[0]
    dy = yy - nose[1]
    # sample further out on the far side (it shrinks), nearer on the near side (it grows)
    gx = np.where(dx > 0, 1.0 + 0.8 * s_y, 1.0 - 0.45 * s_y)
    gy = np.where(dy > 0, 1.0 + 0.8 * s_p, 1.0 - 0.45 * s_p)
    map_x = nose[0] + dx * (1 + (gx - 1) * inside) - s_y * ied * 0.25 * inside
    map_y = nose[1] + dy * (1 + (gy - 1) * inside) - s_p * ied * 0.25 * inside
    return cv2.remap(frame, map_x.astype(np.float32), map_y.astype(np.float32),
                     cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def render_scene(scenario: str, face: FaceSource | None, size: tuple[int, int] = (640, 480),
                 *, amount: float = 1.0, target_ied: float | None = None,
                 eye_point: tuple[float, float] | None = None, seed: int = 0,
                 frame_no: int = 0) -> np.ndarray:
    """One BGR frame of ``scenario`` (see the module docstring).

    ``target_ied`` and ``eye_point`` say where a good face sits (default: an IED of 16 %
    of the frame width, eyes at the centre, 42 % down). ``unplug`` cannot be rendered:
    the camera, not the scene, goes away.
    """
    if scenario not in SCENARIOS or scenario == "unplug":
        raise ConfigError(f"unknown camera scene {scenario!r}; choose one of "
                          f"{', '.join(s for s in SCENARIOS if s != 'unplug')}")
    a = float(np.clip(amount, 0.0, 1.0))
    if scenario in ATTACK_SCENES:
        if face is None:
            return wall(size, seed=seed)
        return render_attack(scenario, face, size, frame_no=frame_no, target_ied=target_ied,
                             eye_point=eye_point, seed=seed)
    if scenario in GLASSES_SCENES:
        return render_scene(GLASSES_SCENES[scenario],
                            None if face is None else with_glasses(face), size, amount=a,
                            target_ied=target_ied, eye_point=eye_point, seed=seed,
                            frame_no=frame_no)
    if scenario == "turn-head":
        t = frame_no % SCENE_PERIODS["turn-head"]
        turn = 0.6 * a * math.sin(math.pi * t / 30.0) if t < 30 else 0.0
        return render_scene("yaw", face, size, amount=turn, target_ied=target_ied,
                            eye_point=eye_point, seed=seed, frame_no=frame_no)
    if scenario == "blink":
        shut = 12 <= frame_no % SCENE_PERIODS["blink"] < 15
        return render_scene("eyes-closed" if shut else "good", face, size, amount=a,
                            target_ied=target_ied, eye_point=eye_point, seed=seed,
                            frame_no=frame_no)
    w, h = size
    ied = target_ied if target_ied is not None else 0.16 * w
    mid = eye_point if eye_point is not None else (w / 2, h * 0.42)
    # a little natural sway so that consecutive frames differ like a live camera's
    sway = (math.sin(frame_no * 0.3) * 0.4, math.cos(frame_no * 0.23) * 0.3)
    mid = (mid[0] + sway[0], mid[1] + sway[1])
    bg = wall(size, seed=seed)
    if scenario == "cluttered":
        rng = np.random.default_rng(seed + 17)
        for _ in range(int(10 + 50 * a)):
            colour = tuple(int(c) for c in rng.integers(0, 255, 3))
            x, y = int(rng.integers(0, w)), int(rng.integers(0, h))
            cv2.rectangle(bg, (x, y), (x + int(rng.integers(10, w // 4)),
                                       y + int(rng.integers(10, h // 4))), colour, -1)
    if scenario == "no-face" or face is None:
        return bg
    if scenario == "too-far":
        ied *= 1.0 - 0.55 * a
    elif scenario == "too-close":
        ied *= 1.0 + 0.9 * a
    elif scenario == "off-centre":
        mid = (mid[0] + 0.28 * w * a, mid[1])
    angle = 25.0 * a if scenario == "roll" else 0.0
    image = _close_eyes(face) if scenario == "eyes-closed" else None
    if scenario == "two-faces":
        small = ied * 0.8
        frame = _place(face, bg, (w * 0.3, mid[1]), small)
        frame = _place(face, frame, (w * 0.7, mid[1]), small)
        return frame
    if scenario == "backlit":
        bg = np.full_like(bg, 252)
    frame = _place(face, bg, mid, ied, angle, image)
    if scenario in ("yaw", "pitch"):
        deg = 35.0 * a
        k = ied / face.ied
        nx, ny = face.landmarks.nose
        nose = (mid[0] + (nx - face.eye_midpoint[0]) * k, mid[1] + (ny - face.eye_midpoint[1]) * k)
        frame = _turn(frame, nose, ied, deg if scenario == "yaw" else 0.0,
                      deg if scenario == "pitch" else 0.0)
    elif scenario == "too-dark":
        frame = np.clip(frame.astype(np.float32) * (1.0 - 0.8 * a), 0, 255).astype(np.uint8)
    elif scenario == "backlit":
        head = np.abs(frame.astype(np.int16) - bg.astype(np.int16)).max(axis=2) > 3
        dark = np.clip(frame.astype(np.float32) * (1.0 - 0.75 * a), 0, 255).astype(np.uint8)
        frame = np.where(head[:, :, None], dark, frame)
    elif scenario == "side-lit":
        across = (np.arange(w, dtype=np.float32) - mid[0]) / (ied * 0.8)
        ramp = 1.0 + 0.3 * a - (1.05 * a) / (1.0 + np.exp(-across))
        frame = np.clip(frame.astype(np.float32) * ramp[None, :, None], 0, 255).astype(np.uint8)
    elif scenario == "motion-blur":
        n = max(1, int(3 + 22 * a))
        kernel = np.zeros((n, n), np.float32)
        kernel[n // 2, :] = 1.0 / n
        frame = cv2.filter2D(frame, -1, kernel)
    return frame


@dataclass(frozen=True)
class SceneStep:
    scene: str
    frames: int
    amount: float = 1.0


@dataclass
class SceneScript:
    """Scenes over time. After the last step the last scene repeats (``loop`` restarts)."""

    steps: list[SceneStep]
    loop: bool = False
    _ends: list[int] = field(default_factory=list, repr=False)

    def __post_init__(self) -> None:
        if not self.steps:
            raise ConfigError("a camera scene script needs at least one step")
        total = 0
        self._ends = []
        for s in self.steps:
            if s.scene not in SCENARIOS:
                raise ConfigError(f"unknown camera scene {s.scene!r} in script")
            if s.frames < 1:
                raise ConfigError(f"scene {s.scene!r} must last at least one frame")
            total += s.frames
            self._ends.append(total)

    @property
    def length(self) -> int:
        return self._ends[-1]

    def step_at(self, frame_no: int) -> SceneStep:
        if self.loop:
            frame_no %= self.length
        for end, step in zip(self._ends, self.steps):
            if frame_no < end:
                return step
        return self.steps[-1]

    @classmethod
    def parse(cls, data: Any) -> SceneScript:
        """From a list of ``{"scene", "frames", "amount"}`` (or ``{"steps": [...],
        "loop": bool}``)."""
        loop = False
        if isinstance(data, dict):
            loop = bool(data.get("loop", False))
            data = data.get("steps")
        if not isinstance(data, list):
            raise ConfigError("a camera scene script is a list of steps")
        steps = []
        for n, item in enumerate(data):
            if not isinstance(item, dict) or "scene" not in item:
                raise ConfigError(f"step {n} of the camera script needs a 'scene'")
            try:
                steps.append(SceneStep(str(item["scene"]), int(item.get("frames", 1)),
                                       float(item.get("amount", 1.0))))
            except (TypeError, ValueError):
                raise ConfigError(f"step {n} of the camera script has a bad number") from None
        return cls(steps, loop)

    @classmethod
    def load(cls, path: str | Path) -> SceneScript:
        try:
            return cls.parse(json.loads(Path(path).read_text("utf-8")))
        except OSError as exc:
            raise ConfigError(f"cannot read camera script {Path(path).name}: "
                              f"{exc.strerror}") from None
        except json.JSONDecodeError as exc:
            raise ConfigError(f"camera script {Path(path).name} is not valid JSON "
                              f"(line {exc.lineno})") from None


# ---------------------------------------------------------------- presentation attacks
#
# ``printed-photo``: the face printed on paper (white margin, paper grain, flat
# lighting) held up in front of the camera and turned to and fro about its vertical axis,
# as someone does when asked to turn their head. It is flat, so every point of the face
# moves as one plane: what the turn challenge of
# :mod:`idcapture.biometrics.face.liveness` looks for.
#
# ``phone-replay``: a phone screen (dark bezel, brighter backlit picture, a moire pattern
# from the screen's pixel grid) held up a little unsteadily, replaying a video of the
# person turning the head and blinking (the ``turn-head`` and ``blink`` scenes): the
# challenge alone is met, and only the passive screen cue refuses it.
#
# ``glossy-print``: a photo printed on glossy paper held up nearly still (turned by up to
# 4 degrees, so that it shows no flat turn), with a lamp's reflection on the paper: a
# broad saturated highlight over the cheek and eye that keeps its place in the frame
# while the print drifts under it.
#
# ``screen-glare``: a phone replaying the video of the person turning and blinking on a
# screen too fine for the camera to resolve (no moire), with a window's reflection
# across the glass: a long saturated streak over the cheek. Without the glare cue it
# meets the turn challenge.
#
# :func:`render_attack` draws frame ``frame_no`` of a scene; the motion repeats every
# :data:`ATTACK_PERIOD` frames (1.4 s at 30 fps).

ATTACK_SCENES = ("printed-photo", "phone-replay", "glossy-print", "screen-glare")
#: Frames after which an attack scene repeats.
ATTACK_PERIOD = 42


def _turned(card: np.ndarray, background: np.ndarray, centre: tuple[float, float],
            angle_deg: float) -> tuple[np.ndarray, np.ndarray]:
    """``card`` (a flat picture) centred at ``centre`` and turned by ``angle_deg`` about
    its vertical axis, in perspective (focal length = frame width), over ``background``;
    and the mask of the frame's pixels the card covers."""
    h, w = card.shape[:2]
    fw = background.shape[1]
    t = math.radians(angle_deg)
    src = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32)
    dst = []
    for x, y in src:
        x0, y0 = x - w / 2.0, y - h / 2.0
        z = x0 * math.sin(t)
        k = fw / (fw + z)
        dst.append((centre[0] + x0 * math.cos(t) * k, centre[1] + y0 * k))
    m = cv2.getPerspectiveTransform(src, np.array(dst, np.float32))
    size = (background.shape[1], background.shape[0])
    warped = cv2.warpPerspective(card, m, size, flags=cv2.INTER_LINEAR)
    mask = cv2.warpPerspective(np.full((h, w), 255, np.uint8), m, size) > 127
    out: np.ndarray = background.copy()
    out[mask] = warped[mask]
    return out, mask


def _glare(frame: np.ndarray, on: np.ndarray, centre: tuple[float, float],
           axes: tuple[float, float], angle_deg: float) -> np.ndarray:
    """A lamp's or window's reflection added to ``frame`` where ``on`` (the glossy
    surface): white light with a Gaussian fall-off from an ellipse of semi-axes ``axes``,
    saturating the picture in its middle."""
    h, w = frame.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    t = math.radians(angle_deg)
    u = ((xx - centre[0]) * math.cos(t) + (yy - centre[1]) * math.sin(t)) / axes[0]
    v = (-(xx - centre[0]) * math.sin(t) + (yy - centre[1]) * math.cos(t)) / axes[1]
    light = 300.0 * np.exp(-(u * u + v * v)) * on
    out: np.ndarray = np.clip(frame.astype(np.float32) + light[:, :, None], 0, 255).astype(
        np.uint8)
    return out


def render_attack(scene: str, face: FaceSource, size: tuple[int, int] = (640, 480), *,
                  frame_no: int = 0, target_ied: float | None = None,
                  eye_point: tuple[float, float] | None = None, seed: int = 0) -> np.ndarray:
    """One BGR frame of attack ``scene`` (see the module docstring). ``target_ied`` and
    ``eye_point`` place the face as for :func:`~.camera.render_scene`."""
    if scene not in ATTACK_SCENES:
        raise ConfigError(f"unknown attack scene {scene!r}; choose one of "
                          f"{', '.join(ATTACK_SCENES)}")
    w, h = size
    ied = target_ied if target_ied is not None else 0.16 * w
    mid = eye_point if eye_point is not None else (w / 2, h * 0.42)
    printed = scene in ("printed-photo", "glossy-print")
    video = "good" if printed else (
        "turn-head" if frame_no % (2 * ATTACK_PERIOD) < ATTACK_PERIOD else "blink")
    picture = render_scene(video, face, size, target_ied=ied, eye_point=mid, seed=seed,
                           frame_no=frame_no % ATTACK_PERIOD)
    # the part of the picture on the print or screen: 3.6 IED wide, 4.6 IED high
    x0 = int(max(0, mid[0] - 1.8 * ied))
    x1 = int(min(w, mid[0] + 1.8 * ied))
    y0 = int(max(0, mid[1] - 2.0 * ied))
    y1 = int(min(h, mid[1] + 2.6 * ied))
    crop = picture[y0:y1, x0:x1].astype(np.float64)
    rng = np.random.default_rng(seed + 101)
    if printed:
        crop = 0.85 * crop + 25.0 + rng.normal(0, 3.0, crop.shape[:2])[:, :, None]
        margin = max(4, int(0.15 * ied))
        card = np.full((crop.shape[0] + 2 * margin, crop.shape[1] + 2 * margin, 3), 242.0,
                       np.float32)
        card[margin:-margin, margin:-margin] = crop
    else:
        yy, xx = np.mgrid[0:crop.shape[0], 0:crop.shape[1]].astype(np.float32)
        # a screen finer than the camera resolves shows no moire
        beat = 0.07 if scene == "phone-replay" else 0.0
        moire = 1.0 + beat * np.sin(2 * math.pi * (xx * 0.19 + yy * 0.07))
        crop = np.clip((crop / 255.0) ** 0.8 * 255.0 * 1.08, 0, 255) * moire[:, :, None]
        bezel = max(6, int(0.25 * ied))
        card = np.full((crop.shape[0] + 2 * bezel, crop.shape[1] + 2 * bezel, 3), 18.0,
                       np.float32)
        card[bezel:-bezel, bezel:-bezel] = crop
    card8 = np.clip(card, 0, 255).astype(np.uint8)
    swing = 32.0 if scene == "printed-photo" else 4.0
    angle = swing * math.sin(2 * math.pi * frame_no / ATTACK_PERIOD)
    drift = (3.0 * math.sin(frame_no * 0.21), 2.0 * math.cos(frame_no * 0.17))
    centre = ((x0 + x1) / 2.0 + drift[0], (y0 + y1) / 2.0 + drift[1])
    frame, on = _turned(card8, wall(size, seed=seed), centre, angle)
    # the reflection stays where the lamp and the camera put it, in the frame; it moves
    # over the surface only as the surface turns (twice its angle)
    shift = 2.0 * math.radians(angle) * 2.0 * ied
    if scene == "glossy-print":
        return _glare(frame, on, (mid[0] + 0.55 * ied + shift, mid[1] + 0.55 * ied),
                      (0.4 * ied, 0.28 * ied), -20.0)
    if scene == "screen-glare":
        return _glare(frame, on, (mid[0] + 0.6 * ied + shift, mid[1] + 0.6 * ied),
                      (1.0 * ied, 0.1 * ied), -60.0)
    return frame
