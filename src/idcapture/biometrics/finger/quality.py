"""Finger image quality: NFIQ 2-style measures, a 0-100 score and retry reasons.

Measures are computed per foreground block (16 x 16 px at 500 ppi) from the shared
:class:`~.analysis.FingerAnalysis` and summarised over the finger area:

* ``orientation_certainty`` — OCL, ``1 - lambda_min / lambda_max`` of the gradient covariance;
* ``local_clarity`` — LCS, how well grey levels split into ridge and valley along the
  oriented signature (1 - mean misclassified share);
* ``frequency_domain`` — FDA, share of the signature's spectrum in its dominant ridge
  frequency;
* ``ridge_valley_uniformity`` — spread (standard deviation) of the ridge/valley width ratio
  across blocks (lower is more uniform), and ``ridge_fraction`` its mean ridge share;
* ``orientation_flow`` — mean change of orientation to neighbouring blocks (radians);
* ``foreground_area`` (px at 500 ppi), ``mean_grey``, ``contrast``;
* ``minutiae_count`` and ``minutiae_quality`` when a template is given;
* ``centre_offset`` and ``rotation`` of the finger area.

The score multiplies the share of "good" foreground blocks by an area term and a minutiae
term; an impression that fails one of the profile's checks (too light, too dark, smudged,
too small...) is capped just below the profile's pass score. Thresholds for the verdict
come from a :class:`~.profile.QualityProfile`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ...errors import RetryReason
from ...record import Measure, QualityReport
from .analysis import FingerAnalysis, analyse
from .image import BASE_PPI
from .profile import QualityProfile, get_profile
from .template import FingerTemplate

__all__ = ["FingerQuality", "assess", "quality"]


@dataclass
class FingerQuality:
    """The quality of one finger image: score, measures, verdict and retry reasons."""

    score: int
    passed: bool
    reasons: list[RetryReason]
    measures: dict[str, float]
    profile: QualityProfile
    verdicts: dict[str, tuple[bool, float]] = field(default_factory=dict)
    """Measure name -> (passed, threshold) for the measures the profile judges."""

    def to_report(self) -> QualityReport:
        """The :class:`~idcapture.record.QualityReport` stored in a capture record."""
        out: list[Measure] = []
        for name, value in self.measures.items():
            unit = _UNITS.get(name, "")
            passed, threshold = self.verdicts.get(name, (None, None))
            out.append(Measure(name=name, value=float(value), score=_measure_score(name, value),
                               unit=unit, passed=passed, threshold=threshold))
        return QualityReport(profile=self.profile.name, score=float(self.score),
                             passed=self.passed, measures=out,
                             reasons=[r.value for r in self.reasons])

    def to_json(self) -> dict[str, Any]:
        return {"score": self.score, "passed": self.passed, "profile": self.profile.name,
                "reasons": [r.value for r in self.reasons],
                "measures": {k: round(float(v), 4) for k, v in self.measures.items()}}


_UNITS = {"foreground_area": "px", "mean_grey": "grey level", "contrast": "grey level",
          "orientation_flow": "rad", "rotation": "deg", "minutiae_count": "minutiae",
          "ridge_period": "px"}


def _measure_score(name: str, value: float) -> float:
    """A 0-100 rendering of a measure for display."""
    ranges = {"orientation_certainty": (0.3, 0.9), "local_clarity": (0.5, 0.9),
              "frequency_domain": (0.2, 0.6), "foreground_fraction": (0.0, 0.6),
              "minutiae_quality": (0.0, 100.0)}
    if name not in ranges:
        return float("nan") if not math.isfinite(value) else 0.0
    lo, hi = ranges[name]
    return float(np.clip((value - lo) / (hi - lo), 0.0, 1.0) * 100.0)


def _block_measures(an: FingerAnalysis) -> dict[str, np.ndarray]:
    """Per-block OCL, LCS, FDA and ridge fraction (all blocks; mask applied later)."""
    coh = an.orientation.coherence
    ocl = 2.0 * coh / (1.0 + coh)
    samples = an.signatures.samples                      # (nby, nbx, lines, len)
    prof = samples.mean(axis=2)
    lo = prof.min(axis=-1, keepdims=True)
    hi = prof.max(axis=-1, keepdims=True)
    thr = 0.5 * (lo + hi)
    ridge_col = prof < thr                               # ridges are dark
    dark = samples < thr[..., None, :]
    col = np.broadcast_to(ridge_col[..., None, :], dark.shape)
    n_r = col.sum(axis=(-2, -1))
    n_v = (~col).sum(axis=(-2, -1))
    alpha = (col & ~dark).sum(axis=(-2, -1)) / np.maximum(n_r, 1)
    beta = (~col & dark).sum(axis=(-2, -1)) / np.maximum(n_v, 1)
    lcs = 1.0 - 0.5 * (alpha + beta)
    lcs = np.where((hi - lo)[..., 0] < 4.0, 0.0, lcs)     # no contrast: no clarity
    amp = np.abs(np.fft.rfft(prof - prof.mean(axis=-1, keepdims=True), axis=-1))[..., 1:]
    k_lo, k_hi = 1, amp.shape[-1] - 2                    # periods 32/2 .. 32/15 px
    band = amp[..., k_lo:k_hi + 1]
    k = np.argmax(band, axis=-1) + k_lo
    pk = np.take_along_axis(amp, k[..., None], -1)[..., 0]
    nb = (np.take_along_axis(amp, (k - 1)[..., None], -1)[..., 0]
          + np.take_along_axis(amp, (k + 1)[..., None], -1)[..., 0])
    fda = (pk + 0.3 * nb) / np.maximum(amp.sum(axis=-1), 1e-9)
    ridge_frac = ridge_col.mean(axis=-1)
    return {"ocl": ocl, "lcs": lcs, "fda": fda, "ridge": ridge_frac}


def _orientation_flow(theta: np.ndarray, mask: np.ndarray) -> float:
    c, s = np.cos(2 * theta), np.sin(2 * theta)
    diffs = []
    for dy, dx in ((0, 1), (1, 0), (1, 1), (1, -1)):
        a = (slice(max(dy, 0), None), slice(max(dx, 0), None if dx >= 0 else dx))
        b = (slice(0, theta.shape[0] - dy), slice(max(-dx, 0), theta.shape[1] - max(dx, 0)))
        both = mask[a] & mask[b]
        if both.any():
            dot = np.clip(c[a] * c[b] + s[a] * s[b], -1.0, 1.0)
            diffs.append(0.5 * np.arccos(dot[both]))
    return float(np.concatenate(diffs).mean()) if diffs else float("nan")


def _shape(mask: np.ndarray) -> tuple[float, float, float]:
    """(centre offset as a share of the half-size, rotation in degrees, elongation)."""
    ys, xs = np.nonzero(mask)
    if ys.size < 3:
        return (float("nan"), 0.0, 1.0)
    nby, nbx = mask.shape
    cy, cx = ys.mean() + 0.5, xs.mean() + 0.5
    off = max(abs(cy - nby / 2) / (nby / 2), abs(cx - nbx / 2) / (nbx / 2))
    cov = np.cov(np.stack([xs, ys]).astype(np.float64))
    evals, evecs = np.linalg.eigh(cov)
    major = evecs[:, 1]
    elong = math.sqrt(max(evals[1], 1e-9) / max(evals[0], 1e-9))
    # angle of the major axis from vertical, in (-90, 90]
    rot = math.degrees(math.atan2(major[0], major[1]))
    rot = (rot + 90.0) % 180.0 - 90.0
    return (float(off), float(rot), float(elong))


def assess(an: FingerAnalysis, template: FingerTemplate | None = None,
           profile: str | QualityProfile | Mapping[str, Any] | None = None) -> FingerQuality:
    """Quality of an analysed image (see :func:`quality`)."""
    prof = get_profile(profile)
    mask = an.mask
    bm = _block_measures(an)
    block_area = an.block * an.block
    n_fg = int(mask.sum())
    area_px = float(n_fg * block_area)
    frac = n_fg / max(mask.size, 1)
    m: dict[str, float] = {}

    def mean_of(arr: np.ndarray) -> float:
        return float(arr[mask].mean()) if n_fg else 0.0

    m["orientation_certainty"] = mean_of(bm["ocl"])
    m["local_clarity"] = mean_of(bm["lcs"])
    m["frequency_domain"] = mean_of(bm["fda"])
    m["ridge_fraction"] = mean_of(bm["ridge"])
    if n_fg:
        r = np.clip(bm["ridge"][mask], 0.05, 0.95)
        m["ridge_valley_uniformity"] = float(np.std(np.log(r / (1 - r))))
    else:
        m["ridge_valley_uniformity"] = float("nan")
    m["orientation_flow"] = _orientation_flow(an.orientation.theta, mask)
    m["ridge_period"] = mean_of(an.period)
    m["foreground_area"] = area_px
    m["foreground_fraction"] = float(frac)
    m["mean_grey"] = mean_of(an.grey_mean) if n_fg else float(an.work.pixels.mean())
    m["contrast"] = mean_of(an.grey_std) if n_fg else 0.0
    spread = float(np.percentile(an.grey_std, 90)) if an.grey_std.size else 0.0
    off, rot, elong = _shape(mask)
    m["centre_offset"] = off
    m["rotation"] = rot

    # per-block goodness -> score
    good = (np.clip((bm["ocl"] - 0.5) / 0.5, 0, 1)
            * np.clip((bm["lcs"] - 0.65) / 0.35, 0, 1)
            * np.clip((bm["fda"] - 0.2) / 0.45, 0, 1.0)) ** (1 / 3)
    good_area = float(good[mask].sum()) * block_area if n_fg else 0.0
    area_term = min(1.0, good_area / prof.full_area_px)
    score = 100.0 * area_term ** 0.7
    if template is not None:
        n_min = len(template.minutiae)
        m["minutiae_count"] = float(n_min)
        mq = [mm.quality for mm in template.minutiae]
        m["minutiae_quality"] = float(np.mean(mq)) if mq else 0.0
        score *= min(1.0, (n_min / (2.0 * prof.min_minutiae))) ** 0.5
    score_i = round(float(np.clip(score, 0, 100)))

    reasons: list[RetryReason] = []
    v: dict[str, tuple[bool, float]] = {}

    def judge(name: str, ok: bool, threshold: float, reason: RetryReason) -> None:
        v[name] = (ok, threshold)
        if not ok and reason not in reasons:
            reasons.append(reason)

    no_finger = frac < prof.no_finger_area_fraction or spread < prof.no_finger_contrast
    judge("foreground_fraction", not no_finger, prof.no_finger_area_fraction,
          RetryReason.NO_FINGER)
    if not no_finger:
        judge("foreground_area", area_px >= prof.min_area_px, prof.min_area_px,
              RetryReason.AREA_TOO_SMALL)
        light = m["mean_grey"] > prof.light_grey or m["ridge_fraction"] < prof.light_ridge_fraction
        dark = m["mean_grey"] < prof.dark_grey or m["ridge_fraction"] > prof.dark_ridge_fraction
        v["mean_grey"] = (not (light or dark), prof.light_grey if light else prof.dark_grey)
        v["ridge_fraction"] = (prof.light_ridge_fraction <= m["ridge_fraction"]
                               <= prof.dark_ridge_fraction,
                               prof.light_ridge_fraction if light else prof.dark_ridge_fraction)
        if light and not dark:
            reasons.append(RetryReason.TOO_LIGHT)
        elif dark and not light:
            reasons.append(RetryReason.TOO_DARK)
        clear = m["local_clarity"] >= prof.min_clarity
        certain = m["orientation_certainty"] >= prof.min_certainty
        v["local_clarity"] = (clear, prof.min_clarity)
        v["orientation_certainty"] = (certain, prof.min_certainty)
        if not (clear and certain) and not (light or dark):
            reasons.append(RetryReason.SMUDGED)
        if template is not None:
            judge("minutiae_count", len(template.minutiae) >= prof.min_minutiae,
                  prof.min_minutiae, RetryReason.LOW_QUALITY)
        judge("centre_offset", not off > prof.max_centre_offset, prof.max_centre_offset,
              RetryReason.OFF_CENTRE)
        rotated = elong >= prof.min_elongation_for_rotation and \
            abs(rot) > prof.max_rotation_degrees
        judge("rotation", not rotated, prof.max_rotation_degrees, RetryReason.ROTATED)
    if no_finger:
        score_i = 0
    elif reasons and score_i >= prof.pass_score:
        # a failed check is a defect of the impression: the score says so too
        score_i = max(0, math.ceil(prof.pass_score) - 1)
    passed = score_i >= prof.pass_score and not reasons
    if not passed and not reasons:
        reasons.append(RetryReason.LOW_QUALITY)
    return FingerQuality(score_i, passed, reasons, m, prof, v)


def quality(image: np.ndarray, ppi: int = BASE_PPI, *,
            profile: str | QualityProfile | Mapping[str, Any] | None = None,
            template: FingerTemplate | None = None) -> FingerQuality:
    """Score a finger image 0-100 and say what the operator should do if it fails.

    ``image`` is a 2-D grey array at ``ppi`` (rescaled to 500 ppi internally). ``profile``
    names a :data:`~.profile.PROFILES` entry, or is a :class:`~.profile.QualityProfile` or
    a mapping of overrides. Pass the ``template`` from :func:`extract` to include minutiae
    count and quality in the score (``extract`` does this itself for its ``quality``).
    Returns a :class:`FingerQuality`; ``.to_report()`` gives a record
    :class:`~idcapture.record.QualityReport` whose ``reasons`` are
    :class:`~idcapture.errors.RetryReason` values.
    """
    return assess(analyse(image, ppi), template, profile)
