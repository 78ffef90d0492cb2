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


def test_signature_profile_is_the_mean_along_the_ridges_to_the_last_bit() -> None:
    from idcapture.biometrics.finger.frequency import RidgeSignatures

    rng = np.random.default_rng(3)
    for lines in (2, 3, 8, 11):
        samples = (rng.random((9, 13, lines, 32)) * 255).astype(np.float32)
        got = RidgeSignatures(samples).profile
        assert got.dtype == np.float32
        assert np.array_equal(got, samples.mean(axis=2)), lines


def test_block_spread_from_a_given_mean_is_the_same() -> None:
    from idcapture.biometrics.finger.blocks import block_mean
    from idcapture.biometrics.finger.segmentation import block_std

    px = (np.random.default_rng(5).random((123, 201)) * 255).astype(np.float32)
    assert np.array_equal(block_std(px, mean=block_mean(px)), block_std(px))
