"""The finger quality score's model: ``100 * sigmoid(z_nfiq + z_capture)``.

``z_nfiq = bias + sum_i w_i * (clip(f_i, lo_i, hi_i) - mean_i) / sd_i`` over NFIQ 2-style
measures of the print (see :data:`NFIQ_FEATURES`); ``z_capture = sum_j w_j * g_j`` over
capture defects that are 0 for a normal capture and grow with the defect (see
:data:`CAPTURE_FEATURES`). The numbers are fitted by ``benchmarks/fit_finger_quality.py``
and pasted into :data:`SCORE_MODEL`; how, and what they achieve on nine real sensors, is in
docs/integrators/fingerprint-processing.md.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["CAPTURE_FEATURES", "NFIQ_FEATURES", "SCORE_MODEL", "ScoreModel"]

NFIQ_FEATURES = ("frequency_domain", "orientation_certainty", "log_coherence_sum",
                 "log_contact_area", "rvup_mean", "period_confidence")
"""The print measures of ``z_nfiq`` (defined in :mod:`~.quality`): NFIQ 2's FDA and OCL
means, ln of its coherence sum, ln of the contact area (ROI area), NFIQ 2's RVUP mean and
the mean confidence of the ridge period estimate. Mean local clarity (LCS) and the ridge
signal-to-noise ratio were tried as well: with the measures above they take no weight
(clarity's comes out negative, collinear with orientation certainty) and change no set's
figures by more than 0.01. The mean grey level of the finger area (NFIQ 2's Mu) is left
out: it took a positive weight, so a print made fainter (its grey levels pulled towards
white) scored higher, by up to 7 points on real prints; without it the held-out figures
move by at most 0.01 (Spearman) and the verdicts on every set stay the same. Lightness is
judged by the too-light and too-dark retry reasons. Per-block spreads and percentiles of
these measures, the ridge-valley grey-level gap, the block contrast, the ridge period and
the minutiae count were tried as further measures (see
docs/integrators/fingerprint-processing.md): none moves a set's held-out Spearman by more
than 0.02."""

CAPTURE_FEATURES = ("truncation", "faintness", "smear", "smear_echo")
"""The capture defects of ``z_capture`` (defined in :mod:`~.quality`)."""


@dataclass(frozen=True)
class ScoreModel:
    """Weights of the score. ``nfiq`` rows: (name, weight, mean, sd, lo, hi), with the
    feature clipped to ``[lo, hi]`` (the range it was fitted on: the score never
    extrapolates); ``capture`` rows: (name, weight per unit of the defect, <= 0)."""

    nfiq: tuple[tuple[str, float, float, float, float, float], ...]
    bias: float
    capture: tuple[tuple[str, float], ...]

    def nfiq_logit(self, features: Mapping[str, float]) -> float:
        """``z_nfiq``; a missing or non-finite measure counts as its worst fitted value."""
        z = self.bias
        for name, w, mu, sd, lo, hi in self.nfiq:
            v = features.get(name, math.nan)
            if not math.isfinite(v):
                v = lo if w > 0 else hi
            z += w * (min(max(v, lo), hi) - mu) / sd
        return z

    def logit(self, features: Mapping[str, float]) -> float:
        """``z_nfiq + z_capture``; a non-finite defect counts as a large one."""
        z = self.nfiq_logit(features)
        for name, w in self.capture:
            v = features[name]
            z += w * (v if math.isfinite(v) else 10.0)
        return z

    def score(self, features: Mapping[str, float]) -> float:
        """The 0-100 score (not rounded)."""
        z = self.logit(features)
        return 100.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))


# Fitted by benchmarks/fit_finger_quality.py on the nine real sets of ../shared/data and the
# synthetic impressions it names (see its docstring); rerun it to refit.
SCORE_MODEL = ScoreModel(
    nfiq=(
        ("frequency_domain", 0.0414, 0.3621, 0.0359, 0.2383, 0.4553),
        ("orientation_certainty", 0.2467, 0.7694, 0.1047, 0.4228, 0.9371),
        ("log_coherence_sum", 0.2608, 3.8110, 0.4381, 2.5368, 4.9578),
        ("log_contact_area", 0.1181, 5.2258, 0.3413, 0.0000, 6.1758),
        ("rvup_mean", -0.0374, 1.1688, 0.0852, 1.0176, 1.5279),
        ("period_confidence", 0.1969, 0.7667, 0.0834, 0.4056, 0.9147),
    ),
    bias=-0.3290,
    capture=(
        ("truncation", -22.1954),
        ("faintness", -2.5330),
        ("smear", -8.3792),
        ("smear_echo", -35.8859),
    ),
)
