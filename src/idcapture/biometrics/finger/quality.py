"""Finger image quality: NFIQ 2-style measures, a fitted 0-100 score and retry reasons.

Measures are computed from the shared :class:`~.analysis.FingerAnalysis` and summarised
over the finger area:

* ``orientation_certainty`` — OCL as NFIQ 2 defines it: ``1 - lambda_min / lambda_max`` of
  the raw gradient covariance of 32 x 32 px blocks, averaged;
* ``local_clarity`` — LCS, how well grey levels split into ridge and valley along the
  oriented signature (1 - mean misclassified share; the threshold is the least-squares
  line through the signature);
* ``frequency_domain`` — FDA, share of the signature's spectrum in its dominant ridge
  frequency;
* ``rvup_mean`` — NFIQ 2's ridge-valley uniformity (RVUP mean): width ratios of
  neighbouring ridge and valley runs pooled over the finger blocks (see
  :mod:`~.ridge_valley`); ``ridge_valley_ratio`` the mean ridge/valley share ratio per
  block, ``ridge_valley_uniformity`` its spread, ``ridge_fraction`` the mean ridge share,
  ``ridge_valley_gap`` the median grey-level gap between ridge and valley;
* ``ridge_period_confidence`` — mean confidence of the block ridge periods;
* ``orientation_flow`` — mean change of orientation to neighbouring blocks (radians);
* ``coherence_sum`` — NFIQ 2's ``OrientationMap_ROIFilter_CoherenceSum``: block coherence
  summed over the finger area, in 32 x 32 px blocks (finger area and ridge flow in one);
* ``foreground_area`` (px at 500 ppi), ``contact_area`` (mm^2), ``foreground_fraction``,
  ``contact_truncation`` (longest straight outline run / sqrt(area), see
  :class:`~.placement.ContactShape`), ``window_cut`` (1 when the sensor window's edge cuts
  the finger on one side and the opposite side is open), ``mean_grey``, ``contrast``;
* ``minutiae_count`` and ``minutiae_quality`` when a template is given;
* ``smear_share``, ``smear_echo``, ``smear_direction`` and ``ridge_snr`` — the signs of a
  smeared or blurred print (see :mod:`~.smudge`);
* ``centre_offset`` (shown, not judged) and ``rotation`` of the finger area.

The score is a logistic mapping of NFIQ 2-style measures fitted, on nine real sensors, to
rank prints as NIST NFIQ 2 does and as our comparator's genuine scores do, lowered by fitted
capture-defect terms (contact cut, faint and unclear ridges, smear; see
:mod:`~.quality_model` and the notes above :func:`score_from_features`); it is never
adjusted by the checks. The verdict needs both the
score at or above the profile's ``pass_score`` and every profile check passed; each failed
check names a :class:`~idcapture.errors.RetryReason` the operator can act on. Thresholds
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
from .blocks import median, percentile
from .image import BASE_PPI
from .orientation import gradient_coherence
from .placement import contact_shape, finger_rotation
from .profile import QualityProfile, get_profile
from .quality_model import SCORE_MODEL, ScoreModel
from .ridge_valley import ridge_runs_ratios
from .smudge import coherent_unclear_share, ridge_noise_ratio, smear_echo
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
    features: dict[str, float] = field(default_factory=dict)
    """The inputs of the score (see :func:`score_from_features`)."""

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


_UNITS = {"foreground_area": "px", "contact_area": "mm^2", "mean_grey": "grey level",
          "contrast": "grey level", "ridge_valley_gap": "grey level",
          "orientation_flow": "rad", "rotation": "deg", "smear_direction": "deg",
          "minutiae_count": "minutiae", "ridge_period": "px"}


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
    """Per finger block (the blocks of ``an.mask``, in its row-major order): LCS, FDA,
    ridge share, the ridge/valley split of the signature and its grey-level range.

    Counts instead of broadcast masks and lines summed one by one keep it to a few
    passes over the oriented samples (the same numbers as the straightforward form)."""
    sel = an.signatures.samples[an.mask]                  # (n, lines, len)
    n, n_lines, length = sel.shape
    if n == 0:
        empty = np.zeros(0)
        return {"lcs": empty, "fda": empty, "ridge": empty,
                "ridge_col": np.zeros((0, length), dtype=bool), "gap": empty}
    prof = sel[:, 0].copy()
    for i in range(1, n_lines):
        prof += sel[:, i]
    prof /= n_lines                                       # the signature
    lo, hi = prof.min(axis=-1), prof.max(axis=-1)
    mean = prof.mean(axis=-1, keepdims=True)
    # ridge/valley threshold: the least-squares line through the signature (as NFIQ 2)
    u = np.arange(length, dtype=np.float32) - 0.5 * (length - 1)
    thr = mean + (prof @ u)[:, None] / float((u * u).sum()) * u
    ridge_col = prof < thr                                # ridges are dark
    dark = np.zeros(prof.shape, np.int16)                 # dark samples per column
    for i in range(n_lines):
        dark += sel[:, i] < thr
    rc = ridge_col.astype(np.int16)
    n_r = rc.sum(axis=-1) * n_lines
    n_v = n_lines * length - n_r
    dark_in_ridge = (dark * rc).sum(axis=-1)
    alpha = (n_r - dark_in_ridge) / np.maximum(n_r, 1)    # light samples in ridge columns
    beta = (dark.sum(axis=-1) - dark_in_ridge) / np.maximum(n_v, 1)
    lcs = np.where(hi - lo < 4.0, 0.0, 1.0 - 0.5 * (alpha + beta))  # no contrast: no clarity
    amp = np.abs(np.fft.rfft(prof - mean, axis=-1))[:, 1:]
    k = np.argmax(amp[:, 1:amp.shape[-1] - 1], axis=-1) + 1  # periods 32/2 .. 32/15 px
    r = np.arange(n)
    fda = ((amp[r, k] + 0.3 * (amp[r, k - 1] + amp[r, k + 1]))
           / np.maximum(amp.sum(axis=-1), 1e-9))
    return {"lcs": lcs, "fda": fda, "ridge": ridge_col.mean(axis=-1), "ridge_col": ridge_col,
            "gap": hi - lo}


def _ocl_32(an: FingerAnalysis) -> float:
    """Mean orientation certainty (``1 - lambda_min / lambda_max`` of the raw gradient
    covariance) over 32 x 32 px blocks of the finger area, as NFIQ 2 defines OCL."""
    a, b, e = an.orientation.covariance
    nby, nbx = a.shape
    ny, nx = nby // 2 * 2, nbx // 2 * 2
    if ny == 0 or nx == 0:
        return 0.0

    def pool(x: np.ndarray) -> np.ndarray:
        out: np.ndarray = x[:ny, :nx].reshape(ny // 2, 2, nx // 2, 2).sum(axis=(1, 3))
        return out

    big_a, big_b, big_e = pool(a), pool(b), pool(e)
    inside = pool(an.mask.astype(np.float32)) >= 3        # 3 of the 4 blocks are finger
    if not inside.any():
        return 0.0
    r = np.sqrt(big_a * big_a + big_b * big_b)
    ocl = 2.0 * r / np.maximum(big_e + r, 1e-9)
    return float(ocl[inside].mean())


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


def _shape(mask: np.ndarray) -> tuple[float, float]:
    """(centre offset as a share of the half-size, elongation)."""
    ys, xs = np.nonzero(mask)
    if ys.size < 3:
        return (float("nan"), 1.0)
    nby, nbx = mask.shape
    cy, cx = ys.mean() + 0.5, xs.mean() + 0.5
    off = max(abs(cy - nby / 2) / (nby / 2), abs(cx - nbx / 2) / (nbx / 2))
    cov = np.cov(np.stack([xs, ys]).astype(np.float64))
    evals = np.linalg.eigh(cov)[0]
    elong = math.sqrt(max(evals[1], 1e-9) / max(evals[0], 1e-9))
    return (float(off), float(elong))


# --- the score ------------------------------------------------------------------------
#
# score = 100 * sigmoid(z_nfiq + z_capture), with the weights in quality_model.SCORE_MODEL.
#
# z_nfiq: a weighted sum of NFIQ 2-style measures of the print (quality_model.NFIQ_FEATURES,
# defined as the measures of the same name above: clarity = local_clarity,
# log_coherence_sum = ln coherence_sum, log_contact_area = ln contact_area in mm^2,
# period_confidence = mean confidence of the block ridge periods). Fitted on nine real
# sensors to agree in rank with NIST NFIQ 2 and with our own comparator's genuine scores,
# then scaled to NFIQ 2's 0-100 range (see benchmarks/fit_finger_quality.py).
#
# z_capture: the capture defects NFIQ 2 leaves to its actionable feedback or does not see,
# each 0 for a normal capture and growing with the defect, in absolute units so that it
# means the same on every sensor:
#   truncation    max(0, contact_truncation - 1.1): how far the outline is from a natural
#                 oval (a contact cut by a straight line; see placement.ContactShape); 1.1 is
#                 beyond 99 % of the real prints of nine sensors (a window edge that cuts a
#                 finger is how some sensors always capture, and NFIQ 2 does not mind it)
#   faintness     max(0, ln(80 / median ridge-valley grey gap)) when the mean clarity is
#                 below 0.78: a dry or light touch whose ridges barely stand out and no longer
#                 separate from the valleys; a light print with clear ridges reads well
#   smear         max(0, smeared share - 0.1): the share of finger blocks whose ridge flow
#                 stays coherent while ridges and valleys stop separating (see smudge.py)
#   smear_echo    max(0, echo of a motion smear + 0.05), counted when the smeared share is
#                 at least 0.07 (a slide leaves some streaks; see smudge.smear_echo): a slide
#                 along the ridges, which leaves few streaks
# Darkness is left to the too-dark retry reason: dark prints whose ridges read well are
# how capacitive and thermal sensors capture (NFIQ 2 rates them by their ridges), and the
# contact area enters z_nfiq (clipped only above: a smaller contact than any fitted on
# keeps lowering the score).
# Weights: logistic regression without intercept (a capture without defects keeps its
# z_nfiq score) and with weights <= 0, with z_nfiq as a fixed offset, on synthetic
# impressions labelled good (styles good, rotated) or bad (partial, dry, wet, smudged), with
# the real impressions held at their z_nfiq score so the terms cannot learn that real prints
# are bad.
_NATURAL_TRUNCATION = 1.1
_FAINT_GAP = 80.0
_FAINT_CLARITY = 0.78
_NATURAL_SMEAR = 0.1
_ECHO_MIN_SHARE = 0.07
_NATURAL_ECHO = -0.05


def nfiq_logit(features: Mapping[str, float], model: ScoreModel = SCORE_MODEL) -> float:
    """``z_nfiq``: the part of the score's logit fitted to NFIQ 2 (see above)."""
    return model.nfiq_logit(features)


def score_from_features(features: Mapping[str, float],
                        model: ScoreModel = SCORE_MODEL) -> float:
    """The 0-100 score from its input features (see above)."""
    return model.score(features)


def _log(v: float) -> float:
    return math.log(v) if v > 0 else float("-inf")


def _score_features(m: Mapping[str, float], contact: Any) -> dict[str, float]:
    """The score's inputs (see above) from the measures they rest on (names as in
    :func:`assess`'s measures); ``smear_echo`` is only read when ``smear_share`` is at least
    :data:`_ECHO_MIN_SHARE`."""
    clarity = m["local_clarity"]
    share = m["smear_share"]
    return {
        "clarity": clarity,
        "frequency_domain": m["frequency_domain"],
        "orientation_certainty": m["orientation_certainty"],
        "log_coherence_sum": _log(m["coherence_sum"]),
        "log_contact_area": _log(contact.area_mm2),
        "mean_grey": m["mean_grey"],
        "rvup_mean": m["rvup_mean"],
        "period_confidence": m["ridge_period_confidence"],
        "truncation": max(0.0, contact.truncation - _NATURAL_TRUNCATION),
        "faintness": max(0.0, math.log(_FAINT_GAP / max(m["ridge_valley_gap"], 1.0)))
        if clarity < _FAINT_CLARITY else 0.0,
        "smear": max(0.0, share - _NATURAL_SMEAR),
        "smear_echo": max(0.0, m["smear_echo"] - _NATURAL_ECHO)
        if share >= _ECHO_MIN_SHARE else 0.0,
    }


def _coherence_sum(an: FingerAnalysis) -> float:
    """Summed gradient coherence (``|covariance| / energy``) over the finger blocks, in
    units of NFIQ 2's 32 x 32 px blocks (``OrientationMap_ROIFilter_CoherenceSum``)."""
    if not an.mask.any():
        return 0.0
    coh = gradient_coherence(an.orientation.covariance)
    return float(coh[an.mask].sum()) * (an.block * an.block) / (32.0 * 32.0)


def _no_finger(an: FingerAnalysis, prof: QualityProfile) -> bool:
    frac = int(an.mask.sum()) / max(an.mask.size, 1)
    spread = percentile(an.grey_std, 90) if an.grey_std.size else 0.0
    return frac < prof.no_finger_area_fraction or spread < prof.no_finger_contrast


def _score_measures(an: FingerAnalysis, bm: Mapping[str, np.ndarray],
                    full: bool) -> dict[str, float]:
    """The measures the score rests on, over a finger area that is not empty; with
    ``full`` also the ridge signal-to-noise ratio (a retry-reason measure) and the smear
    echo (a few transforms) even when the smeared share is too small for the score to
    read it."""
    mask = an.mask
    m: dict[str, float] = {
        "orientation_certainty": _ocl_32(an),
        "local_clarity": float(bm["lcs"].mean()),
        "frequency_domain": float(bm["fda"].mean()),
        "ridge_valley_gap": median(bm["gap"]),
        "mean_grey": float(an.grey_mean[mask].mean()),
        "ridge_period_confidence": float(an.period_confidence[mask].mean()),
        "coherence_sum": _coherence_sum(an),
    }
    rvup = ridge_runs_ratios(bm["ridge_col"])
    m["rvup_mean"] = float(rvup.mean()) if rvup.size else float("nan")
    lcs = np.zeros(mask.shape)
    lcs[mask] = bm["lcs"]
    m["smear_share"] = coherent_unclear_share(an.orientation.covariance, lcs, mask)
    if full:
        m["ridge_snr"] = ridge_noise_ratio(an.signatures.samples, mask)
    if full or m["smear_share"] >= _ECHO_MIN_SHARE:
        echo = smear_echo(an.half, mask)
        m["smear_echo"], m["smear_direction"] = echo.echo, echo.direction_deg
    else:
        m["smear_echo"], m["smear_direction"] = -1.0, float("nan")
    return m


def score_inputs(an: FingerAnalysis) -> dict[str, float]:
    """The inputs of the score (:data:`~.quality_model.NFIQ_FEATURES` and
    :data:`~.quality_model.CAPTURE_FEATURES`) of an analysed image with a finger area;
    what ``benchmarks/fit_finger_quality.py`` fits on."""
    bm = _block_measures(an)
    contact = contact_shape(an.half, an.mask, an.block)
    return _score_features(_score_measures(an, bm, False), contact)


def score_only(an: FingerAnalysis,
               profile: str | QualityProfile | Mapping[str, Any] | None = None) -> int:
    """The 0-100 score of an analysed image, as :func:`assess` gives it, without the
    measures that only the retry reasons need (rotation, shape, ridge shares): what
    :func:`~.extractor.extract` stores as the template's quality."""
    prof = get_profile(profile)
    if _no_finger(an, prof):
        return 0
    return round(float(np.clip(score_from_features(score_inputs(an)), 0, 100)))


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

    if n_fg:
        m.update(_score_measures(an, bm, True))
    else:
        m.update({k: 0.0 for k in ("orientation_certainty", "local_clarity",
                                   "frequency_domain", "ridge_valley_gap", "mean_grey",
                                   "ridge_snr", "ridge_period_confidence", "coherence_sum",
                                   "smear_share")})
        m.update(rvup_mean=float("nan"), smear_echo=0.0, smear_direction=float("nan"))
    m["ridge_fraction"] = float(bm["ridge"].mean()) if n_fg else 0.0
    if n_fg:
        r = np.clip(bm["ridge"], 0.05, 0.95)
        m["ridge_valley_ratio"] = float(np.mean(r / (1.0 - r)))
        m["ridge_valley_uniformity"] = float(np.std(np.log(r / (1 - r))))
    else:
        m["ridge_valley_ratio"] = float("nan")
        m["ridge_valley_uniformity"] = float("nan")
    m["orientation_flow"] = _orientation_flow(an.orientation.theta, mask)
    m["ridge_period"] = mean_of(an.period)
    m["foreground_area"] = area_px
    contact = contact_shape(an.half, mask, an.block)
    m["contact_area"] = contact.area_mm2
    m["contact_truncation"] = contact.truncation
    off_centre = contact.off_centre(contact.area_mm2 < prof.top_cut_min_area_mm2)
    m["window_cut"] = 1.0 if off_centre else 0.0
    m["foreground_fraction"] = float(frac)
    m["contrast"] = mean_of(an.grey_std) if n_fg else 0.0
    off, elong = _shape(mask)
    rot = finger_rotation(mask, an.orientation.covariance)
    m["centre_offset"] = off
    m["rotation"] = rot
    if template is not None:
        m["minutiae_count"] = float(len(template.minutiae))
        mq = [mm.quality for mm in template.minutiae]
        m["minutiae_quality"] = float(np.mean(mq)) if mq else 0.0

    if not n_fg:
        m["mean_grey"] = float(an.work.pixels.mean())
    feats = _score_features(m, contact)
    score = score_from_features(feats)
    score_i = round(float(np.clip(score, 0, 100)))

    reasons: list[RetryReason] = []
    v: dict[str, tuple[bool, float]] = {}

    def judge(name: str, ok: bool, threshold: float, reason: RetryReason) -> None:
        v[name] = (ok, threshold)
        if not ok and reason not in reasons:
            reasons.append(reason)

    no_finger = _no_finger(an, prof)
    if no_finger:
        judge("foreground_fraction", False, prof.no_finger_area_fraction,
              RetryReason.NO_FINGER)
    else:
        judge("contact_area", contact.area_mm2 >= prof.min_area_mm2, prof.min_area_mm2,
              RetryReason.AREA_TOO_SMALL)
        judge("contact_truncation", contact.truncation <= prof.max_truncation,
              prof.max_truncation, RetryReason.AREA_TOO_SMALL)
        if prof.min_area_px > 0:
            judge("foreground_area", area_px >= prof.min_area_px, prof.min_area_px,
                  RetryReason.AREA_TOO_SMALL)
        if prof.min_area_fraction > 0:
            judge("foreground_fraction", frac >= prof.min_area_fraction,
                  prof.min_area_fraction, RetryReason.AREA_TOO_SMALL)
        # a light print whose ridges still stand out from its valleys is readable: too light
        # needs the light grey levels and either faint ridges (a small grey-level gap
        # between ridge and valley) or ridges that no longer separate (low clarity); or too
        # few ridge pixels
        faint = (m["ridge_valley_gap"] < prof.light_min_gap
                 or m["local_clarity"] < prof.light_max_clarity)
        light = (m["mean_grey"] > prof.light_grey and m["contrast"] < prof.light_max_contrast
                 and faint) or m["ridge_fraction"] < prof.light_ridge_fraction
        dark = m["mean_grey"] < prof.dark_grey or m["ridge_fraction"] > prof.dark_ridge_fraction
        v["mean_grey"] = (not (light or dark), prof.dark_grey if dark else prof.light_grey)
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
        unstreaked = m["smear_share"] <= prof.max_smear_share
        v["smear_share"] = (unstreaked, prof.max_smear_share)
        # an echo alone can come from ridges running parallel over the whole finger, or
        # from a few parallel ridges on a small contact: a smear also leaves some streaks
        no_echo = (m["smear_echo"] <= prof.max_smear_echo
                   or m["smear_share"] < prof.min_echo_smear_share)
        v["smear_echo"] = (no_echo, prof.max_smear_echo)
        unsmeared = unstreaked and no_echo
        sharp = m["ridge_snr"] >= prof.min_ridge_snr
        v["ridge_snr"] = (sharp, prof.min_ridge_snr)
        # smeared: streaks that keep a direction but no ridge-valley split (see smudge.py);
        # blurred all over: ridges drowned in noise, or neither clear nor certain
        if (not (clear or certain) or not unsmeared or not sharp) and not (light or dark):
            reasons.append(RetryReason.SMUDGED)
        if template is not None:
            judge("minutiae_count", len(template.minutiae) >= prof.min_minutiae,
                  prof.min_minutiae, RetryReason.LOW_QUALITY)
        rotated = elong >= prof.min_elongation_for_rotation and \
            abs(rot) > prof.max_rotation_degrees
        judge("rotation", not rotated, prof.max_rotation_degrees, RetryReason.ROTATED)
        # off centre only when the window's edge cuts the finger on one side: on a window
        # larger than the finger, a contact away from the middle is still whole
        judge("window_cut", not off_centre, 1.0, RetryReason.OFF_CENTRE)
    if no_finger:
        score_i = 0
    passed = score_i >= prof.pass_score and not reasons
    if not passed and not reasons:
        reasons.append(RetryReason.LOW_QUALITY)
    return FingerQuality(score_i, passed, reasons, m, prof, v, feats)


def quality(image: np.ndarray, ppi: int = BASE_PPI, *,
            profile: str | QualityProfile | Mapping[str, Any] | None = None,
            template: FingerTemplate | None = None) -> FingerQuality:
    """Score a finger image 0-100 and say what the operator should do if it fails.

    ``image`` is a 2-D grey array at ``ppi`` (rescaled to 500 ppi internally). ``profile``
    names a :data:`~.profile.PROFILES` entry, or is a :class:`~.profile.QualityProfile` or
    a mapping of overrides. Pass the ``template`` from :func:`extract` to add the minutiae
    count and quality to the measures and judge the profile's minimum minutiae count (they
    do not enter the score, which :func:`extract` stores as the template's ``quality``).
    Returns a :class:`FingerQuality`; ``.to_report()`` gives a record
    :class:`~idcapture.record.QualityReport` whose ``reasons`` are
    :class:`~idcapture.errors.RetryReason` values.
    """
    return assess(analyse(image, ppi), template, profile)
