"""Texture cylinders: the ridge flow around each minutia, fused into the local similarities,
and carried in a vendor-defined area of ISO/IEC 19794-2 records."""

from __future__ import annotations

import dataclasses
import math
import zlib

import numpy as np
import pytest

from idcapture.biometrics.finger import extract
from idcapture.biometrics.finger.compare import compare, gallery_arrays, prepare
from idcapture.biometrics.finger.compare_core import (
    ConsolidationParams,
    local_similarities,
    raw_scores,
)
from idcapture.biometrics.finger.mcc import DEFAULT_PARAMS, CylinderSet
from idcapture.biometrics.finger.template import FingerTemplate, Minutia, MinutiaKind
from idcapture.biometrics.finger.texture import (
    ANGLE_STEPS,
    DEFAULT_TEXTURE,
    TextureParams,
    cylinder_texture,
)
from idcapture.formats import FormatError, iso19794_2
from idcapture.formats.minutiae import ExtendedDataArea, from_template
from idcapture.formats.minutiae_maps import AREA_BLOCK_MAPS, read_block_maps
from idcapture.synth.fingerprints import generate_master, make_impression

BLOCK = 16


def _whorl(nb: int, centre: tuple[float, float]) -> FingerTemplate:
    """A template on ``nb x nb`` blocks whose ridges circle ``centre`` (pixels, y down),
    with a period growing away from it, and three minutiae."""
    c = (np.arange(nb) + 0.5) * BLOCK
    x, y = np.meshgrid(c, c)
    dx, dy = x - centre[0], y - centre[1]
    # ridge direction: perpendicular to the radius, counter-clockwise on screen
    theta = (np.arctan2(-dy, dx) + math.pi / 2) % math.pi
    period = 8.0 + np.hypot(dx, dy) / 40.0
    mask = np.hypot(dx, dy) < 0.45 * nb * BLOCK
    mins = (Minutia(150.0, 120.0, 0.7, MinutiaKind.ENDING, 80),
            Minutia(170.0, 190.0, 2.9, MinutiaKind.BIFURCATION, 70),
            Minutia(110.0, 160.0, 4.4, MinutiaKind.ENDING, 60))
    return FingerTemplate(nb * BLOCK, nb * BLOCK, 500, mins, 60, block_size=BLOCK,
                          orientation=theta, coherence=np.ones_like(theta),
                          ridge_period=period, mask=mask)


def _turned(t: FingerTemplate) -> FingerTemplate:
    """``t`` turned a quarter turn counter-clockwise on screen (maps and minutiae)."""
    assert t.orientation is not None and t.ridge_period is not None and t.mask is not None
    w = t.width

    def turn(m: Minutia) -> Minutia:
        # counter-clockwise on screen: (x, y) -> (y, w - 1 - x) in pixels, y down; block
        # centres move the same way, so use the block grid's centre convention
        return Minutia(m.y, w - m.x, (m.angle + math.pi / 2) % (2 * math.pi), m.kind,
                       m.quality)

    return FingerTemplate(t.height, t.width, 500, tuple(turn(m) for m in t.minutiae), 60,
                          block_size=BLOCK,
                          orientation=(np.rot90(t.orientation) + math.pi / 2) % math.pi,
                          coherence=np.rot90(t.coherence), ridge_period=np.rot90(t.ridge_period),
                          mask=np.rot90(t.mask))


def _cylinders(t: FingerTemplate):  # type: ignore[no-untyped-def]
    p = prepare(t)
    assert p.texture is not None
    return p


def test_texture_cylinders_do_not_change_when_the_finger_turns() -> None:
    t = _whorl(20, (160.0, 160.0))
    a, b = _cylinders(t), _cylinders(_turned(t))
    assert len(a) == len(b) == 3
    ta, tb = a.texture, b.texture
    assert ta is not None and tb is not None
    both = (ta.valid > 0) & (tb.valid > 0)
    assert both.sum() > 0.8 * ta.valid.sum()
    # doubled relative orientation per cell, in steps: equal up to the sampling
    step = np.abs(((ta.cells.astype(int) - tb.cells.astype(int)) + ANGLE_STEPS // 2)
                  % ANGLE_STEPS - ANGLE_STEPS // 2)
    assert np.median(step[both]) <= 2 and np.percentile(step[both], 95) <= 8
    np.testing.assert_allclose(ta.period, tb.period, atol=0.02)
    # the same minutia's texture agrees, another's does not
    same = (ta.orientation[0] @ tb.orientation[0]) / both[0].sum()
    other = (ta.orientation[0] @ tb.orientation[1]) / ((ta.valid[0] > 0) & (tb.valid[1] > 0)).sum()
    assert same > 0.95 and other < same - 0.3


def test_cells_relative_to_the_minutia_direction() -> None:
    # straight horizontal ridges: a minutia pointing along them sees relative orientation
    # 0 everywhere, one turned by 45 degrees sees -45 (doubled: -90 degrees)
    nb = 20
    theta = np.zeros((nb, nb))
    t = FingerTemplate(320, 320, 500, (), block_size=BLOCK, orientation=theta,
                       coherence=np.ones_like(theta), ridge_period=np.full((nb, nb), 10.0),
                       mask=np.ones((nb, nb), bool))
    angles = np.array([0.0, math.pi / 4, math.pi], np.float32)
    xy = np.array([[160.0, -160.0], [120.0, -200.0], [200.0, -120.0]], np.float32)  # y up
    empty = np.zeros((3, DEFAULT_PARAMS.cells), np.float32)
    cs = CylinderSet(xy, angles, np.ones(3, np.int8), empty, empty, np.arange(3, dtype=np.int32),
                     3)
    tex = cylinder_texture(t, cs)
    assert tex is not None and tex.valid.min() == 1.0
    assert set(tex.cells[0]) == {0} and set(tex.cells[2]) == {0}
    assert set(tex.cells[1]) == {ANGLE_STEPS * 3 // 4}               # -90 degrees doubled
    np.testing.assert_allclose(tex.period, math.log(10.0), atol=1e-6)


@pytest.fixture(scope="module")
def prints() -> list[FingerTemplate]:
    out = []
    for m in (3, 4):
        master = generate_master(m)
        out += [extract(make_impression(master, seed=10 * m + k).image, master.ppi)
                for k in (1, 2)]
    return out


def test_fused_local_similarity_is_the_weighted_mean_of_the_two(
        prints: list[FingerTemplate]) -> None:
    """Where both cylinders have enough texture cells in common and point within 90
    degrees, the kernel's local similarity is ``mcc + w (texture - mcc)``, the texture
    term computed here cell by cell; elsewhere the minutiae similarity alone."""
    a = prepare(prints[0])
    refs = [prepare(t) for t in prints[1:]]
    g = gallery_arrays(refs)
    off = TextureParams(weight=0.0)
    mcc = local_similarities(a.arrays, g, DEFAULT_PARAMS, off)
    fused = local_similarities(a.arrays, g, DEFAULT_PARAMS, DEFAULT_TEXTURE)
    p = DEFAULT_TEXTURE
    ta = a.texture
    assert ta is not None
    checked = fused_count = 0
    for r, ref in enumerate(refs):
        tb = ref.texture
        assert tb is not None
        for i in range(len(a)):
            for j in range(len(ref)):
                common = (ta.valid[i] > 0) & (tb.valid[j] > 0)
                da = 2 * math.pi * ta.cells[i].astype(float) / ANGLE_STEPS
                db = 2 * math.pi * tb.cells[j].astype(float) / ANGLE_STEPS
                agree = np.cos(da - db)[common].mean() if common.any() else 0.0
                tex = min(max((agree - p.base) / (1 - p.base), 0.0), 1.0)
                dp = (ta.period[i] - tb.period[j]) / p.period_tolerance
                tex *= 1 - p.period_weight + p.period_weight * math.exp(-dp * dp)
                turn = abs((a.cylinders.angle[i] - ref.cylinders.angle[j] + math.pi)
                           % (2 * math.pi) - math.pi)
                counts = common.sum() >= p.min_common * len(common)
                m = mcc[i, r, j]
                want = m + p.weight * ((tex if turn < math.pi / 2 else 0.0) - m) if counts \
                    else m
                if abs(turn - math.pi / 2) < 1e-3:
                    continue
                assert fused[i, r, j] == pytest.approx(want, abs=2e-5)
                checked += 1
                fused_count += int(counts and turn < math.pi / 2)
    assert checked > 1000 and fused_count > 300


def test_texture_raises_mates_more_than_strangers(prints: list[FingerTemplate]) -> None:
    p = [prepare(t) for t in prints]
    g = gallery_arrays(p)
    off = ConsolidationParams(texture=TextureParams(weight=0.0))
    with_tex = np.stack([raw_scores(q.arrays, g) for q in p])
    without = np.stack([raw_scores(q.arrays, g, DEFAULT_PARAMS, off) for q in p])
    mates = [(0, 1), (1, 0), (2, 3), (3, 2)]
    others = [(i, j) for i in range(4) for j in range(4) if i // 2 != j // 2]
    assert all(with_tex[m] > 0 for m in mates)
    assert max(with_tex[o] for o in others) < min(with_tex[m] for m in mates)
    assert not np.array_equal(with_tex, without)


def test_templates_without_maps_compare_by_minutiae_alone(prints: list[FingerTemplate]) -> None:
    bare = [dataclasses.replace(t, orientation=None) for t in prints]
    assert prepare(bare[0]).texture is None and cylinder_texture(bare[0], prepare(bare[0])
                                                                  .cylinders) is None
    off = ConsolidationParams(texture=TextureParams(weight=0.0))
    mixed = gallery_arrays([prepare(bare[1]), prepare(prints[2]), prepare(prints[3])])
    plain = gallery_arrays([prepare(t) for t in prints[1:]])
    probe = prepare(prints[0])
    got = raw_scores(probe.arrays, mixed)
    # the template without maps scores as with the minutiae cylinders alone; the others
    # keep their texture
    assert got[0] == pytest.approx(raw_scores(probe.arrays, plain, DEFAULT_PARAMS, off)[0],
                                   abs=1e-7)
    assert got[1:] == pytest.approx(raw_scores(probe.arrays, plain)[1:], abs=1e-7)
    # a probe without maps: minutiae alone against everything
    np.testing.assert_allclose(raw_scores(prepare(bare[0]).arrays, plain),
                               raw_scores(probe.arrays, plain, DEFAULT_PARAMS, off), atol=1e-7)


def test_block_maps_travel_in_the_iso_record(prints: list[FingerTemplate]) -> None:
    t = prints[0]
    assert t.orientation is not None and t.ridge_period is not None and t.mask is not None
    data = iso19794_2.template_record(t)
    plain = from_template(t, block_maps=False).to_bytes()
    assert len(plain) == 24 + 4 + 6 * len(t) + 2
    assert 200 < len(data) - len(plain) < 1500
    view = iso19794_2.read(data).views[0]
    area = view.area(AREA_BLOCK_MAPS)
    assert area is not None and len(view.extended_data) == 1
    (back,) = iso19794_2.read(data).to_templates()
    assert back.block_size == t.block_size and back.mask is not None
    np.testing.assert_array_equal(back.mask, t.mask)
    inside = t.mask
    assert back.orientation is not None and back.ridge_period is not None
    turn = np.abs((back.orientation - t.orientation + math.pi / 2) % math.pi - math.pi / 2)
    assert turn[inside].max() <= math.radians(0.51)
    assert np.abs(back.ridge_period - t.ridge_period)[inside].max() <= 1 / 16 + 1e-9
    # written again: the same bytes; the read-back template compares as the original
    assert iso19794_2.template_record(back) == data
    other = iso19794_2.read(iso19794_2.template_record(prints[1])).to_templates()[0]
    bare_rec = iso19794_2.read(plain).to_templates()[0]
    assert bare_rec.orientation is None
    assert compare(back, other) == pytest.approx(compare(
        dataclasses.replace(t, minutiae=back.minutiae), prints[1]), abs=1.5)


@pytest.mark.parametrize("data, field, message", [
    (b"\x02\x10\x00\x01\x00\x01", "layout", "unknown layout"),
    (b"\x01\x02\x00\x01\x00\x01", "block_size", "4-64"),
    (b"\x01\x10\x00\x00\x00\x01", "rows", "blocks"),
    (b"\x01\x10\x00\x01\x00\x01junk", "maps", "zlib"),
    (b"\x01\x10\x00\x02\x00\x02" + zlib.compress(b"\x00" * 7), "maps", "8 expected"),
    (b"\x01\x10\x00\x01\x00\x01" + zlib.compress(b"\xb4\x50"), "maps", "179"),
    (b"\x01\x10\x00\x01\x00\x01" + zlib.compress(b"\x10\x00"), "maps", "period"),
    (b"\x01\x10\x00", "rows", "truncated"),
])
def test_bad_block_maps_name_the_field(data: bytes, field: str, message: str) -> None:
    with pytest.raises(FormatError, match=message) as err:
        read_block_maps(data, "iso-19794-2.view[0].block_maps")
    assert err.value.field.endswith(field)


def test_a_bad_area_in_a_record_is_a_format_error(prints: list[FingerTemplate]) -> None:
    rec = from_template(prints[0], block_maps=False,
                        extended_data=[[ExtendedDataArea(AREA_BLOCK_MAPS, b"\x01\x10")]])
    data = rec.to_bytes()
    with pytest.raises(FormatError, match="truncated") as err:
        iso19794_2.read(data).to_templates()
    assert "view[0].block_maps" in err.value.field
