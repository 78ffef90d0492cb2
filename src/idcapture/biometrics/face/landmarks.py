"""Five facial landmarks, the quantities derived from them, and head pose.

Point layout of dlib's 5-point model: the eye on the image's right (the subject's left
eye) outer corner 0 and inner corner 1, the other eye outer corner 2 and inner corner
3, the base of the nose 4. Chin, cheek-to-cheek width and the face outline are not
landmarks of this model: they are placed from the eyes with the anthropometric ratios
of :mod:`.profiles` (:data:`~.profiles.CHIN_PER_IED`,
:data:`~.profiles.FACE_WIDTH_PER_IED`), turned with the eye line.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from . import _models
from .detection import FaceBox
from .frames import FaceInputError, Image
from .profiles import CHIN_PER_IED, FACE_WIDTH_PER_IED

__all__ = [
    "NOSE_DROP_PER_IED",
    "PITCH_UNCERTAINTY_DEG",
    "HeadPose",
    "Landmarks",
    "find_landmarks",
    "head_pose",
]

FloatArray = npt.NDArray[np.float64]

#: Index pairs (outer, inner) of the eye corners: the image-left eye first.
EYE_CORNERS = ((2, 3), (0, 1))
NOSE = 4


@dataclass(frozen=True)
class Landmarks:
    """Five landmark points, ``points[i] = (x, y)`` in image pixels (dlib 5-point layout)."""

    points: FloatArray

    def __post_init__(self) -> None:
        if self.points.shape != (5, 2):
            raise FaceInputError(f"expected 5x2 landmark points, got {self.points.shape}")

    @property
    def eye_centres(self) -> FloatArray:
        """Centres of the two eyes (midpoints of their corners), image-left eye first."""
        p = self.points
        return np.stack([(p[2] + p[3]) / 2.0, (p[0] + p[1]) / 2.0])

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

    def axes(self) -> tuple[FloatArray, FloatArray]:
        """Unit vectors along the eye line (towards the image right) and down the face."""
        e = self.eye_centres
        d = e[1] - e[0]
        n = float(np.hypot(*d))
        u = d / n if n > 0 else np.array([1.0, 0.0])
        return u, np.array([-u[1], u[0]])

    @property
    def nose(self) -> tuple[float, float]:
        """The base of the nose."""
        return float(self.points[NOSE, 0]), float(self.points[NOSE, 1])

    @property
    def chin(self) -> tuple[float, float]:
        """The chin, :data:`~.profiles.CHIN_PER_IED` IEDs below the eye midpoint (an
        estimate: the model has no chin point)."""
        _, down = self.axes()
        c = np.array(self.eye_midpoint) + down * CHIN_PER_IED * self.inter_eye_distance
        return float(c[0]), float(c[1])

    @property
    def eye_to_chin(self) -> float:
        """T of ISO/IEC 29794-5 (eye midpoint to chin), from the IED."""
        return CHIN_PER_IED * self.inter_eye_distance

    @property
    def face_width(self) -> float:
        """Cheek-to-cheek width, :data:`~.profiles.FACE_WIDTH_PER_IED` x IED."""
        return FACE_WIDTH_PER_IED * self.inter_eye_distance

    def face_outline(self, n: int = 32) -> FloatArray:
        """The face region (brows to chin, cheek to cheek) as an ``n``-point ellipse."""
        u, down = self.axes()
        ied = self.inter_eye_distance
        top = -0.75 * ied
        centre = np.array(self.eye_midpoint) + down * (top + CHIN_PER_IED * ied) / 2.0
        rx = self.face_width / 2.0
        ry = (CHIN_PER_IED * ied - top) / 2.0
        t = np.linspace(0.0, 2.0 * math.pi, n, endpoint=False)
        return (centre[None, :] + np.cos(t)[:, None] * rx * u[None, :]
                + np.sin(t)[:, None] * ry * down[None, :])

    def inner_face(self) -> FloatArray:
        """Brows to mouth, between the outer eye corners: a 4-point polygon."""
        u, down = self.axes()
        ied = self.inter_eye_distance
        mid = np.array(self.eye_midpoint)
        half = 0.8 * ied
        return np.array([mid + u * sx * half + down * dy * ied
                         for sx, dy in ((-1, -0.45), (1, -0.45), (1, 1.35), (-1, 1.35))])

    def hull(self) -> npt.NDArray[Any]:
        """The face outline as an int32 OpenCV contour, for masks."""
        return np.round(self.face_outline()).astype(np.int32).reshape(-1, 1, 2)

    def translated(self, dx: float, dy: float, scale: float = 1.0) -> Landmarks:
        """The points after ``p * scale + (dx, dy)``."""
        return Landmarks(self.points * scale + np.array([dx, dy]))


def find_landmarks(image: Image, box: FaceBox) -> Landmarks:
    """Fit the 5-point model inside ``box`` (grey or BGR uint8 image)."""
    dlib = _models.dlib_module()
    predictor = _models.shape_predictor_5()
    rect = dlib.rectangle(round(box.x), round(box.y),
                          round(box.x + box.width - 1), round(box.y + box.height - 1))
    shape = predictor(image, rect)
    pts = np.array([(shape.part(i).x, shape.part(i).y) for i in range(5)], dtype=np.float64)
    return Landmarks(pts)


@dataclass(frozen=True)
class HeadPose:
    """Head rotation in degrees: yaw (turn), pitch (nod), roll (tilt). 0 = frontal."""

    yaw: float
    pitch: float
    roll: float


#: Depth of the nose in front of the eye centres, per inter-eye distance (generic adult
#: head); converts the nose's sideways offset into a yaw angle and its rise into pitch.
NOSE_DEPTH_PER_IED = 0.5
#: Distance of the nose base below the eye line per IED on a frontal face: the median
#: over the 204 frontal photos of the London Set (see benchmarks/bench_face_quality.py).
NOSE_DROP_PER_IED = 0.70
#: Allowance on top of a profile's pitch limit, because noses differ: the nose drop of
#: frontal faces ranges 0.59-0.84 IED over the 2nd-98th percentile of those photos
#: (pitch +13 to -16 degrees). Five points cannot tell a long nose from a lowered chin;
#: with this allowance about 3 % of frontal faces still fail the exam profile's pitch
#: (the simulator's 35-degree nod reads 15-19 degrees).
PITCH_UNCERTAINTY_DEG = 5.0


def head_pose(landmarks: Landmarks, image_size: tuple[int, int] | None = None) -> HeadPose:
    """Head pose in degrees from the eyes and the nose base.

    Roll is the eye-line angle. Yaw comes from the nose base's offset from the eye
    midpoint along the eye line (``atan(offset / (0.5 IED))``). Pitch comes from the nose
    base's drop below the eye line against a frontal face's (:data:`NOSE_DROP_PER_IED`):
    ``atan((L - drop) / d)`` with the nose at depth ``d`` (:data:`NOSE_DEPTH_PER_IED`);
    it is only good to about :data:`PITCH_UNCERTAINTY_DEG` for a given person. Yaw is
    positive when the face turns towards the image's right, pitch when the chin goes up.
    ``image_size`` is accepted for compatibility and not needed.
    """
    u, down = landmarks.axes()
    ied = max(landmarks.inter_eye_distance, 1e-9)
    rel = np.array(landmarks.nose) - np.array(landmarks.eye_midpoint)
    offset = float(np.dot(rel, u)) / ied
    yaw = math.degrees(math.atan(offset / NOSE_DEPTH_PER_IED))
    drop = float(np.dot(rel, down)) / ied
    pitch = math.degrees(math.atan((NOSE_DROP_PER_IED - drop) / NOSE_DEPTH_PER_IED))
    return HeadPose(yaw, pitch, landmarks.roll_deg)
