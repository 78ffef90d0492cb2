"""``extract``: a finger image in, a minutiae template out."""

from __future__ import annotations

import math

import numpy as np

from ...record import FingerPosition
from .analysis import FingerAnalysis, analyse, rescaled
from .blocks import median
from .image import BASE_PPI
from .minutiae import KIND_BIFURCATION, detect_minutiae
from .orientation import to_screen_angle
from .template import FingerTemplate, Minutia, MinutiaKind

__all__ = [
    "MAX_MINUTIAE",
    "RIDGE_PERIOD_TARGET",
    "extract",
    "extract_analysed",
    "minutiae_scale",
    "template_from_analysis",
]

MAX_MINUTIAE = 255
"""Most minutiae kept (the ISO/IEC 19794-2 view limit); the best by quality win."""

RIDGE_PERIOD_TARGET = 10.5
"""Ridge period (working pixels) minutiae are detected at: an image whose median ridge
period differs by more than :data:`_RESCALE_TOLERANCE` is resampled to the scale that
brings it there (within :data:`_SCALE_RANGE`; :func:`~.analysis.rescaled`: orientation and
segmentation measured again, the ridge period map carried over). Enhancement runs at half
resolution, where periods of 7-8 px at 500 ppi (children, women, synthetic and capacitive
sensors) leave the filters under 4 px per ridge; fingers with wide ridges are brought down
the same way."""

_RESCALE_TOLERANCE = 0.05
_SCALE_RANGE = (0.8, 1.5)


def minutiae_scale(an: FingerAnalysis) -> float:
    """Factor by which to resample the image of ``an`` before detecting minutiae: 1 when
    its median ridge period is within 5 % of :data:`RIDGE_PERIOD_TARGET` (or unknown)."""
    if not an.mask.any():
        return 1.0
    period = median(an.period[an.mask])
    if not np.isfinite(period) or period <= 0:
        return 1.0
    f = float(np.clip(RIDGE_PERIOD_TARGET / period, *_SCALE_RANGE))
    return 1.0 if abs(f - 1.0) <= _RESCALE_TOLERANCE else f


def template_from_analysis(an: FingerAnalysis, *, quality: int = 0,
                           position: FingerPosition = FingerPosition.UNKNOWN,
                           max_minutiae: int = MAX_MINUTIAE) -> FingerTemplate:
    """Detect minutiae on an existing :class:`FingerAnalysis` and build the template."""
    h, w = an.work.source_shape
    return FingerTemplate(
        width=w, height=h, resolution_ppi=an.work.source_ppi,
        minutiae=_minutiae(an, max_minutiae), quality=int(quality), position=position,
        block_size=an.block,
        orientation=to_screen_angle(an.orientation.theta) % math.pi,
        coherence=an.orientation.coherence.copy(),
        ridge_period=an.period.copy(),
        mask=an.mask.copy())


def _minutiae(an: FingerAnalysis, max_minutiae: int) -> tuple[Minutia, ...]:
    """The best ``max_minutiae`` minutiae of ``an`` by quality, in the source image's
    pixels, in row-major order."""
    raw = detect_minutiae(an)
    inv = 1.0 / an.work.scale
    order = np.argsort(-raw.quality, kind="stable")[:max_minutiae]
    order = order[np.lexsort((raw.x[order], raw.y[order]))]
    # Python numbers for the whole list at once (per-element numpy scalars cost more than
    # the arithmetic)
    return tuple(
        Minutia(x, y, angle % (2 * math.pi),
                MinutiaKind.BIFURCATION if bif else MinutiaKind.ENDING, int(q))
        for x, y, angle, bif, q in zip((raw.x[order] * inv).tolist(),
                                       (raw.y[order] * inv).tolist(),
                                       raw.angle[order].tolist(),
                                       (raw.kind[order] == KIND_BIFURCATION).tolist(),
                                       raw.quality[order].tolist(), strict=True))


def extract(image: np.ndarray, ppi: int = BASE_PPI, *,
            position: FingerPosition = FingerPosition.UNKNOWN,
            max_minutiae: int = MAX_MINUTIAE) -> FingerTemplate:
    """Extract the minutiae of a finger image.

    ``image`` is a 2-D grey array (uint8, or float in 0-1 or 0-255) at ``ppi`` pixels per
    inch (other resolutions than 500 are rescaled internally; minutiae come back in the
    input image's pixels). Returns a :class:`FingerTemplate` with endings and bifurcations
    (position, ISO direction, per-minutia quality 0-100), the overall quality score, and the
    block maps (orientation, coherence, ridge period in 500 ppi pixels, foreground mask;
    blocks of ``block_size`` pixels at 500 ppi). Minutiae are detected at the scale where
    the print's ridge period is :data:`RIDGE_PERIOD_TARGET` (:func:`minutiae_scale`).

    Raises :class:`~idcapture.errors.ConfigError` when ``image`` is not a usable grey image.
    """
    return extract_analysed(image, analyse(image, ppi), position=position,
                            max_minutiae=max_minutiae)


def extract_analysed(image: np.ndarray, an: FingerAnalysis, *,
                     position: FingerPosition = FingerPosition.UNKNOWN,
                     max_minutiae: int = MAX_MINUTIAE) -> FingerTemplate:
    """:func:`extract` for an image already analysed (``an`` is ``analyse(image, ppi)``,
    e.g. the quality gate's): the same template, without analysing the image again at its
    own resolution."""
    from .quality import score_only  # late import: quality uses the extractor too

    ppi = an.work.source_ppi
    f = minutiae_scale(an)
    # minutiae on an image resampled to the target ridge period (its own ppi says so), with
    # the native block maps resampled to it; positions come back in the input's pixels,
    # the template's block maps and quality stay native
    found = an if f == 1.0 else rescaled(an, image, max(100, round(ppi / f)))
    return FingerTemplate(an.work.source_shape[1], an.work.source_shape[0], int(ppi),
                          _minutiae(found, max_minutiae), score_only(an), position, an.block,
                          to_screen_angle(an.orientation.theta) % math.pi,
                          an.orientation.coherence.copy(), an.period.copy(), an.mask.copy())
