"""One call per frame: faces, landmarks of the main face, head pose."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .detection import FaceBox, FaceTracker, detect_faces
from .frames import Image, check_bgr, to_gray
from .landmarks import HeadPose, Landmarks, find_landmarks, head_pose

__all__ = ["FaceAnalysis", "analyze_face"]


@dataclass(frozen=True)
class FaceAnalysis:
    """What was found in one frame. ``faces`` are largest first; the first is analysed."""

    frame_size: tuple[int, int]
    faces: list[FaceBox]
    landmarks: Landmarks | None
    pose: HeadPose | None

    @property
    def primary(self) -> FaceBox | None:
        return self.faces[0] if self.faces else None

    @property
    def found(self) -> bool:
        return self.landmarks is not None


def analyze_face(frame: Image, *, tracker: FaceTracker | None = None,
                 min_face_px: float = 100.0) -> FaceAnalysis:
    """Detect the faces in a BGR uint8 ``frame`` and fit landmarks and pose to the largest.

    With a ``tracker`` the face is tracked from the previous frame (live loop); without,
    the whole frame is scanned for faces at least ``min_face_px`` wide.
    """
    frame = check_bgr(frame)
    gray = to_gray(frame)
    h, w = gray.shape[:2]
    if tracker is not None:
        faces = tracker.update(gray).faces
    else:
        faces = detect_faces(gray, min_face_px=min_face_px)
    if not faces:
        return FaceAnalysis((w, h), [], None, None)
    lm = find_landmarks(gray, faces[0])
    if not np.isfinite(lm.points).all() or lm.inter_eye_distance < 4:
        return FaceAnalysis((w, h), faces, None, None)
    return FaceAnalysis((w, h), faces, lm, head_pose(lm, (w, h)))
