"""Check a finished portrait against its profile by finding the face in it again.

:func:`portrait_geometry` detects the face in the output image (not trusting where the
portrait step meant to put it) and measures what the profile fixes: the eye line, the
horizontal centring, the inter-eye distance, the cheek-to-cheek face width and the eye
line's tilt. Use it to audit portraits (your own or a supplier's) and in tests.

The top of the hair is not measured: the landmarks stop at the eyebrows, so the
profile's hair-top window is left to the crop geometry.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .analysis import analyze_face
from .frames import Image, check_bgr
from .landmarks import Landmarks
from .profiles import FACE_WIDTH_PER_IED_RANGE, Profile, get_profile

__all__ = ["CENTRING_TOLERANCE", "PortraitGeometry", "portrait_geometry"]

#: Largest allowed distance of the eye midpoint from the vertical centre line, as a
#: fraction of the image width (ISO/IEC 19794-5: face centre within 45-55 % of the width).
CENTRING_TOLERANCE = 0.05


@dataclass(frozen=True)
class PortraitGeometry:
    """What was measured in the portrait (output pixels) and which checks failed.

    ``found`` is false when no face was detected (then every value is 0 and ``failures``
    is ``["face"]``). ``failures`` names the checks outside the profile's windows:
    ``eye_line``, ``centring``, ``inter_eye_distance``, ``face_width``, ``roll``.
    """

    profile: str
    found: bool
    eye_line_px: float = 0.0
    centre_offset_px: float = 0.0
    inter_eye_distance_px: float = 0.0
    face_width_px: float = 0.0
    roll_deg: float = 0.0
    landmarks: Landmarks | None = None
    failures: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return self.found and not self.failures


def portrait_geometry(image: Image, profile: str | Profile) -> PortraitGeometry:
    """Detect the face in the portrait ``image`` (BGR uint8) and check it against
    ``profile``'s windows: eye line in ``eye_line_window_px``, eye midpoint within
    :data:`CENTRING_TOLERANCE` of the centre line, face width (2.28 x IED) in
    ``face_width_window_px``,
    IED consistent with that window (its bounds divided by the extremes of
    :data:`~.profiles.FACE_WIDTH_PER_IED_RANGE`) and roll within ``max_roll_deg``.
    """
    p = get_profile(profile)
    image = check_bgr(image, "portrait")
    w = image.shape[1]
    analysis = analyze_face(image, min_face_px=max(40.0, 0.25 * w))
    lm = analysis.landmarks
    if lm is None:
        return PortraitGeometry(p.name, False, failures=["face"])
    mx, my = lm.eye_midpoint
    ied = lm.inter_eye_distance
    jaw = lm.face_width
    failures = []
    lo, hi = p.eye_line_window_px
    if not lo <= my <= hi:
        failures.append("eye_line")
    if abs(mx - w / 2.0) > CENTRING_TOLERANCE * w:
        failures.append("centring")
    flo, fhi = p.face_width_window_px
    rlo, rhi = FACE_WIDTH_PER_IED_RANGE
    if not flo / rhi <= ied <= fhi / rlo:
        failures.append("inter_eye_distance")
    if not flo <= jaw <= fhi:
        failures.append("face_width")
    if abs(lm.roll_deg) > p.max_roll_deg:
        failures.append("roll")
    return PortraitGeometry(p.name, True, my, mx - w / 2.0, ied, jaw, lm.roll_deg, lm,
                            failures)
