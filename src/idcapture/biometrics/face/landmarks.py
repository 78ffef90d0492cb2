"""68-point facial landmarks, the quantities derived from them, and head pose.

Point layout is the iBUG 300-W one used by dlib: jaw 0-16, eyebrows 17-26, nose 27-35,
the eye on the image's left 36-41 (the subject's right eye), the other eye 42-47,
outer lips 48-59, inner lips 60-67.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from . import _models
from .detection import FaceBox
from .frames import FaceInputError, Image

__all__ = ["HeadPose", "Landmarks", "find_landmarks", "head_pose"]

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Landmarks:
    """68 landmark points, ``points[i] = (x, y)`` in image pixels."""

    points: FloatArray

    def __post_init__(self) -> None:
        if self.points.shape != (68, 2):
            raise FaceInputError(f"expected 68x2 landmark points, got {self.points.shape}")

    @property
    def eye_centres(self) -> FloatArray:
        """Centres of the two eyes, image-left eye first (2x2)."""
        p = self.points
        return np.stack([p[36:42].mean(axis=0), p[42:48].mean(axis=0)])

    @property
    def eye_midpoint(self) -> tuple[float, float]:
        c = self.eye_centres.mean(axis=0)
        return float(c[0]), float(c[1])

    @property
    def inter_eye_distance(self) -> float:
        """Distance between the eye centres in pixels (IED)."""
        e = self.eye_centres
        return float(np.hypot(*(e[1] - e[0])))

    @property
    def roll_deg(self) -> float:
        """Angle of the eye line; positive when the image-right eye is lower."""
        e = self.eye_centres
        d = e[1] - e[0]
        return math.degrees(math.atan2(float(d[1]), float(d[0])))

    @property
    def chin(self) -> tuple[float, float]:
        return float(self.points[8, 0]), float(self.points[8, 1])

    @property
    def eye_to_chin(self) -> float:
        """T of ISO/IEC 29794-5: distance from the eye midpoint to the chin."""
        mx, my = self.eye_midpoint
        cx, cy = self.chin
        return math.hypot(cx - mx, cy - my)

    @property
    def face_width(self) -> float:
        """Jaw width, landmark 0 to 16."""
        return float(np.hypot(*(self.points[16] - self.points[0])))

    def eye_aspect_ratios(self) -> tuple[float, float]:
        """Eye aspect ratio (lid opening / eye width) of each eye, image-left eye first."""
        out = []
        for s in (36, 42):
            e = self.points[s:s + 6]
            width = float(np.hypot(*(e[3] - e[0])))
            lids = float(np.hypot(*(e[1] - e[5])) + np.hypot(*(e[2] - e[4])))
            out.append(lids / (2.0 * width) if width > 0 else 0.0)
        return out[0], out[1]

    def mouth_opening(self) -> float:
        """Largest inner-lip gap (pairs 61-67, 62-66, 63-65) divided by :attr:`eye_to_chin`."""
        p = self.points
        gaps = [float(np.hypot(*(p[a] - p[b]))) for a, b in ((61, 67), (62, 66), (63, 65))]
        t = self.eye_to_chin
        return max(gaps) / t if t > 0 else 0.0

    def hull(self) -> npt.NDArray[Any]:
        """Convex hull of the points, for masks (int32, OpenCV contour layout)."""
        return cv2.convexHull(np.round(self.points).astype(np.int32))

    def translated(self, dx: float, dy: float, scale: float = 1.0) -> Landmarks:
        """The points after ``p * scale + (dx, dy)``."""
        return Landmarks(self.points * scale + np.array([dx, dy]))


def find_landmarks(image: Image, box: FaceBox) -> Landmarks:
    """Fit the 68-point model inside ``box`` (grey or BGR uint8 image)."""
    dlib = _models.dlib_module()
    predictor = _models.shape_predictor_68()
    rect = dlib.rectangle(round(box.x), round(box.y),
                          round(box.x + box.width - 1), round(box.y + box.height - 1))
    shape = predictor(image, rect)
    pts = np.array([(shape.part(i).x, shape.part(i).y) for i in range(68)], dtype=np.float64)
    return Landmarks(pts)


@dataclass(frozen=True)
class HeadPose:
    """Head rotation in degrees: yaw (turn), pitch (nod), roll (tilt). 0 = frontal."""

    yaw: float
    pitch: float
    roll: float


# A generic head (millimetres, x right, y down, z away from the camera), for the
# landmarks: nose tip 30, chin 8, outer eye corners 36 and 45, mouth corners 48 and 54.
_MODEL_3D = np.array([
    (0.0, 0.0, 0.0),
    (0.0, 63.6, -12.5),
    (-43.3, -32.7, -26.0),
    (43.3, -32.7, -26.0),
    (-28.9, 28.9, -24.1),
    (28.9, 28.9, -24.1),
], dtype=np.float64)
_POSE_IDX = [30, 8, 36, 45, 48, 54]
#: Pitch the generic model reads on frontal studio photos (camera at eye height); it is
#: subtracted so that a frontal face reads about 0 (median over 74 frontal photos framed
#: at 640x480; see benchmarks/bench_face_quality.py).
PITCH_OFFSET_DEG = 4.0


#: Depth of the nose tip in front of the eye centres, per inter-eye distance (generic
#: adult head); converts the nose's sideways offset into a yaw angle.
NOSE_DEPTH_PER_IED = 0.5


def head_pose(landmarks: Landmarks, image_size: tuple[int, int]) -> HeadPose:
    """Head pose in degrees.

    Roll is the eye-line angle. Yaw comes from the nose tip's offset from the eye
    midpoint along the eye line (``atan(offset / (0.5 IED))``), which is steadier than a
    perspective fit with a generic head; pitch from a PnP fit of six landmarks to a
    generic head. ``image_size`` is (width, height); the focal length is taken as the
    image width (a normal webcam lens). Yaw is positive when the face turns towards the
    image's right, pitch when the chin goes up.
    """
    pts = landmarks.points
    e = landmarks.eye_centres
    axis = e[1] - e[0]
    ied = float(np.hypot(*axis))
    mid = e.mean(axis=0)
    offset = float(np.dot(pts[30] - mid, axis / max(ied, 1e-9))) / max(ied, 1e-9)
    yaw = math.degrees(math.atan(offset / NOSE_DEPTH_PER_IED))
    w, h = image_size
    cam = np.array([[w, 0, w / 2.0], [0, w, h / 2.0], [0, 0, 1]], dtype=np.float64)
    ok, rvec, _tvec = cv2.solvePnP(_MODEL_3D, pts[_POSE_IDX].astype(np.float64), cam,
                                   np.zeros(4), flags=cv2.SOLVEPNP_ITERATIVE)
    pitch = float("nan")
    if ok:
        rot, _ = cv2.Rodrigues(rvec)
        pitch = math.degrees(math.atan2(float(rot[2, 1]), float(rot[2, 2]))) - PITCH_OFFSET_DEG
    return HeadPose(yaw, pitch, landmarks.roll_deg)
