"""Fingerprint processing and quality, as pure functions over numpy arrays.

Public API::

    from idcapture.biometrics import finger
    q = finger.quality(image, ppi=500)          # FingerQuality: score 0-100, measures, reasons
    t = finger.extract(image, ppi=500)          # FingerTemplate: minutiae, quality, block maps

Images are 2-D grey arrays (uint8, or float 0-1/0-255) at ``ppi`` pixels per inch; every
algorithm runs at 500 ppi and other resolutions are rescaled. Lower-level steps
(:func:`analyse`, :func:`orientation_field`, :func:`ridge_period`, :func:`enhance`,
:func:`detect_minutiae`) are exported for callers that need the maps themselves.
"""

from .analysis import FingerAnalysis, analyse
from .enhancement import enhance, normalise_contrast
from .extractor import (
    MAX_MINUTIAE,
    extract,
    extract_analysed,
    minutiae_scale,
    template_from_analysis,
)
from .frequency import ridge_period, signatures
from .image import BASE_PPI
from .minutiae import RawMinutiae, detect_minutiae
from .orientation import OrientationField, orientation_field
from .profile import PROFILES, QualityProfile, get_profile
from .quality import FingerQuality, assess, quality
from .segmentation import segment_blocks
from .skeleton import crossing_number, thin
from .template import KIND_CODES, FingerTemplate, Minutia, MinutiaKind

__all__ = [
    "BASE_PPI",
    "KIND_CODES",
    "MAX_MINUTIAE",
    "PROFILES",
    "FingerAnalysis",
    "FingerQuality",
    "FingerTemplate",
    "Minutia",
    "MinutiaKind",
    "OrientationField",
    "QualityProfile",
    "RawMinutiae",
    "analyse",
    "assess",
    "crossing_number",
    "detect_minutiae",
    "enhance",
    "extract",
    "extract_analysed",
    "get_profile",
    "minutiae_scale",
    "normalise_contrast",
    "orientation_field",
    "quality",
    "ridge_period",
    "segment_blocks",
    "signatures",
    "template_from_analysis",
    "thin",
]
