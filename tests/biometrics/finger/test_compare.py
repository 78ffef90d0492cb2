"""Tests of the MCC comparator, its calibration and the FVC metrics."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from idcapture.biometrics.finger import extract
from idcapture.biometrics.finger.compare import (
    MATCH_THRESHOLD,
    compare,
    compare_many,
    fmr_at_score,
    gallery_arrays,
    prepare,
    score_from_raw,
    threshold_for_fmr,
)
from idcapture.biometrics.finger.compare_core import local_similarities, raw_scores
from idcapture.biometrics.finger.compare_eval import error_rates, fvc_pairs
from idcapture.biometrics.finger.compare_parallel import all_pair_scores, clusters
from idcapture.biometrics.finger.mcc import DEFAULT_PARAMS, local_similarity
from idcapture.biometrics.finger.template import FingerTemplate
from idcapture.biometrics.finger.texture import TextureParams
from idcapture.errors import ConfigError
from idcapture.synth.fingerprints import generate_master, make_impression


@pytest.fixture(scope="module")
def synthetic() -> dict[str, FingerTemplate]:
    out = {}
    for m in (3, 4):
        master = generate_master(m)
        for k in (1, 2):
            imp = make_impression(master, seed=10 * m + k)
            out[f"{m}_{k}"] = extract(imp.image, imp.ppi)
    return out


def _moved(t: FingerTemplate, angle: float, dx: float, dy: float) -> FingerTemplate:
    a = t.as_array()
    c, s = math.cos(angle), math.sin(angle)
    x, y = a[:, 0], -a[:, 1]
    a2 = a.copy()
    a2[:, 0] = c * x - s * y + dx
    a2[:, 1] = -(s * x + c * y) - dy
    a2[:, 2] = (a[:, 2] + angle) % (2 * math.pi)
    return FingerTemplate.from_array(a2, t.width, t.height)


def test_genuine_impressions_match_and_different_fingers_do_not(
        synthetic: dict[str, FingerTemplate]) -> None:
    assert compare(synthetic["3_1"], synthetic["3_2"]) >= MATCH_THRESHOLD
    assert compare(synthetic["4_1"], synthetic["4_2"]) >= MATCH_THRESHOLD
    for a in ("3_1", "3_2"):
        for b in ("4_1", "4_2"):
            assert compare(synthetic[a], synthetic[b]) < MATCH_THRESHOLD


def test_score_is_invariant_to_rotation_and_translation(
        synthetic: dict[str, FingerTemplate]) -> None:
    t = synthetic["3_1"]
    moved = _moved(t, math.radians(35), 40.0, -25.0)
    assert compare(t, moved) >= 90.0
    assert compare(t, synthetic["3_2"]) == pytest.approx(compare(synthetic["3_2"], t))


def test_batched_scores_agree_with_one_to_one(synthetic: dict[str, FingerTemplate]) -> None:
    names = sorted(synthetic)
    prepared = [prepare(synthetic[n]) for n in names]
    batch = compare_many(prepared[0], gallery_arrays(prepared))
    single = [compare_many(prepared[0], [p])[0] for p in prepared]
    np.testing.assert_allclose(batch, single, rtol=1e-4, atol=1e-3)
    scores = all_pair_scores(prepared, jobs=1)
    assert clusters(scores, MATCH_THRESHOLD) == [[0, 1], [2, 3]]


def test_small_template_scores_the_same_alone_and_in_a_padded_batch(
        synthetic: dict[str, FingerTemplate]) -> None:
    """A template with fewer cylinders than relaxation pairs (a fingertip) must not score
    differently when padded to the batch's cylinder count."""
    t = synthetic["3_2"]
    keep = sorted(t.minutiae, key=lambda mn: (mn.x - t.width / 2) ** 2 +
                  (mn.y - t.height / 2) ** 2)[:14]
    small = prepare(FingerTemplate(t.width, t.height, t.resolution_ppi, tuple(keep)))
    assert 2 <= len(small) < 16
    others = [prepare(synthetic[n]) for n in sorted(synthetic)]
    probe = prepare(synthetic["3_1"])
    batch = raw_scores(probe.arrays, gallery_arrays([small, *others]))
    alone = raw_scores(probe.arrays, small.arrays)
    assert batch[0] == pytest.approx(alone[0], rel=1e-4, abs=1e-7)
    assert batch[0] > 0.0


def test_kernel_similarities_match_the_plain_mcc_formula(
        synthetic: dict[str, FingerTemplate]) -> None:
    """The folded products of the kernel give MCC's bit similarity: on pairs of fully valid
    cylinders less than 85 degrees apart the same value as :func:`.mcc.local_similarity`,
    and 0 beyond 90 degrees (the kernel skips those sectors)."""
    a = prepare(synthetic["3_1"])
    refs = [prepare(synthetic[n]) for n in ("3_2", "4_1", "4_2")]
    gallery = gallery_arrays(refs)
    dense = local_similarities(a.arrays, gallery, DEFAULT_PARAMS,
                               TextureParams(weight=0.0))       # (na, m, k), no texture
    full = DEFAULT_PARAMS.disc_cells
    a_full = a.cylinders.valid.reshape(len(a), -1, DEFAULT_PARAMS.nd)[:, :, 0].sum(1) == full
    checked = 0
    for t, r in enumerate(refs):
        cs = r.cylinders
        ref = local_similarity(a.cylinders, cs.bits, cs.valid, cs.angle)
        b_full = cs.valid.reshape(len(cs), -1, DEFAULT_PARAMS.nd)[:, :, 0].sum(1) == full
        dang = np.abs((a.cylinders.angle[:, None] - cs.angle[None, :] + np.pi)
                      % (2 * np.pi) - np.pi)
        got = dense[:, t, :len(cs)]
        near = a_full[:, None] & b_full[None, :] & (dang < math.radians(85))
        np.testing.assert_allclose(got[near], ref[near], atol=1e-5)
        assert np.all(got[dang > math.pi / 2] == 0.0)
        checked += int(near.sum())
    assert checked > 100


def test_all_pair_scores_are_the_symmetric_compare(synthetic: dict[str, FingerTemplate]) -> None:
    names = sorted(synthetic)
    prepared = [prepare(synthetic[n]) for n in names]
    scores = all_pair_scores(prepared, jobs=1)
    for i in range(len(names)):
        for j in range(len(names)):
            want = 100.0 if i == j else compare(prepared[i], prepared[j])
            assert scores[i, j] == pytest.approx(want, abs=1e-6)


def test_calibration_is_monotonic_and_documented_points_hold() -> None:
    raw = np.linspace(0, 0.05, 200)
    s = score_from_raw(raw)
    assert np.all(np.diff(s) >= 0)
    assert threshold_for_fmr(1e-4) == pytest.approx(40.0)
    assert fmr_at_score(40.0) == pytest.approx(1e-4)
    with pytest.raises(ConfigError):
        threshold_for_fmr(0.0)


def test_bad_input_is_a_typed_error() -> None:
    with pytest.raises(ConfigError):
        prepare("not a template")  # type: ignore[arg-type]


def test_empty_template_scores_zero() -> None:
    empty = FingerTemplate(300, 300, 500, ())
    full = _moved(FingerTemplate(300, 300, 500, ()), 0, 0, 0)
    assert compare(empty, full) == 0.0


def test_error_rates_and_fvc_pairs() -> None:
    gen, imp = fvc_pairs(["1_1", "1_2", "2_1", "2_2", "3_1"])
    assert gen == [(0, 1), (2, 3)]
    assert imp == [(0, 2), (0, 4), (2, 4)]
    _, all_imp = fvc_pairs(["1_1", "1_2", "2_1", "2_2"], all_impostors=True)
    assert len(all_imp) == 4
    r = error_rates([10, 20, 30, 40], [0, 1, 2, 35])
    assert r.eer == pytest.approx(0.25)
    assert r.zero_fmr == pytest.approx(0.75)
    with pytest.raises(ConfigError):
        fvc_pairs(["abc"])


def test_fvc_images_genuine_above_impostor(shared_data: Path) -> None:
    from PIL import Image

    folder = shared_data / "fingerprints" / "FVC2002_DB1_B"
    t = {n: extract(np.asarray(Image.open(folder / f"{n}.tif").convert("L")), 500)
         for n in ("104_1", "104_2", "106_1")}
    assert compare(t["104_1"], t["104_2"]) >= MATCH_THRESHOLD
    assert compare(t["104_1"], t["106_1"]) < MATCH_THRESHOLD


def test_iso_templates_from_another_extractor(shared_data: Path) -> None:
    """FingerJet FX templates: a001_04p/b001_04p and a001_06p/b001_06p are mates.

    (Both pairs are different images of one finger; the other names are different fingers.)
    """
    from idcapture.formats.minutiae import MinutiaeRecord

    folder = shared_data / "fingerprints" / "FingerJetFXOSE_samples" / "templates-iso"
    names = ("a001_03p", "a001_04p", "a001_05p", "a001_06p", "b001_04p", "b001_06p")
    t = {n: MinutiaeRecord.from_bytes((folder / f"{n}.ist").read_bytes()).to_templates()[0]
         for n in names}
    mates = {("a001_04p", "b001_04p"), ("a001_06p", "b001_06p")}
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            s = compare(t[a], t[b])
            assert (s >= MATCH_THRESHOLD) == ((a, b) in mates), (a, b, s)


def test_pairing_tolerates_stretch_away_from_the_alignment(
        synthetic: dict[str, FingerTemplate]) -> None:
    """A print stretched by 10 % about its centre (far minutiae move 10-15 px) keeps more
    of its score with a pairing distance that grows away from the alignment (the
    ``pair_distance_slope`` option) than with the default fixed 10 px."""
    import dataclasses

    from idcapture.biometrics.finger.compare_core import DEFAULT_CONSOLIDATION

    t = synthetic["3_1"]
    a = t.as_array()
    centre = a[:, :2].mean(0)
    stretched = a.copy()
    stretched[:, :2] = centre + 1.10 * (a[:, :2] - centre)
    s = FingerTemplate.from_array(stretched, t.width, t.height)
    pa, ps = prepare(t), prepare(s)
    fixed = dataclasses.replace(DEFAULT_CONSOLIDATION, pair_distance_slope=0.0)
    slope = dataclasses.replace(DEFAULT_CONSOLIDATION, pair_distance_slope=0.05)
    growing = raw_scores(pa.arrays, ps.arrays, cparams=slope)[0]
    rigid = raw_scores(pa.arrays, ps.arrays, cparams=fixed)[0]
    assert growing > 1.1 * rigid, (growing, rigid)


def test_local_correction_follows_a_bent_print(synthetic: dict[str, FingerTemplate]) -> None:
    """A print bent on one side (minutiae right of the centre pushed up by up to 14 px, in
    proportion to their distance from it up to 60 px: a non-linear distortion) keeps more
    of its score when each aligned minutia is moved by the residuals of the consistent
    pairs near it (``warp_sigma``) than with the rigid alignment alone."""
    import dataclasses

    from idcapture.biometrics.finger.compare_core import DEFAULT_CONSOLIDATION

    t = synthetic["3_1"]
    a = t.as_array()
    centre = a[:, :2].mean(0)
    bent = a.copy()
    right = np.clip((a[:, 0] - centre[0]) / 60.0, 0.0, 1.0)
    bent[:, 1] -= 14.0 * right
    s = FingerTemplate.from_array(bent, t.width, t.height)
    pa, ps = prepare(t), prepare(s)
    rigid_only = dataclasses.replace(DEFAULT_CONSOLIDATION, warp_sigma=0.0)
    corrected = dataclasses.replace(DEFAULT_CONSOLIDATION, warp_sigma=30.0)
    local = raw_scores(pa.arrays, ps.arrays, cparams=corrected)[0]
    rigid = raw_scores(pa.arrays, ps.arrays, cparams=rigid_only)[0]
    assert local > 1.2 * rigid, (local, rigid)


def test_more_alignment_hypotheses_never_score_lower(
        synthetic: dict[str, FingerTemplate]) -> None:
    """The best of several alignments (``hypotheses``) includes the single one, so no pair
    scores lower; mates stay far above distinct fingers."""
    import dataclasses

    from idcapture.biometrics.finger.compare_core import DEFAULT_CONSOLIDATION

    names = sorted(synthetic)
    prepared = [prepare(synthetic[n]) for n in names]
    gallery = gallery_arrays(prepared)
    three = dataclasses.replace(DEFAULT_CONSOLIDATION, hypotheses=3)
    for n, p in zip(names, prepared, strict=True):
        one = raw_scores(p.arrays, gallery)
        best = raw_scores(p.arrays, gallery, cparams=three)
        assert np.all(best >= one - 1e-12), (n, one, best)
        mate = names.index(n[:-1] + ("2" if n.endswith("1") else "1"))
        others = [i for i, m in enumerate(names) if m[0] != n[0]]
        assert best[mate] > 2.0 * best[others].max(), (n, best)
