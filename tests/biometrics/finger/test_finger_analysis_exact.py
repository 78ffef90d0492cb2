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
    big = (rng.random(60001) * 255).astype(dtype)          # an image's worth of values
    for a in (big, big[:-1]):
        assert median(a) == float(np.median(a))
        assert percentile(a, 95) == float(np.percentile(a, 95))
    assert percentile(np.arange(5), 30) == float(np.percentile(np.arange(5), 30))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_median_of_an_image_is_numpys_whether_or_not_the_bracket_holds(dtype: type) -> None:
    # arrays large enough for the bracketed partition: skewed, tied, sorted (the bracket
    # read from every 8th value), with a NaN (the fallback) and odd and even sizes
    rng = np.random.default_rng(11)
    arrays = [np.abs(rng.standard_cauchy(90001)), np.round(rng.random(40000) * 3),
              np.sort(rng.random(20000)), np.sort(rng.random(20001))[::-1].copy(),
              np.zeros(30000), np.r_[np.zeros(20000), np.ones(20000)]]
    with_nan = rng.random(50000)
    with_nan[1234] = np.nan
    arrays.append(with_nan)
    for a in arrays:
        a = a.astype(dtype)
        got, want = median(a), float(np.median(a))
        assert got == want or (np.isnan(got) and np.isnan(want)), a.size


def test_signature_profile_is_the_mean_along_the_ridges_to_the_last_bit() -> None:
    from idcapture.biometrics.finger.frequency import RidgeSignatures

    rng = np.random.default_rng(3)
    for lines in (2, 3, 8, 11):
        samples = (rng.random((9, 13, lines, 32)) * 255).astype(np.float32)
        got = RidgeSignatures(samples).profile
        assert got.dtype == np.float32
        assert np.array_equal(got, samples.mean(axis=2)), lines


def test_block_maps_from_one_padding_are_the_padded_products() -> None:
    import cv2

    from idcapture.biometrics.finger.blocks import block_mean
    from idcapture.biometrics.finger.orientation import orientation_field
    from idcapture.biometrics.finger.segmentation import block_std

    rng = np.random.default_rng(5)
    for shape in ((123, 201), (128, 96), (97, 64)):
        px = (rng.random(shape) * 255).astype(np.float32)
        m = block_mean(px)
        plain = np.sqrt(np.maximum(block_mean(px * px) - m * m, 0.0))
        assert np.array_equal(block_std(px), plain), shape
        assert np.array_equal(block_std(px, mean=m), plain), shape
        gx = cv2.Scharr(px, cv2.CV_32F, 1, 0)
        gy = cv2.Scharr(px, cv2.CV_32F, 0, 1)
        gxx, gyy, gxy = (block_mean(a, 8) for a in (gx * gx, gy * gy, gx * gy))
        cov = orientation_field(px, 8, presmooth=0.0).covariance
        assert np.array_equal(cov, np.stack([gxx - gyy, 2.0 * gxy, gxx + gyy])), shape
