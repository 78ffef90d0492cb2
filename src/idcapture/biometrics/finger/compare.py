"""1:1 fingerprint comparison over minutiae templates, with a calibrated score.

    from idcapture.biometrics.finger import compare
    a = compare.prepare(template_a)          # once per template (cylinders, ~5 ms)
    score = compare.compare(a, template_b)   # 0-100; 40 ~ false-match rate 1e-4

Templates are :class:`~.template.FingerTemplate` objects, from our extractor or from an
ISO/IEC 19794-2 or ANSI INCITS 378 record (``MinutiaeRecord.to_templates()``); all
geometry runs at 500 ppi, so the template's resolution must be right.

The comparator is Minutia Cylinder-Code (bit cylinders, :mod:`.mcc`) with MCC's
relaxation and a global consolidation step (:mod:`.compare_core`). The **score** is
``-10 * log10(FMR)`` where FMR is the false-match rate estimated at that raw similarity
(so 20 ~ FMR 1 %, 30 ~ 0.1 %, 40 ~ 0.01 %, 50 ~ 0.001 %), capped at 100; see
:data:`CALIBRATION` for how the estimate was made and its limits.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ...errors import ConfigError
from .compare_core import (
    DEFAULT_CONSOLIDATION,
    ConsolidationParams,
    GalleryArrays,
    concat_galleries,
    disc_cells,
    raw_scores,
    raw_scores_paired,
    stack_gallery,
)
from .mcc import DEFAULT_PARAMS, CylinderSet, MccParams, cylinders
from .template import FingerTemplate
from .texture import CylinderTexture, cylinder_texture

__all__ = [
    "CALIBRATION",
    "MATCH_THRESHOLD",
    "MAX_CYLINDERS",
    "MAX_MINUTIAE_PAIRED",
    "PreparedTemplate",
    "compare",
    "compare_many",
    "compare_pairs",
    "fmr_at_score",
    "prepare",
    "raw_pairs",
    "raw_similarity",
    "score_from_raw",
    "threshold_for_fmr",
]

MAX_CYLINDERS = 36
"""Cylinders kept per template (the best by minutia quality)."""

MAX_MINUTIAE_PAIRED = 48
"""Minutiae per template used by the global pairing step (the best by quality)."""

MATCH_THRESHOLD = 40.0
"""Default decision threshold: score 40 ~ estimated false-match rate 1e-4 per comparison."""


@dataclass(frozen=True)
class Calibration:
    """Raw similarity -> estimated false-match rate.

    ``anchors`` are (raw similarity, FMR) points, FMR interpolated in log scale between
    them. Down to FMR 3e-4 they are read from the pooled impostors of nine real sets, one
    per sensor (FVC2000 DB1/DB3/DB4, FVC2002 DB1-DB4, FVC2004 DB2/DB3, set B: every pair of
    different fingers, both directions, 51,840 directed pairs, our extractor at each
    set's resolution). Below, each anchor is the more conservative of two tail estimates:
    an exponential fitted to the real impostors above their 1e-3 quantile (peaks over
    threshold), and the *shape* of the tail of 600,000 synthetic impostor pairs
    (extracted synthetic impressions and flow-field minutiae templates against 5,000
    flow-field templates, :mod:`idcapture.synth.templates`) scaled to the real impostors at 1e-3;
    beyond 1e-5 the tail is extrapolated as ``FMR = fmr_last * exp(-(raw - raw_last) /
    beta)``. Checked on the symmetric scores of the 25,920 pooled impostor pairs: none
    reaches 40 (2.6 expected at FMR 1e-4) or 50 (the highest 37.5); scored by the
    calibration fitted without their own set (leave-one-set-out), none either (the
    highest 39.5). Fitted with the texture cylinders fused in (:mod:`.texture`). Scores
    above ~35 remain estimates resting on the fitted tail, not measurements.
    ``benchmarks/fit_finger_calibration.py`` remeasures the samples, prints new anchors
    and the checks (to be redone whenever the extractor or the comparator changes).
    """

    anchors: tuple[tuple[float, float], ...]
    beta: float
    source: str

    def fmr(self, raw: npt.ArrayLike) -> np.ndarray:
        r = np.asarray(raw, dtype=np.float64)
        xs = np.array([a[0] for a in self.anchors])
        ys = np.log10(np.array([a[1] for a in self.anchors]))
        inner = 10.0 ** np.interp(r, xs, ys)
        tail = self.anchors[-1][1] * np.exp(-(r - xs[-1]) / self.beta)
        return np.asarray(np.where(r > xs[-1], tail, inner))


CALIBRATION = Calibration(
    anchors=((0.0, 1.0), (0.00007, 0.5), (0.00030, 0.2), (0.00063, 0.1), (0.00112, 0.05),
             (0.00199, 0.02), (0.00272, 0.01), (0.00408, 3e-3), (0.00539, 1e-3),
             (0.00676, 3e-4), (0.01049, 1e-4), (0.01216, 3e-5), (0.01575, 1e-5)),
    beta=0.00228,
    source="impostors of nine FVC sets (51,840 directed pairs) to FMR 3e-4; below, the "
           "heavier of their exponential tail and the tail shape of 600,000 synthetic "
           "impostor pairs scaled to them (x3.81); exponential beyond "
           "(benchmarks/fit_finger_calibration.py)")


def score_from_raw(raw: npt.ArrayLike) -> np.ndarray:
    """Calibrated score ``-10 log10(FMR)`` (0-100) for raw similarities."""
    f = np.maximum(CALIBRATION.fmr(raw), 1e-10)
    return np.asarray(np.clip(-10.0 * np.log10(f), 0.0, 100.0) + 0.0)  # no -0.0


def fmr_at_score(score: float) -> float:
    """Estimated false-match rate per comparison at ``score`` (``10 ** (-score / 10)``)."""
    return float(10.0 ** (-float(score) / 10.0))


def threshold_for_fmr(fmr: float) -> float:
    """The score threshold for a target false-match rate per comparison."""
    if not 0.0 < fmr <= 1.0:
        raise ConfigError(f"false-match rate must be in (0, 1], got {fmr!r}", "bad-fmr")
    return -10.0 * math.log10(fmr)


@dataclass(frozen=True)
class PreparedTemplate:
    """A template with its cylinders computed, ready for many comparisons (``texture``:
    the texture cylinders of the same minutiae, ``None`` for a template without block
    maps)."""

    cylinders: CylinderSet
    xy: npt.NDArray[np.float32]
    angle: npt.NDArray[np.float32]
    width: int
    height: int
    resolution_ppi: int
    arrays: GalleryArrays
    texture: CylinderTexture | None = None

    @property
    def minutiae_count(self) -> int:
        return int(self.cylinders.minutiae_count)

    def __len__(self) -> int:
        return len(self.cylinders)


def _check_template(t: object) -> FingerTemplate:
    if not isinstance(t, FingerTemplate):
        raise ConfigError(f"expected a FingerTemplate, got {type(t).__name__}", "bad-template")
    if not 100 <= int(t.resolution_ppi or 500) <= 5000:
        raise ConfigError(f"template resolution {t.resolution_ppi} ppi is not usable",
                          "bad-template")
    return t


def prepare(template: FingerTemplate | PreparedTemplate,
            params: MccParams = DEFAULT_PARAMS) -> PreparedTemplate:
    """Compute the cylinders of ``template`` (the expensive, once-per-template part)."""
    if isinstance(template, PreparedTemplate):
        return template
    t = _check_template(template)
    order = sorted(range(len(t.minutiae)), key=lambda i: -t.minutiae[i].quality)
    best = FingerTemplate(t.width, t.height, t.resolution_ppi,
                          tuple(t.minutiae[i] for i in order), t.quality, t.position,
                          t.block_size, t.orientation, t.coherence, t.ridge_period, t.mask)
    cs = cylinders(best, params, limit=MAX_CYLINDERS)
    if len(cs) > MAX_CYLINDERS:
        sel = slice(0, MAX_CYLINDERS)
        cs = CylinderSet(cs.xy[sel], cs.angle[sel], cs.kind[sel], cs.bits[sel], cs.valid[sel],
                         cs.index[sel], cs.minutiae_count)
    arr = best.as_array()[:MAX_MINUTIAE_PAIRED]
    scale = 500.0 / float(t.resolution_ppi or 500)
    xy = np.stack([arr[:, 0] * scale, -arr[:, 1] * scale], 1).astype(np.float32) \
        if len(arr) else np.zeros((0, 2), np.float32)
    ang = (arr[:, 2] % (2 * math.pi)).astype(np.float32)
    tex = cylinder_texture(best, cs)
    arrays = stack_gallery([(cs, xy, ang)], params, k=max(len(cs), 1), k_all=max(len(xy), 1),
                           textures=[tex])
    return PreparedTemplate(cs, xy, ang, t.width, t.height, int(t.resolution_ppi or 500),
                            arrays, tex)


def gallery_arrays(items: list[PreparedTemplate], params: MccParams = DEFAULT_PARAMS
                   ) -> GalleryArrays:
    """Stack prepared templates into one batch for :func:`compare_many` (from each
    template's own kernel arrays, made when it was prepared)."""
    rows = len(disc_cells(params)) * params.nd
    if all(p.arrays.cells == rows for p in items):
        return concat_galleries([p.arrays for p in items], MAX_CYLINDERS, MAX_MINUTIAE_PAIRED)
    return stack_gallery([(p.cylinders, p.xy, p.angle) for p in items], params,
                         k=MAX_CYLINDERS, k_all=MAX_MINUTIAE_PAIRED,
                         textures=[p.texture for p in items])


def raw_similarity(a: FingerTemplate | PreparedTemplate, b: FingerTemplate | PreparedTemplate,
                   params: MccParams = DEFAULT_PARAMS,
                   cparams: ConsolidationParams = DEFAULT_CONSOLIDATION) -> float:
    """Uncalibrated similarity 0-1 (mean of both directions)."""
    pa, pb = prepare(a, params), prepare(b, params)
    ab = raw_scores(pa.arrays, pb.arrays, params, cparams)[0]
    ba = raw_scores(pb.arrays, pa.arrays, params, cparams)[0]
    return float(0.5 * (ab + ba))


def compare(a: FingerTemplate | PreparedTemplate, b: FingerTemplate | PreparedTemplate,
            params: MccParams = DEFAULT_PARAMS) -> float:
    """Calibrated similarity score 0-100 of two templates (symmetric).

    Scores at or above :data:`MATCH_THRESHOLD` (40) mean "same finger" at an estimated
    false-match rate of 1e-4 per comparison; see :func:`threshold_for_fmr`.
    """
    return float(score_from_raw(raw_similarity(a, b, params)))


def compare_many(probe: FingerTemplate | PreparedTemplate,
                 gallery: GalleryArrays | list[PreparedTemplate],
                 params: MccParams = DEFAULT_PARAMS) -> np.ndarray:
    """Scores (0-100) of one probe against a batch, in one vectorised call.

    ``gallery`` is a list of prepared templates or, faster for repeated searches, the
    :class:`GalleryArrays` made once by :func:`gallery_arrays`. Scores are from the
    probe's side only (see :func:`compare` for the symmetric form).
    """
    p = prepare(probe, params)
    g = gallery if isinstance(gallery, GalleryArrays) else gallery_arrays(list(gallery), params)
    return score_from_raw(raw_scores(p.arrays, g, params))


PAIRS_PER_CALL = 32
"""Pairs per kernel call of :func:`compare_pairs` (small enough for its arrays, ~1.5 MB
each, to stay in the caches)."""


def compare_pairs(probes: Sequence[FingerTemplate | PreparedTemplate],
                  references: Sequence[FingerTemplate | PreparedTemplate],
                  params: MccParams = DEFAULT_PARAMS) -> np.ndarray:
    """Scores (0-100) of ``probes[i]`` against ``references[i]``, for every ``i``, in
    batched calls of :data:`PAIRS_PER_CALL` pairs: many probes, each with its own few
    candidates (list a probe once per candidate), without :func:`compare_many`'s fixed
    cost per probe. Each score is the one ``compare_many(probes[i], [references[i]])``
    gives (from the probe's side; the mean of both directions' raw similarities, as
    :func:`compare` scores, needs the pairs both ways round and :func:`score_from_raw`).
    """
    return score_from_raw(raw_pairs(probes, references, params))


def raw_pairs(probes: Sequence[FingerTemplate | PreparedTemplate],
              references: Sequence[FingerTemplate | PreparedTemplate],
              params: MccParams = DEFAULT_PARAMS) -> np.ndarray:
    """Raw similarities (0-1) behind :func:`compare_pairs`."""
    if len(probes) != len(references):
        raise ConfigError(f"{len(probes)} probes for {len(references)} references",
                          "bad-template")
    pp = [prepare(p, params) for p in probes]
    rr = [prepare(r, params) for r in references]
    out = np.zeros(len(pp), np.float64)
    for s in range(0, len(pp), PAIRS_PER_CALL):
        e = s + PAIRS_PER_CALL
        out[s:e] = raw_scores_paired([p.arrays for p in pp[s:e]],
                                     [r.arrays for r in rr[s:e]], params,
                                     k=MAX_CYLINDERS, k_all=MAX_MINUTIAE_PAIRED)
    return out
