"""Face detection (dlib HOG) and a frame-to-frame tracker for the live loop.

:func:`detect_faces` scans a whole image; :class:`FaceTracker` scans only a window
around the face it found in the previous frame, and the whole frame every few frames
(to notice a second person), which keeps the per-frame cost low.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from . import _models
from .frames import FaceInputError, Image, check_bgr, to_gray

__all__ = ["HOG_WINDOW_PX", "FaceBox", "FaceTracker", "TrackResult", "detect_faces"]

#: The smallest face box dlib's HOG detector finds at native scale.
HOG_WINDOW_PX = 80


@dataclass(frozen=True)
class FaceBox:
    """A detected face box in image pixels, with the detector's confidence."""

    x: float
    y: float
    width: float
    height: float
    score: float = 0.0

    @property
    def area(self) -> float:
        return self.width * self.height

    @property
    def centre(self) -> tuple[float, float]:
        return (self.x + self.width / 2, self.y + self.height / 2)

    def scaled(self, factor: float, dx: float = 0.0, dy: float = 0.0) -> FaceBox:
        """The box in another image: coordinates times ``factor`` plus an offset."""
        return FaceBox(self.x * factor + dx, self.y * factor + dy,
                       self.width * factor, self.height * factor, self.score)


def _scan(gray: Image, scale: float, threshold: float) -> list[FaceBox]:
    det = _models.frontal_detector()
    img = gray
    if scale != 1.0:
        interp = cv2.INTER_AREA if scale < 1.0 else cv2.INTER_LINEAR
        img = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=interp)
    if min(img.shape[:2]) < HOG_WINDOW_PX:
        return []
    rects, scores, _ = det.run(img, 0, threshold)
    inv = 1.0 / scale
    out = [FaceBox(r.left() * inv, r.top() * inv, (r.right() - r.left() + 1) * inv,
                   (r.bottom() - r.top() + 1) * inv, float(s))
           for r, s in zip(rects, scores)]
    out.sort(key=lambda b: b.area, reverse=True)
    return out


def detect_faces(image: Image, *, min_face_px: float = HOG_WINDOW_PX,
                 threshold: float = 0.0) -> list[FaceBox]:
    """Every frontal face in ``image`` (BGR or grey uint8), largest first.

    ``min_face_px`` is the smallest face box width to find: the image is resized so that
    such a face fills the detector's 80 px window (smaller values upsample and cost
    more; larger values downsample and are faster). ``threshold`` is dlib's detection
    margin (raise it to reject weak detections).
    """
    if not isinstance(image, np.ndarray) or image.ndim != 2:
        image = check_bgr(image, "image")
    if min_face_px <= 0:
        raise FaceInputError("min_face_px must be positive")
    return _scan(to_gray(image), HOG_WINDOW_PX / float(min_face_px), threshold)


@dataclass(frozen=True)
class TrackResult:
    """One tracker step: the faces known in this frame, largest first."""

    faces: list[FaceBox]
    full_scan: bool

    @property
    def primary(self) -> FaceBox | None:
        return self.faces[0] if self.faces else None


class FaceTracker:
    """Finds the face in each frame of a stream, cheaply.

    After a face is found, the next frame is searched only in a window around it, resized
    so the face is about 100 px wide; the whole frame is scanned again every
    ``rescan_every`` frames, when the face is lost, or on :meth:`reset`. Faces other than
    the tracked one are those of the latest full scan.

    Not thread-safe: use one tracker per camera stream.
    """

    def __init__(self, *, min_face_px: float = 120.0, rescan_every: int = 10,
                 threshold: float = 0.0) -> None:
        if min_face_px <= 0 or rescan_every < 1:
            raise FaceInputError("min_face_px must be positive and rescan_every >= 1")
        self.min_face_px = float(min_face_px)
        self.rescan_every = rescan_every
        self.threshold = threshold
        self._last: FaceBox | None = None
        self._others: list[FaceBox] = []
        self._since_scan = 0

    def reset(self) -> None:
        """Forget the tracked face; the next frame gets a full scan."""
        self._last = None
        self._others = []
        self._since_scan = 0

    def _full(self, gray: Image) -> TrackResult:
        faces = _scan(gray, HOG_WINDOW_PX / self.min_face_px, self.threshold)
        self._last = faces[0] if faces else None
        self._others = faces[1:]
        self._since_scan = 0
        return TrackResult(faces, True)

    def update(self, frame: Image) -> TrackResult:
        """Detect or track the face(s) in the next frame (BGR or grey uint8)."""
        if not isinstance(frame, np.ndarray) or frame.ndim != 2:
            frame = check_bgr(frame, "frame")
        gray = to_gray(frame)
        last = self._last
        self._since_scan += 1
        if last is None or self._since_scan >= self.rescan_every:
            return self._full(gray)
        h, w = gray.shape[:2]
        pad = 0.6 * last.width
        x0 = max(0, int(last.x - pad))
        y0 = max(0, int(last.y - pad))
        x1 = min(w, int(last.x + last.width + pad))
        y1 = min(h, int(last.y + last.height + pad))
        scale = min(1.25, 100.0 / max(last.width, 1.0))
        found = _scan(gray[y0:y1, x0:x1], scale, self.threshold)
        if not found:
            return self._full(gray)
        face = found[0].scaled(1.0, x0, y0)
        self._last = face
        return TrackResult([face, *self._others], False)
