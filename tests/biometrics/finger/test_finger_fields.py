"""Orientation, ridge period, segmentation and input checks on images with known geometry."""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest
from finger_synth import ellipse_mask, good_print, plane_wave, render

from idcapture.biometrics import finger
from idcapture.errors import ConfigError

SHAPE = (256, 256)


def _centre(a: np.ndarray) -> np.ndarray:
    return a[4:-4, 4:-4]


@pytest.mark.parametrize("angle", [0.0, 30.0, 75.0, 120.0, 160.0])
def test_orientation_of_straight_ridges(angle: float) -> None:
    img = render(plane_wave(SHAPE, 9.0, angle), np.ones(SHAPE, bool), noise=4.0)
    an = finger.analyse(img)
    est = np.degrees(_centre(an.orientation.screen))
    err = np.abs((est - angle + 90.0) % 180.0 - 90.0)
    assert float(np.median(err)) < 2.0
    assert float(err.max()) < 6.0
    assert float(_centre(an.orientation.coherence).min()) > 0.8


@pytest.mark.parametrize("period", [6.5, 9.0, 12.0])
def test_ridge_period_of_straight_ridges(period: float) -> None:
    img = render(plane_wave(SHAPE, period, 40.0), np.ones(SHAPE, bool), noise=4.0)
    an = finger.analyse(img)
    est = _centre(an.period)
    assert abs(float(np.median(est)) - period) / period < 0.04
    assert float(np.abs(est - period).max()) / period < 0.12


def test_segmentation_follows_the_finger_area() -> None:
    shape = (400, 360)
    img = good_print(shape)
    an = finger.analyse(img)
    truth = ellipse_mask(shape)
    got = an.pixel_mask
    inter = float((got & truth).sum())
    union = float((got | truth).sum())
    assert inter / union > 0.85
    # a blank sensor has no foreground at all
    assert not finger.analyse(np.full(shape, 235, np.uint8)).mask.any()


def test_other_resolutions_are_rescaled() -> None:
    img = render(plane_wave(SHAPE, 9.0, 30.0), np.ones(SHAPE, bool), noise=2.0)
    big = cv2.resize(img, (512, 512), interpolation=cv2.INTER_CUBIC)
    an = finger.analyse(big, ppi=1000)
    assert an.work.scale == pytest.approx(0.5)
    assert an.shape == (256, 256)
    assert abs(float(np.median(_centre(an.period))) - 9.0) < 0.5


@pytest.mark.parametrize("bad, ppi, code", [
    (np.zeros(100, np.uint8), 500, "bad-image"),
    (np.zeros((20, 300), np.uint8), 500, "bad-image"),
    (np.full((100, 100), np.nan), 500, "bad-image"),
    (np.array([["a"] * 80] * 80, dtype=object), 500, "bad-image"),
    (np.zeros((100, 100), np.uint8), 0, "bad-ppi"),
    (np.zeros((100, 100), np.uint8), 72.5, "bad-ppi"),
])
def test_bad_input_raises_a_typed_error(bad: np.ndarray, ppi: int, code: str) -> None:
    with pytest.raises(ConfigError) as info:
        finger.quality(bad, ppi=ppi)
    assert info.value.code == code


def test_colour_and_float_images_are_accepted() -> None:
    img = good_print((300, 260), count=6)
    a = finger.analyse(img)
    b = finger.analyse(np.dstack([img] * 3))
    c = finger.analyse(img.astype(np.float64) / 255.0)
    assert np.array_equal(a.mask, b.mask)
    assert np.allclose(a.period, c.period, atol=0.05)


def test_to_screen_angle_flips_the_y_axis() -> None:
    from idcapture.biometrics.finger.orientation import to_screen_angle
    # a step down-right in image coordinates is clockwise on screen: -45 degrees
    theta = np.array([math.atan2(1.0, 1.0)])
    assert math.degrees(float(to_screen_angle(theta)[0])) == pytest.approx(315.0)


def test_separable_gabor_pairs_equal_the_dense_bank() -> None:
    from idcapture.biometrics.finger import enhancement

    img = np.random.default_rng(3).random((60, 70)).astype(np.float32)
    bank = enhancement.gabor_bank(4.5)
    gauss, pairs = enhancement._separable_bank(4.5)
    border = cv2.BORDER_REFLECT
    flat = cv2.sepFilter2D(img, cv2.CV_32F, gauss, gauss, borderType=border)
    seen = set()
    for i, j, cx, cy, sx, sy, dc_i, dc_j in pairs:
        cc = cv2.sepFilter2D(img, cv2.CV_32F, cx, cy, borderType=border)
        ss = cv2.sepFilter2D(img, cv2.CV_32F, sx, sy, borderType=border)
        for k, sep, dc in ((i, cc - ss, dc_i), (j, cc + ss, dc_j)):
            # enhance() leaves out the DC term (its input is already zero-mean locally)
            assert abs(dc) < 0.03
            dense = cv2.filter2D(img, cv2.CV_32F, bank[k], borderType=border)
            np.testing.assert_allclose(sep - dc * flat, dense, atol=1e-4)
            seen.add(k)
    assert seen == set(range(bank.shape[0]))


def _blend_of_the_whole_bank(small: np.ndarray, theta: np.ndarray,
                             mask: np.ndarray) -> np.ndarray:
    """What enhance_small gives: every orientation filtered over the finger's bounding box
    (with a kernel's reach), each finger pixel ``r0 + frac * (r1 - r0)``, 0 elsewhere."""
    from idcapture.biometrics.finger import enhancement
    from idcapture.biometrics.finger.blocks import upsample

    n = enhancement.N_ORIENTATIONS
    inside = upsample(mask.astype(np.float32), small.shape, 8) > 0.5
    ys, xs = np.nonzero(inside)
    y0, y1, x0, x1 = ys.min() - 6, ys.max() + 7, xs.min() - 6, xs.max() + 7
    crop = np.ascontiguousarray(small[max(y0, 0):y1, max(x0, 0):x1])
    _, pairs = enhancement._separable_bank(4.5, n)
    resp = np.empty((n, *crop.shape), np.float32)
    for i, j, cx, cy, sx, sy, _a, _b in pairs:
        cc = cv2.sepFilter2D(crop, cv2.CV_32F, cx, cy, borderType=cv2.BORDER_REFLECT)
        ss = cv2.sepFilter2D(crop, cv2.CV_32F, sx, sy, borderType=cv2.BORDER_REFLECT)
        resp[i], resp[j] = cc - ss, cc + ss
    c2 = upsample(np.cos(2.0 * theta), small.shape, 8)[max(y0, 0):y1, max(x0, 0):x1]
    s2 = upsample(np.sin(2.0 * theta), small.shape, 8)[max(y0, 0):y1, max(x0, 0):x1]
    pos = cv2.phase(np.ascontiguousarray(c2), np.ascontiguousarray(s2)) \
        * np.float32(n / (2.0 * math.pi))
    b0 = pos.astype(np.int32)
    frac = pos - b0
    assert frac.dtype == np.float64
    r0 = np.take_along_axis(resp, (b0 % n)[None], 0)[0]
    r1 = np.take_along_axis(resp, ((b0 + 1) % n)[None], 0)[0]
    want = np.zeros(small.shape, np.float32)
    want[max(y0, 0):y1, max(x0, 0):x1] = r0 + frac * (r1 - r0)
    want[~inside] = 0.0
    return want


def test_enhancement_blends_the_two_nearest_orientations_exactly() -> None:
    """Each pixel of the finger takes ``r0 + frac * (r1 - r0)`` of the two bank responses
    either side of its orientation (``frac`` in float64), to the last bit; 0 outside."""
    from idcapture.biometrics.finger import enhancement

    rng = np.random.default_rng(5)
    small = rng.normal(size=(64, 80)).astype(np.float32)
    theta = rng.uniform(0, math.pi, (8, 10)).astype(np.float32)
    period = np.full((8, 10), 9.0, np.float32)
    mask = np.zeros((8, 10), bool)
    mask[1:7, 2:9] = True
    got = enhancement.enhance_small(small, theta, period, mask)
    np.testing.assert_array_equal(got, _blend_of_the_whole_bank(small, theta, mask))


def test_enhancement_filters_each_orientation_only_where_it_is_blended() -> None:
    """With a smooth orientation field most orientations are read in a band of the finger
    only; filtering them there gives the whole bank's blend (to float32 rounding: OpenCV's
    filters may round a column differently in a smaller image), with the same signs."""
    from idcapture.biometrics.finger import enhancement

    rng = np.random.default_rng(9)
    small = rng.normal(size=(96, 120)).astype(np.float32)
    yy, xx = np.mgrid[0:12, 0:15].astype(np.float32)
    for theta in (0.1 * xx, np.pi - 0.08 * yy, (0.05 * (xx + yy)) % np.pi):
        theta = theta.astype(np.float32)
        period = np.full(theta.shape, 9.0, np.float32)
        mask = np.zeros(theta.shape, bool)
        mask[2:11, 1:13] = True
        got = enhancement.enhance_small(small, theta, period, mask)
        want = _blend_of_the_whole_bank(small, theta, mask)
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-5)
        assert np.array_equal(got < 0, want < 0)
        assert np.array_equal(got == 0, want == 0)


def test_thinning_returns_the_skeletons_neighbour_codes() -> None:
    from idcapture.biometrics.finger.skeleton import neighbour_code, thin_with_codes

    img = render(plane_wave((128, 128), 9.0, 30.0), np.ones((128, 128), bool), noise=4.0)
    ridges = img < 128
    skel, codes = thin_with_codes(ridges)
    assert skel.sum() < 0.4 * ridges.sum()
    assert (skel.astype(bool) <= ridges).all()
    np.testing.assert_array_equal(codes, neighbour_code(skel))
    np.testing.assert_array_equal(skel.astype(bool), finger.thin(ridges))
    # one pixel wide: no 2x2 block of skeleton pixels
    s = skel.astype(bool)
    assert not (s[:-1, :-1] & s[1:, :-1] & s[:-1, 1:] & s[1:, 1:]).any()


def _half(px: np.ndarray) -> np.ndarray:
    hs, ws = (px.shape[0] + 1) // 2, (px.shape[1] + 1) // 2
    out: np.ndarray = cv2.resize(px.astype(np.float32), (ws, hs), interpolation=cv2.INTER_AREA)
    return out


def test_block_maps_sampled_stacked_or_alone_agree() -> None:
    """Sampling several block maps at once gives each map's own bilinear values, equal to
    the full-resolution upsampled map at those pixels."""
    from idcapture.biometrics.finger.blocks import sample_at, upsample

    rng = np.random.default_rng(3)
    maps = rng.normal(size=(3, 7, 9)).astype(np.float32)
    ys = rng.integers(0, 7 * 16, 200)
    xs = rng.integers(0, 9 * 16, 200)
    both = sample_at(maps, ys, xs)
    assert both.shape == (3, 200)
    for i in range(3):
        np.testing.assert_array_equal(both[i], sample_at(maps[i], ys, xs))
        full = upsample(maps[i], (7 * 16, 9 * 16))
        np.testing.assert_allclose(both[i], full[ys, xs], atol=1e-5)


def test_straight_sensor_window_edges_are_found_and_ridges_are_not() -> None:
    from idcapture.biometrics.finger.segmentation import window_blocks, window_edges

    shape = (400, 360)
    ys, xs = np.mgrid[0 : shape[0], 0 : shape[1]]
    # a trapezoid window: 40 px in at the top, 8 px at the bottom, white beyond it
    left = 40.0 - 32.0 * ys / shape[0]
    outside = (xs < left) | (xs > shape[1] - 1 - left)
    img = np.where(outside, 255.0, good_print(shape).astype(np.float32) - 35.0)
    img = np.clip(cv2.GaussianBlur(img, (0, 0), 1.0), 0, 255).astype(np.uint8)
    edges = window_edges(_half(img))
    assert len(edges) == 2
    inside = window_blocks(edges, _half(img).shape, (25, 23))
    # beyond the frame's left edge (the first block column at the top) nothing is inside;
    # the print's middle is
    assert not inside[:8, 0].any() and not inside[:8, -1].any()
    assert inside[:, 4:-4].all()
    # ridges, straight or curved, are no window edge
    for ridges in (good_print(shape),
                   render(plane_wave(shape, 9.0, 80.0), np.ones(shape, bool), noise=4.0),
                   render(plane_wave(shape, 9.0, 5.0), np.ones(shape, bool), noise=4.0)):
        assert window_edges(_half(ridges)) == []


def test_faint_part_of_a_print_joins_the_finger_mask_only() -> None:
    from finger_synth import minutia_sites, wavy_phase

    shape = (400, 360)
    phase = wavy_phase(shape, 9.0, minutia_sites(shape, 18))
    area = ellipse_mask(shape)
    img = render(phase, area, noise=2.0)
    # the lower half pressed lightly: 20 grey levels between ridge and valley
    img[200:] = render(phase, area, ridge=185.0, valley=205.0, noise=2.0)[200:]
    an = finger.analyse(img)
    lower = np.zeros(an.mask.shape, bool)
    lower[14:, :] = True
    share = cv2.resize(area.astype(np.float32), (an.mask.shape[1], an.mask.shape[0]),
                       interpolation=cv2.INTER_AREA)
    # the blocks well inside the finger (ridge measures weaken along its edge)
    truth = cv2.erode((share > 0.99).astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
    # the contrast reference of the dark half leaves the faint half out of ``mask`` (the
    # quality's measures read it), the enhancement and minutiae search it all the same
    assert not (an.mask & lower).any()
    assert (an.finger_mask & lower & truth).sum() >= 0.9 * (lower & truth).sum()
    # and no blank background comes with it
    assert not (an.finger_mask & (share == 0)).any()
