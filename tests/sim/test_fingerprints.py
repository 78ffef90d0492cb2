"""Synthetic fingerprints: determinism, ground truth, ridge period, impression styles."""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest

from idcapture.errors import ConfigError
from idcapture.synth.fingerprints import (
    FingerClass,
    ImpressionParams,
    ImpressionStyle,
    MasterPrint,
    MinutiaKind,
    generate_master,
    make_impression,
)
from idcapture.synth.fingerprints.master import BORDER_PERIODS
from idcapture.synth.fingerprints.minutiae import extract_minutiae, thin


@pytest.fixture(scope="module")
def master() -> MasterPrint:
    return generate_master(4, FingerClass.LEFT_LOOP)


def _edge_distance(mask: np.ndarray) -> np.ndarray:
    padded = np.pad(mask, 1).astype(np.uint8)
    return cv2.distanceTransform(padded, cv2.DIST_L2, cv2.DIST_MASK_PRECISE)[1:-1, 1:-1]


def _angle_diff(a: float, b: float) -> float:
    return abs((a - b + math.pi) % (2 * math.pi) - math.pi)


# --- determinism --------------------------------------------------------------------

def test_same_seed_gives_byte_identical_master_and_impression(master: MasterPrint) -> None:
    again = generate_master(4, FingerClass.LEFT_LOOP)
    assert again.ridges.tobytes() == master.ridges.tobytes()
    assert again.minutiae == master.minutiae
    a = make_impression(master, 9, ImpressionStyle.DRY)
    b = make_impression(again, 9, ImpressionStyle.DRY)
    assert a.image.tobytes() == b.image.tobytes()
    assert a.minutiae == b.minutiae
    c = make_impression(master, 10, ImpressionStyle.DRY)
    assert c.image.tobytes() != a.image.tobytes()


def test_different_seeds_give_different_masters(master: MasterPrint) -> None:
    other = generate_master(5, FingerClass.LEFT_LOOP)
    assert float(np.mean(np.abs(other.ridges - master.ridges))) > 0.2


# --- master ground truth ------------------------------------------------------------

@pytest.mark.parametrize("seed,cls", [(0, FingerClass.WHORL), (1, FingerClass.RIGHT_LOOP),
                                      (2, FingerClass.ARCH), (3, FingerClass.TENTED_ARCH)])
def test_master_minutiae_count_is_realistic_and_none_at_the_border(
        seed: int, cls: FingerClass) -> None:
    m = generate_master(seed, cls)
    assert m.shape == (500, 400)
    assert 25 <= len(m.minutiae) <= 80
    kinds = {x.kind for x in m.minutiae}
    assert kinds == {MinutiaKind.ENDING, MinutiaKind.BIFURCATION}
    edge = _edge_distance(m.mask)
    limit = BORDER_PERIODS * m.mean_period
    for x in m.minutiae:
        assert edge[int(x.y), int(x.x)] >= limit - 1.0
        assert 0.0 <= x.angle < 2 * math.pi


def test_minutiae_lie_on_the_ridge_pattern(master: MasterPrint) -> None:
    skel = thin(master.ridge_distance > 0)
    near = cv2.dilate(skel.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
    on = [near[int(m.y), int(m.x)] for m in master.minutiae]
    assert all(on)


def test_singular_points_match_the_class() -> None:
    for cls, cores, deltas in [(FingerClass.ARCH, 0, 0), (FingerClass.TENTED_ARCH, 1, 1),
                               (FingerClass.LEFT_LOOP, 1, 1), (FingerClass.WHORL, 2, 2)]:
        sp = generate_master(21, cls, size=(200, 160)).singular_points
        assert (len(sp.cores), len(sp.deltas)) == (cores, deltas)
    left = generate_master(22, FingerClass.LEFT_LOOP, size=(200, 160)).singular_points
    right = generate_master(22, FingerClass.RIGHT_LOOP, size=(200, 160)).singular_points
    assert left.deltas[0][0] > left.cores[0][0]
    assert right.deltas[0][0] < right.cores[0][0]


def _bars(h: int = 80, w: int = 120) -> np.ndarray:
    img = np.zeros((h, w), bool)
    for y0 in range(6, h - 6, 10):
        img[y0:y0 + 4, :] = True
    return img


def test_minutia_directions_follow_the_iso_convention() -> None:
    # horizontal ridges; the ridge at rows 36-39 stops at x = 60 and continues to the right
    img = _bars()
    img[36:40, :60] = False
    orient = np.zeros(img.shape, np.float32)
    valid = np.zeros(img.shape, bool)
    valid[20:60, 20:100] = True
    found = extract_minutiae(img, orient, valid, period=10.0)
    assert len(found) == 1 and found[0].kind is MinutiaKind.ENDING
    assert abs(found[0].x - 60) <= 2 and abs(found[0].y - 37.5) <= 1.5
    assert _angle_diff(found[0].angle, 0.0) < 0.2  # points into the ridge: +x

    # the mirror image: ridge on the left of its end, so the angle is pi
    found = extract_minutiae(img[:, ::-1].copy(), orient, valid[:, ::-1].copy(), period=10.0)
    assert len(found) == 1 and _angle_diff(found[0].angle, math.pi) < 0.2

    # vertical ridge going up from its end: angle pi/2 (counter-clockwise on screen)
    vert = np.ascontiguousarray(img.T[::-1, :])
    found = extract_minutiae(vert, np.full(vert.shape, math.pi / 2, np.float32),
                             np.ascontiguousarray(valid.T[::-1, :]), period=10.0)
    assert len(found) == 1 and _angle_diff(found[0].angle, math.pi / 2) < 0.2


def test_bifurcation_points_between_its_branches() -> None:
    # a ridge coming from the left forks at x = 60 into two branches going right (the
    # skeleton joins a little further right, where the valley between them opens)
    canvas = np.zeros((80, 120), np.uint8)
    cv2.line(canvas, (0, 40), (60, 40), 1, 3)
    cv2.line(canvas, (60, 40), (119, 22), 1, 3)
    cv2.line(canvas, (60, 40), (119, 58), 1, 3)
    img = canvas.astype(bool)
    found = extract_minutiae(img, np.zeros(img.shape, np.float32),
                             np.pad(np.ones((40, 80), bool), 20), period=10.0)
    bifs = [m for m in found if m.kind is MinutiaKind.BIFURCATION]
    assert len(bifs) == 1 and 58 <= bifs[0].x <= 68 and abs(bifs[0].y - 40) <= 2
    assert _angle_diff(bifs[0].angle, 0.0) < 0.3  # towards the branches, away from the stem


# --- ridge period -------------------------------------------------------------------

def _fft_period(patch: np.ndarray) -> float:
    n = patch.shape[0]
    win = np.outer(np.hanning(n), np.hanning(n))
    spec = np.abs(np.fft.fftshift(np.fft.fft2((patch - patch.mean()) * win))) ** 2
    yy, xx = np.mgrid[0:n, 0:n] - n // 2
    r = np.hypot(yy, xx)
    radial = np.bincount(np.rint(r).astype(int).ravel(), spec.ravel())
    radial[:3] = 0
    k = int(np.argmax(radial[: n // 2]))
    # parabolic refinement of the peak
    a, b, c = radial[k - 1], radial[k], radial[k + 1]
    k_ref = k + 0.5 * (a - c) / (a - 2 * b + c)
    return n / k_ref


@pytest.mark.parametrize("period", [8.5, 10.5])
def test_ridge_period_measured_by_fft_matches_the_request(period: float) -> None:
    # one 128 px patch's spectral peak moves by 10-20 % with the local curvature of the
    # flow, so the rendered period is the median over four masters
    measured = []
    for seed in (30, 31, 32, 33):
        m = generate_master(seed, FingerClass.ARCH, period=period)
        imp = make_impression(m, 1, params=ImpressionParams(noise=0.2))
        h, w = imp.shape
        patch = imp.image[h // 2 - 64:h // 2 + 64, w // 2 - 64:w // 2 + 64].astype(
            np.float64)
        measured.append(_fft_period(patch))
    assert float(np.median(measured)) == pytest.approx(period, rel=0.1)


# --- impressions --------------------------------------------------------------------

def test_truth_follows_rigid_placement_exactly(master: MasterPrint) -> None:
    rot, dx, dy = 17.0, 12.0, -7.0
    imp = make_impression(master, 2, params=ImpressionParams(
        dx=dx, dy=dy, rotation_deg=rot, noise=0.0, contact=1.0))
    h, w = master.shape
    c, s = math.cos(math.radians(rot)), math.sin(math.radians(rot))
    expected = {}
    for m in master.minutiae:
        ax, ay = m.x - w / 2, m.y - h / 2
        expected[(round(c * ax + s * ay + w / 2 + dx, 3), round(-s * ax + c * ay + h / 2 + dy, 3))
                 ] = m.angle + math.radians(rot)
    assert len(imp.minutiae) >= 0.8 * len(master.minutiae)
    for t in imp.minutiae:
        key = min(expected, key=lambda k: (k[0] - t.x) ** 2 + (k[1] - t.y) ** 2)
        assert math.hypot(key[0] - t.x, key[1] - t.y) < 1e-3
        assert _angle_diff(t.angle, expected[key]) < 1e-3


@pytest.mark.parametrize("rotation,distortion", [(0.0, 0.0), (25.0, 6.0), (-35.0, 8.0)])
def test_truth_matches_minutiae_found_on_the_rendered_impression(
        master: MasterPrint, rotation: float, distortion: float) -> None:
    imp = make_impression(master, 1, params=ImpressionParams(
        dx=7, dy=-9, rotation_deg=rotation, distortion=distortion, noise=0.0))
    inner = _edge_distance(imp.mask) > 8
    binary = (imp.image < 127) & imp.mask
    found = extract_minutiae(binary, np.zeros(binary.shape, np.float32), inner,
                             master.mean_period)
    truth = np.array([(t.x, t.y) for t in imp.minutiae if inner[round(t.y), round(t.x)]])
    got = np.array([(f.x, f.y) for f in found])
    assert len(truth) >= 20
    dist = np.sqrt(((truth[:, None, :] - got[None, :, :]) ** 2).sum(-1)).min(axis=1)
    assert np.mean(dist < 2.5) >= 0.8
    assert np.median(dist) <= 1.5


def test_dry_is_lighter_with_thinner_ridges_and_wet_darker_with_thicker(
        master: MasterPrint) -> None:
    common = {"dx": 0.0, "dy": 0.0, "rotation_deg": 0.0, "contact": 1.0, "noise": 0.1}
    imps = {name: make_impression(master, 3, params=ImpressionParams(pressure=p, **common))
            for name, p in (("dry", -0.85), ("good", 0.0), ("wet", 0.85))}
    core = imps["dry"].mask & imps["good"].mask & imps["wet"].mask
    core &= _edge_distance(core) > 20
    means = {k: float(v.image[core].mean()) for k, v in imps.items()}
    assert means["dry"] > means["good"] + 30 > means["wet"] + 60
    # ridge share: pixels darker than the midpoint of each image's own grey range
    share = {}
    for k, v in imps.items():
        vals = v.image[core].astype(np.float64)
        lo, hi = np.percentile(vals, [2, 98])
        share[k] = float(np.mean(vals < (lo + hi) / 2))
    assert share["dry"] + 0.08 < share["good"] < share["wet"] - 0.08


def test_partial_contact_has_a_smaller_foreground_and_truth_inside_it(
        master: MasterPrint) -> None:
    good = make_impression(master, 4, ImpressionStyle.GOOD)
    part = make_impression(master, 4, ImpressionStyle.PARTIAL)
    assert 0.35 <= part.params.contact <= 0.55
    assert part.mask.sum() < 0.7 * good.mask.sum()
    assert 0 < len(part.minutiae) < len(good.minutiae)
    assert all(part.mask[round(t.y), round(t.x)] for t in part.minutiae)


def test_styles_make_their_events(master: MasterPrint) -> None:
    rotated = make_impression(master, 5, ImpressionStyle.ROTATED)
    assert 25.0 <= abs(rotated.params.rotation_deg) <= 45.0
    good = make_impression(master, 5, ImpressionStyle.GOOD)
    smudged = make_impression(master, 5, ImpressionStyle.SMUDGED)
    assert smudged.params.smudge >= 6.0

    def sharpness(img: np.ndarray, mask: np.ndarray) -> float:
        lap = cv2.Laplacian(img.astype(np.float32), cv2.CV_32F)
        return float(np.abs(lap[mask]).mean())

    assert sharpness(smudged.image, smudged.mask) < 0.6 * sharpness(good.image, good.mask)
    # the same finger twice: same truth geometry, different pixels
    twice = make_impression(master, 6, ImpressionStyle.GOOD)
    assert twice.master_seed == good.master_seed
    assert twice.image.tobytes() != good.image.tobytes()


def test_explicit_overrides_replace_drawn_values(master: MasterPrint) -> None:
    imp = make_impression(master, 7, "dry", rotation_deg=12.5, dx=-3)
    drawn = make_impression(master, 7, "dry")
    assert imp.params.rotation_deg == 12.5 and imp.params.dx == -3
    assert imp.params.pressure == drawn.params.pressure


def test_sensor_size_crops_around_the_centre(master: MasterPrint) -> None:
    imp = make_impression(master, 8, size=(288, 256))
    assert imp.image.shape == (288, 256) and imp.mask.shape == (288, 256)
    assert all(0 <= t.x < 256 and 0 <= t.y < 288 for t in imp.minutiae)


# --- errors -------------------------------------------------------------------------

def test_bad_arguments_raise_config_errors(master: MasterPrint) -> None:
    with pytest.raises(ConfigError, match="finger class"):
        generate_master(1, "spiral")
    with pytest.raises(ConfigError, match="ppi"):
        generate_master(1, ppi=50)
    with pytest.raises(ConfigError, match="style"):
        make_impression(master, 1, "soggy")
    with pytest.raises(ConfigError, match="pressure"):
        make_impression(master, 1, pressure=2.0)
    with pytest.raises(ConfigError, match="wobble"):
        make_impression(master, 1, wobble=1.0)
    with pytest.raises(ConfigError, match="seed"):
        make_impression(master, -1)
