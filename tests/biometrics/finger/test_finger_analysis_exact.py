"""The analysis' quicker building blocks give numpy's and OpenCV's plain results bit for bit."""

from __future__ import annotations

import numpy as np
import pytest

from idcapture.biometrics.finger.blocks import median, percentile


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_percentile_and_median_are_numpys_to_the_last_bit(dtype: type) -> None:
    rng = np.random.default_rng(7)
    for trial in range(400):
        n = int(rng.integers(1, 2500))
        a = (rng.random(n) * rng.choice([1.0, 60.0, 1e4])).astype(dtype)
        if trial % 4 == 0:
            a = np.round(a)                       # ties
        a = a.reshape(-1, 1) if trial % 2 else a
        for q in (0, 10, 50, 90, 95, 100, float(rng.random() * 100)):
            assert percentile(a, q) == float(np.percentile(a, q)), (n, q)
        assert median(a) == float(np.median(a)), n
    assert percentile(np.arange(5), 30) == float(np.percentile(np.arange(5), 30))
