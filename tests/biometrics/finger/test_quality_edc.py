"""Error-versus-discard characteristic: the curve, its threshold and its input checks."""

from __future__ import annotations

import numpy as np
import pytest

from idcapture.biometrics.finger.compare_eval import error_rates, fvc_pairs
from idcapture.biometrics.finger.quality_edc import edc, threshold_at_fmr
from idcapture.errors import ConfigError


def _set(rng: np.random.Generator, bad: set[int]) -> tuple[np.ndarray, np.ndarray,
                                                           np.ndarray, np.ndarray]:
    """10 fingers x 4 impressions; comparisons that involve a ``bad`` print score low."""
    stems = [f"{f}_{i}" for f in range(101, 111) for i in range(1, 5)]
    gen, imp = fvc_pairs(stems)[0], fvc_pairs(stems, all_impostors=True)[1]
    pairs = np.array(gen)
    g = rng.uniform(40, 90, len(pairs))
    hit = np.array([i in bad or j in bad for i, j in gen])
    g[hit] = rng.uniform(5, 20, int(hit.sum()))
    im = rng.uniform(0, 30, len(imp))
    return pairs, g, im, hit


def test_discarding_the_prints_that_fail_cuts_the_fnmr() -> None:
    rng = np.random.default_rng(3)
    bad = {0, 9, 22, 37}                       # 10 % of the 40 prints
    pairs, g, im, hit = _set(rng, bad)
    quality = rng.uniform(50, 90, 40)
    quality[list(bad)] = [5, 10, 15, 20]
    curve = edc(quality, pairs, g, im, (0.0, 0.05, 0.1, 0.2))
    # the first point is the comparator's FNMR at FMR 1e-3 before any discard
    assert curve.fnmr[0] == pytest.approx(error_rates(g, im).fmr1000)
    assert curve.fnmr[0] == pytest.approx(hit.mean())
    assert curve.fnmr[2] == 0.0 and curve.reduction(0.1) == 1.0
    assert curve.fnmr[0] > curve.fnmr[1] > curve.fnmr[2]
    assert curve.genuine_left[0] == len(pairs) > curve.genuine_left[3]
    # a quality that says nothing about the errors cuts nothing on average
    blind = [edc(rng.uniform(0, 1, 40), pairs, g, im).reduction(0.1) for _ in range(40)]
    assert abs(float(np.mean(blind))) < 0.15
    # the reverse order discards the good prints: the FNMR rises
    assert edc(-quality, pairs, g, im).reduction(0.1) < 0


def test_threshold_and_checks() -> None:
    im = np.arange(1000, dtype=float)           # 0 .. 999
    assert threshold_at_fmr(im, 1e-3) == 999.0   # one impostor of 1000 at or above
    assert threshold_at_fmr(im, 0.0) == float("inf")
    assert threshold_at_fmr(im, 0.0, [1200.0, 998.5]) == 1200.0
    assert threshold_at_fmr(im, 1e-3, [998.5]) == 998.5   # a genuine score in between
    pairs = np.array([[0, 1]])
    with pytest.raises(ConfigError):
        edc([1.0], pairs, [50.0], im)          # pair names print 1, which has no quality
    with pytest.raises(ConfigError):
        edc([1.0, 2.0], pairs, [50.0, 60.0], im)
    with pytest.raises(ConfigError):
        edc([1.0, 2.0], pairs, [50.0], im, fractions=(0.0, 1.0))
    with pytest.raises(ConfigError):
        threshold_at_fmr([], 1e-3)
    assert edc([1.0, 2.0], pairs, [50.0], im).reduction(0.1) == 0.0   # no error to cut
