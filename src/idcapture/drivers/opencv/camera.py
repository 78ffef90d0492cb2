"""``opencv:INDEX|PATH|URL``: cameras, video files and streams through OpenCV VideoCapture.

Options:

``backend``
    ``auto`` (default: V4L2 for devices on Linux, Media Foundation on Windows, FFmpeg for
    files and URLs), ``v4l2``, ``msmf``, ``dshow``, ``ffmpeg``, ``gstreamer``, ``images``,
    ``mjpeg`` or ``any``.
``width``, ``height``, ``fps``
    requested capture format. A request the camera does not honour is reported in
    :attr:`OpenCvCamera.refused` and logged; with ``strict=true`` it fails the open.
``fourcc``
    requested pixel format, such as ``MJPG`` (many USB cameras only reach 30 fps at
    1280x720 in MJPG).
``loop``
    for files: start again at the end (default ``false``: the end of a file reads as the
    device going away).
``open_timeout``
    seconds to wait for a stream to open (FFmpeg/GStreamer), default 5.

A camera that is unplugged raises :class:`~idcapture.errors.DeviceRemoved`; the next call
reopens it, so a camera plugged back in is picked up again without a new ``open``.
"""

from __future__ import annotations

import glob
import os
import sys
import time
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from ...address import Address
from ...devices.base import DeviceInfo
from ...devices.camera import Camera
from ...devices.options import Option
from ...errors import ConfigError, DeviceNotFound, DeviceRemoved, DriverUnavailable
from .cvlog import opencv_log_routed

__all__ = ["BACKENDS", "OpenCvCamera"]

#: backend option -> cv2 constant name
BACKENDS: dict[str, str] = {
    "any": "CAP_ANY", "v4l2": "CAP_V4L2", "msmf": "CAP_MSMF", "dshow": "CAP_DSHOW",
    "ffmpeg": "CAP_FFMPEG", "gstreamer": "CAP_GSTREAMER", "images": "CAP_IMAGES",
    "mjpeg": "CAP_OPENCV_MJPEG", "avfoundation": "CAP_AVFOUNDATION",
}


def _cv2() -> Any:
    try:
        import cv2
    except ImportError as exc:  # pragma: no cover - opencv is a dependency
        raise DriverUnavailable("opencv", "the opencv-python package is not installed") from exc
    return cv2


class OpenCvCamera(Camera):
    """A camera (or video source) read through :class:`cv2.VideoCapture`."""

    address_options: ClassVar[tuple[Option, ...] | None] = (
        Option("backend", "str", "auto", "OpenCV capture backend (auto, v4l2, msmf, ...)"),
        Option("open_timeout", "float", 5.0, "seconds to wait for the stream to open"),
        Option("fourcc", "str", None, "pixel format to request, 4 characters (e.g. MJPG)"),
        Option("width", "float", None, "frame width to request"),
        Option("height", "float", None, "frame height to request"),
        Option("fps", "float", None, "frame rate to request"),
        Option("strict", "bool", False, "fail when the camera ignores width/height/fps"),
        Option("loop", "bool", False, "restart a video file at its end"),
    )

    default_timeout: ClassVar[float] = 5.0

    def __init__(self, address: Address | str = "", *, timeout: float | None = None) -> None:
        super().__init__(address, timeout=timeout)
        self._cap: Any = None
        self._source: int | str = self._parse_target(self.address.target)
        self.refused: dict[str, tuple[float, float]] = {}
        self._size = (0, 0)
        self._fps = 0.0
        self._backend_name = ""
        self._failures = 0

    # ------------------------------------------------------------------ address
    @staticmethod
    def _parse_target(target: str) -> int | str:
        t = target.strip() or "0"
        if t.isdigit():
            return int(t)
        return t

    @property
    def is_file(self) -> bool:
        return isinstance(self._source, str) and "://" not in self._source \
            and not self._source.startswith("/dev/")

    def _backend(self) -> int:
        cv2 = _cv2()
        name = (self.address.option("backend", "auto") or "auto").lower()
        if name == "auto":
            if isinstance(self._source, int) or str(self._source).startswith("/dev/video"):
                if sys.platform.startswith("linux"):
                    return int(cv2.CAP_V4L2)
                if sys.platform == "win32":
                    return int(cv2.CAP_MSMF)
                return int(cv2.CAP_ANY)
            return int(cv2.CAP_ANY)
        if name not in BACKENDS:
            raise ConfigError(f"unknown OpenCV backend {name!r}; choose one of "
                              f"{', '.join(['auto', *sorted(BACKENDS)])}")
        return int(getattr(cv2, BACKENDS[name]))

    # ------------------------------------------------------------------ primitives
    def _open(self) -> None:
        cv2 = _cv2()
        backend = self._backend()
        if self.is_file and not Path(str(self._source)).exists() and "%" not in str(self._source):
            raise DeviceNotFound(f"video file {self._source!s} does not exist")
        params = [int(cv2.CAP_PROP_OPEN_TIMEOUT_MSEC),
                  int(self.address.float_option("open_timeout", 5.0) * 1000)]
        with opencv_log_routed():
            cap = cv2.VideoCapture(self._source, backend, params)
        if not cap.isOpened():
            cap.release()
            raise DeviceNotFound(f"OpenCV could not open camera {self._source!s} with backend "
                                 f"{self.address.option('backend', 'auto')}")
        self._cap = cap
        self._backend_name = str(cap.getBackendName())
        self._apply_requests()
        self._failures = 0

    def _apply_requests(self) -> None:
        cv2 = _cv2()
        cap = self._cap
        self.refused = {}
        fourcc = self.address.option("fourcc")
        if fourcc:
            if len(fourcc) != 4:
                raise ConfigError(f"fourcc must be 4 characters, got {fourcc!r}")
            cap.set(cv2.CAP_PROP_FOURCC, cv2.VideoWriter_fourcc(*fourcc))
        requests = [("width", cv2.CAP_PROP_FRAME_WIDTH), ("height", cv2.CAP_PROP_FRAME_HEIGHT),
                    ("fps", cv2.CAP_PROP_FPS)]
        wanted: dict[str, float] = {}
        for name, prop in requests:
            raw = self.address.option(name)
            if raw is not None:
                value = self.address.float_option(name, 0.0)
                if value <= 0:
                    raise ConfigError(f"option {name} must be positive, got {raw!r}")
                wanted[name] = value
                cap.set(prop, value)
        self._size = (int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)),
                      int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)))
        self._fps = float(cap.get(cv2.CAP_PROP_FPS) or 0.0)
        actual = {"width": float(self._size[0]), "height": float(self._size[1]),
                  "fps": self._fps}
        for name, value in wanted.items():
            got = actual[name]
            tolerance = 0.5 if name == "fps" else 0.0
            if abs(got - value) > tolerance:
                self.refused[name] = (value, got)
        if self.refused:
            text = ", ".join(f"{k} {v[0]:g} (got {v[1]:g})" for k, v in self.refused.items())
            if self.address.bool_option("strict", False):
                raise ConfigError(f"camera {self._source!s} refused the requested {text}")
            self.log.warning("camera refused the requested %s", text)

    def _close(self) -> None:
        if self._cap is not None:
            try:
                self._cap.release()
            finally:
                self._cap = None

    def _read_frame(self, timeout: float) -> np.ndarray | None:
        # VideoCapture.read() cannot be interrupted: it returns after one frame period
        # (a live camera) or the backend's own read timeout (a stalled stream)
        cap = self._cap
        if cap is None:
            raise DeviceRemoved("camera is not connected")
        ok, frame = cap.read()
        if ok and frame is not None:
            self._failures = 0
            if frame.ndim == 2:
                frame = np.repeat(frame[:, :, None], 3, axis=2)
            if self._size == (0, 0):
                self._size = (int(frame.shape[1]), int(frame.shape[0]))
            out: np.ndarray = np.ascontiguousarray(frame)
            return out
        if self.is_file:
            if self.address.bool_option("loop", False):
                cv2 = _cv2()
                cap.set(cv2.CAP_PROP_POS_FRAMES, 0)
                ok, frame = cap.read()
                if ok:
                    out = np.ascontiguousarray(frame)
                    return out
            raise DeviceRemoved(f"end of video file {Path(str(self._source)).name}",
                                code="end-of-stream")
        # a live camera that stops delivering: a few empty reads are normal at start-up,
        # a run of them (or the device node vanishing) means it was unplugged
        self._failures += 1
        node_gone = isinstance(self._source, str) and self._source.startswith("/dev/") \
            and not os.path.exists(self._source)
        if node_gone or self._failures >= 5:
            raise DeviceRemoved(f"camera {self._source!s} stopped delivering frames")
        time.sleep(min(0.01, max(timeout, 0.0)))
        return None

    @property
    def resolution(self) -> tuple[int, int]:
        return self._size

    @property
    def frame_rate(self) -> float:
        return self._fps

    def _info(self) -> DeviceInfo:
        return DeviceInfo("opencv", self.kind, str(self.address), _describe(self._source),
                          extra={"backend": self._backend_name,
                                 "width": str(self._size[0]), "height": str(self._size[1]),
                                 "fps": f"{self._fps:g}"})

    # ------------------------------------------------------------------ discovery
    @classmethod
    def discover(cls, timeout: float = 2.0) -> list[DeviceInfo]:
        """Video capture devices: V4L2 nodes on Linux (from sysfs, without opening them);
        the first indices answering Media Foundation on Windows."""
        found: list[DeviceInfo] = []
        if sys.platform.startswith("linux"):
            for node in sorted(glob.glob("/sys/class/video4linux/video*"),
                               key=lambda p: int(p.rsplit("video", 1)[1] or 0)):
                index_file = Path(node) / "index"
                try:
                    if index_file.exists() and index_file.read_text().strip() != "0":
                        continue  # metadata node of a camera, not a capture node
                    name = (Path(node) / "name").read_text(errors="replace").strip()
                except OSError:
                    continue
                number = node.rsplit("video", 1)[1]
                found.append(DeviceInfo("opencv", cls.kind, f"opencv:{number}", name,
                                        extra={"node": f"/dev/video{number}"}))
            return found
        if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
            cv2 = _cv2()
            deadline = time.monotonic() + timeout
            for index in range(8):
                if time.monotonic() > deadline:
                    break
                with opencv_log_routed():
                    cap = cv2.VideoCapture(index, cv2.CAP_MSMF)
                try:
                    if cap.isOpened():
                        found.append(DeviceInfo("opencv", cls.kind, f"opencv:{index}",
                                                f"camera {index}"))
                finally:
                    cap.release()
        return found


def _describe(source: int | str) -> str:
    if isinstance(source, int):
        return f"camera {source}"
    if "://" in source:
        scheme = source.split("://", 1)[0]
        return f"{scheme} stream"
    return f"video {Path(source).name}"
