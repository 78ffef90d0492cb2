"""Template-level synthetic fingers: each finger's own flow field, drawn cheaply."""

from __future__ import annotations

import math
import zipfile
from pathlib import Path

import numpy as np
import pytest

from idcapture.biometrics.finger.blocks import BLOCK
from idcapture.biometrics.finger.compare import prepare
from idcapture.errors import ConfigError
from idcapture.formats import iso19794_2
from idcapture.province.synthetic import synth_province
from idcapture.synth.fingerprints import CLASS_FREQUENCIES, FingerClass, generate_master
from idcapture.synth.templates import (
    FingerFlow,
    finger_flow,
    flow_template,
    individual_template,
)


def flow_agreement(a: np.ndarray, b: np.ndarray, radius: float = 15.0) -> float:
    """Mean ``cos 2(theta_a - theta_b)`` over minutiae of two templates (``as_array``)
    lying within ``radius`` px of each other: near 1 when both follow one flow field."""
    d = np.hypot(a[:, 0, None] - b[None, :, 0], a[:, 1, None] - b[None, :, 1])
    i, j = np.nonzero(d < radius)
    return float(np.cos(2.0 * (a[i, 2] - b[j, 2])).mean())


def shared_flow_share(arrays: list[np.ndarray]) -> float:
    """Share of pairs whose minutia directions agree as if drawn along one flow field."""
    v = [flow_agreement(arrays[i], arrays[j])
         for i in range(len(arrays)) for j in range(i + 1, len(arrays))]
    return float(np.mean(np.array(v) > 0.9))


def test_a_finger_flow_is_the_master_model_on_a_coarse_grid() -> None:
    # the same generator state gives the same class, silhouette and flow at any step:
    # the 10 px grid read bilinearly stays close to the full-resolution field
    worst_median, worst_95 = 0.0, 0.0
    for seed in range(6):
        fine = finger_flow(np.random.default_rng(seed), step=1)
        coarse = finger_flow(np.random.default_rng(seed), step=10)
        assert coarse.finger_class is fine.finger_class
        assert coarse.orientation.shape == coarse.mask.shape == (50, 40)
        t = flow_template(coarse.orientation, coarse.mask, np.random.default_rng(seed),
                          count=60, angle_noise=0.0, step=10)
        a = t.as_array()
        x = np.clip(np.round(a[:, 0]).astype(int), 0, 399)
        y = np.clip(np.round(a[:, 1]).astype(int), 0, 499)
        d = np.abs(np.mod(a[:, 2], math.pi) - fine.orientation[y, x])
        d = np.degrees(np.minimum(d, math.pi - d))
        worst_median = max(worst_median, float(np.median(d)))
        worst_95 = max(worst_95, float(np.percentile(d, 95)))
    assert worst_median < 4.0
    assert worst_95 < 20.0


def test_individual_templates_are_seeded_and_lie_on_the_finger() -> None:
    one = individual_template(np.random.default_rng(11))
    again = individual_template(np.random.default_rng(11))
    other = individual_template(np.random.default_rng(12))
    assert one == again
    assert one != other
    assert (one.width, one.height, one.resolution_ppi) == (400, 500, 500)
    assert 20 <= len(one.minutiae) <= 100
    flow = finger_flow(np.random.default_rng(11))
    a = one.as_array()
    cells = flow.mask[(a[:, 1] + 0.5).astype(int) // flow.step,
                      (a[:, 0] + 0.5).astype(int) // flow.step]
    assert cells.all()


def test_individual_templates_carry_block_maps_of_their_flow() -> None:
    rng = np.random.default_rng(21)
    for _ in range(5):
        t = individual_template(rng)
        assert t.block_size == BLOCK
        assert t.orientation is not None and t.ridge_period is not None and t.mask is not None
        assert t.orientation.shape == t.ridge_period.shape == t.mask.shape == (32, 25)
        # the maps follow the flow the minutiae were drawn along: each minutia's
        # direction agrees with its block's orientation, most minutiae lie on masked blocks
        a = t.as_array()
        rows = np.clip((a[:, 1] + 0.5).astype(int) // BLOCK, 0, 31)
        cols = np.clip((a[:, 0] + 0.5).astype(int) // BLOCK, 0, 24)
        assert np.cos(2.0 * (a[:, 2] - t.orientation[rows, cols])).mean() > 0.85
        assert t.mask[rows, cols].mean() > 0.85
        assert 0.2 < t.mask.mean() < 0.9
        # one ridge period a finger, in the master generator's 0.43-0.53 mm
        assert np.ptp(t.ridge_period) == 0.0
        assert 8.4 < t.ridge_period[0, 0] < 10.5
        # the comparator makes texture cylinders for it, and so for it read from its record
        tex = prepare(t).texture
        assert tex is not None and tex.period.shape == (len(prepare(t).cylinders),)
        back = iso19794_2.read(iso19794_2.template_record(t)).to_templates()[0]
        assert prepare(back).texture is not None
    flat = flow_template(np.zeros((50, 40)), np.ones((50, 40), bool), rng, step=10)
    assert prepare(flat).texture is None


def test_individual_fingers_have_flow_fields_of_their_own() -> None:
    rng = np.random.default_rng(5)
    own = [individual_template(rng).as_array() for _ in range(30)]
    masters = [generate_master(7_919 + m) for m in range(2)]
    shared = [flow_template(masters[i % 2].orientation, masters[i % 2].mask, rng,
                            count=60).as_array() for i in range(30)]
    # drawn along two flow fields, about half the pairs share one; each its own: few
    assert shared_flow_share(shared) > 0.2
    assert shared_flow_share(own) < 0.05


def test_flow_classes_follow_the_natural_frequencies() -> None:
    rng = np.random.default_rng(3)
    n = 600
    counts = {c: 0 for c in FingerClass}
    for _ in range(n):
        counts[finger_flow(rng).finger_class] += 1
    for c, p in CLASS_FREQUENCIES.items():
        sd = math.sqrt(p * (1 - p) / n)
        assert abs(counts[c] / n - p) < 4 * sd + 0.005, (c, counts[c])


def test_a_flow_grid_too_coarse_is_refused() -> None:
    with pytest.raises(ConfigError, match="8 cells"):
        finger_flow(np.random.default_rng(0), size=(60, 60), step=10)
    with pytest.raises(ConfigError, match="step"):
        finger_flow(np.random.default_rng(0), step=0)
    with pytest.raises(ConfigError, match="2 cells"):
        flow_template(np.zeros((1, 9)), np.ones((1, 9), bool), np.random.default_rng(0),
                      step=10)
    flow = finger_flow(np.random.default_rng(0), finger_class=FingerClass.ARCH)
    assert isinstance(flow, FingerFlow) and flow.finger_class is FingerClass.ARCH


def _bulk_templates(path: Path) -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    for package in sorted(path.glob("station-*.zip")):
        with zipfile.ZipFile(package) as zf:
            out.update({f"{package.name}/{n}": zf.read(n) for n in zf.namelist()
                        if n.startswith("templates/")})
    return out


def test_a_provinces_bulk_thumbs_are_seeded_and_each_of_its_own_flow(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("idcapture.province.synthetic._BULK_CHUNK", 16)  # 8 chunks
    one = synth_province(tmp_path / "a", students=60, duplicates=0, stations=3, seed=4,
                         jobs=1)
    assert one.planted == {"biometric": 0, "same-id": 0, "shared-thumb": 0}
    synth_province(tmp_path / "b", students=60, duplicates=0, stations=3, seed=4, jobs=2)
    synth_province(tmp_path / "c", students=60, duplicates=0, stations=3, seed=5, jobs=1)
    a, b, c = (_bulk_templates(tmp_path / n) for n in "abc")
    assert len(a) == 120
    assert a == b                       # the same seed, whatever the number of processes
    assert a.keys() == c.keys() and all(a[k] != c[k] for k in a)
    arrays = [iso19794_2.read(v).to_templates()[0].as_array() for v in a.values()]
    assert shared_flow_share(arrays[:40]) < 0.05
