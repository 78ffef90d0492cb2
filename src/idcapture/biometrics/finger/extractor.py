"""``extract``: a finger image in, a minutiae template out."""

from __future__ import annotations

import math

import numpy as np

from ...record import FingerPosition
from .analysis import FingerAnalysis, analyse
from .image import BASE_PPI
from .minutiae import KIND_BIFURCATION, detect_minutiae
from .orientation import to_screen_angle
from .template import FingerTemplate, Minutia, MinutiaKind

__all__ = ["MAX_MINUTIAE", "extract", "template_from_analysis"]

MAX_MINUTIAE = 255
"""Most minutiae kept (the ISO/IEC 19794-2 view limit); the best by quality win."""


def template_from_analysis(an: FingerAnalysis, *, quality: int = 0,
                           position: FingerPosition = FingerPosition.UNKNOWN,
                           max_minutiae: int = MAX_MINUTIAE) -> FingerTemplate:
    """Detect minutiae on an existing :class:`FingerAnalysis` and build the template."""
    raw = detect_minutiae(an)
    inv = 1.0 / an.work.scale
    order = np.argsort(-raw.quality, kind="stable")[:max_minutiae]
    order = order[np.lexsort((raw.x[order], raw.y[order]))]
    mins = tuple(
        Minutia(float(raw.x[i] * inv), float(raw.y[i] * inv), float(raw.angle[i]) % (2 * math.pi),
                MinutiaKind.BIFURCATION if raw.kind[i] == KIND_BIFURCATION
                else MinutiaKind.ENDING, int(raw.quality[i]))
        for i in order)
    h, w = an.work.source_shape
    return FingerTemplate(
        width=w, height=h, resolution_ppi=an.work.source_ppi, minutiae=mins,
        quality=int(quality), position=position,
        block_size=an.block,
        orientation=to_screen_angle(an.orientation.theta) % math.pi,
        coherence=an.orientation.coherence.copy(),
        ridge_period=an.period.copy(),
        mask=an.mask.copy())


def extract(image: np.ndarray, ppi: int = BASE_PPI, *,
            position: FingerPosition = FingerPosition.UNKNOWN,
            max_minutiae: int = MAX_MINUTIAE) -> FingerTemplate:
    """Extract the minutiae of a finger image.

    ``image`` is a 2-D grey array (uint8, or float in 0-1 or 0-255) at ``ppi`` pixels per
    inch (other resolutions than 500 are rescaled internally; minutiae come back in the
    input image's pixels). Returns a :class:`FingerTemplate` with endings and bifurcations
    (position, ISO direction, per-minutia quality 0-100), the overall quality score, and the
    block maps (orientation, coherence, ridge period in 500 ppi pixels, foreground mask;
    blocks of ``block_size`` pixels at 500 ppi).

    Raises :class:`~idcapture.errors.ConfigError` when ``image`` is not a usable grey image.
    """
    from .quality import score_only  # late import: quality uses the extractor too

    an = analyse(image, ppi)
    tmpl = template_from_analysis(an, position=position, max_minutiae=max_minutiae)
    return FingerTemplate(tmpl.width, tmpl.height, tmpl.resolution_ppi, tmpl.minutiae,
                          score_only(an), position, tmpl.block_size,
                          tmpl.orientation, tmpl.coherence, tmpl.ridge_period, tmpl.mask)
