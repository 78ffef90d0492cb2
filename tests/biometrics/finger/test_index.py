"""Tests of the 1:N search index: packing, pre-selection, ranked results."""

from __future__ import annotations

import numpy as np
import pytest

from idcapture.biometrics.finger import extract
from idcapture.biometrics.finger.compare import (
    MATCH_THRESHOLD,
    PreparedTemplate,
    compare_many,
    gallery_arrays,
    prepare,
)
from idcapture.biometrics.finger.index import FingerIndex, IndexParams, pack_template
from idcapture.biometrics.finger.template import FingerTemplate
from idcapture.errors import ConfigError
from idcapture.synth.fingerprints import generate_master, make_impression
from idcapture.synth.templates import flow_template


@pytest.fixture(scope="module")
def fingers() -> dict[str, object]:
    """Three synthetic fingers, two extracted impressions each, and a flow background."""
    mates = []
    fields = []
    for s in (41, 42, 43):
        m = generate_master(s)
        fields.append((m.orientation, m.mask))
        mates.append(tuple(prepare(extract(make_impression(m, seed=s * 7 + k).image, m.ppi))
                           for k in (1, 2)))
    rng = np.random.default_rng(5)
    background = [flow_template(*fields[i % 3], rng, count=int(rng.integers(25, 60)))
                  for i in range(300)]
    return {"mates": mates, "background": background}


def _index(fingers: dict[str, object], params: IndexParams | None = None) -> FingerIndex:
    ix = FingerIndex(params or IndexParams())
    bg = fingers["background"]
    assert isinstance(bg, list)
    ix.add_many([f"bg{i}" for i in range(len(bg))], bg)
    mates = fingers["mates"]
    assert isinstance(mates, list)
    for i, (a, _) in enumerate(mates):
        ix.add(f"mate{i}", a)
    return ix


def test_packed_gallery_scores_equal_the_float_kernel(fingers: dict[str, object]) -> None:
    mates = fingers["mates"]
    assert isinstance(mates, list)
    enrolled: list[PreparedTemplate] = [a for a, _ in mates]
    ix = FingerIndex()
    ix.add_many(["a", "b", "c"], enrolled)
    probe = mates[0][1]
    direct = compare_many(probe, gallery_arrays(enrolled))
    np.testing.assert_allclose(ix.score_all(probe), direct, atol=1e-6)


def test_search_ranks_the_mate_first_through_preselection(fingers: dict[str, object]) -> None:
    # few candidates, so the pre-selection really has to find the mate among 303
    ix = _index(fingers, IndexParams(candidates=8, candidate_fraction=0.0))
    mates = fingers["mates"]
    assert isinstance(mates, list)
    n_bg = len(ix) - len(mates)
    for i, (_, probe) in enumerate(mates):
        hits = ix.search(probe, top=3)
        assert hits[0].label == f"mate{i}" and hits[0].index == n_bg + i
        assert hits[0].score >= MATCH_THRESHOLD
        assert all(h.score < MATCH_THRESHOLD for h in hits[1:])
        assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
        votes = ix.votes(probe)
        assert votes[n_bg + i] == votes.max() > 0


def test_search_threshold_exclude_and_exhaustive_agreement(fingers: dict[str, object]) -> None:
    ix = _index(fingers)
    mates = fingers["mates"]
    assert isinstance(mates, list)
    probe = mates[1][1]
    best = ix.search(probe, top=1)[0]
    assert ix.search(probe, threshold=MATCH_THRESHOLD, exclude=[best.index]) == []
    full = ix.score_all(probe)
    assert int(np.argmax(full)) == best.index
    assert full[best.index] == pytest.approx(best.score, abs=1e-6)


def test_adds_after_a_search_are_found(fingers: dict[str, object]) -> None:
    mates = fingers["mates"]
    assert isinstance(mates, list)
    ix = FingerIndex()
    ix.add("first", mates[0][0])
    assert ix.search(mates[1][1], threshold=MATCH_THRESHOLD) == []
    pos = ix.add("second", pack_template(mates[1][0]))
    hits = ix.search(mates[1][1], threshold=MATCH_THRESHOLD)
    assert [h.index for h in hits] == [pos] and hits[0].label == "second"


def test_empty_index_and_bad_input() -> None:
    ix = FingerIndex()
    assert ix.search(FingerTemplate(300, 300, 500, ())) == []
    assert len(ix.votes(FingerTemplate(300, 300, 500, ()))) == 0
    with pytest.raises(ConfigError):
        FingerIndex(IndexParams(bits_per_key=40))
    with pytest.raises(ConfigError):
        ix.add_many(["a", "b"], [])
    with pytest.raises(ConfigError):
        flow_template(np.zeros((10, 10)), np.zeros((10, 10), bool), np.random.default_rng(0))


def test_templates_too_small_for_cylinders_are_indexed_and_score_zero() -> None:
    arr = np.array([[100.0, 100.0, 0.5, 1, 80], [180.0, 120.0, 2.0, 2, 80]])
    tiny = FingerTemplate.from_array(arr, 300, 300)
    ix = FingerIndex()
    ix.add("tiny", tiny)
    assert len(ix) == 1 and ix.search(tiny) == []
    assert ix.score_all(tiny).tolist() == [0.0]


def test_multiprobe_finds_at_least_the_collisions_of_exact_keys(
        fingers: dict[str, object]) -> None:
    mates = fingers["mates"]
    assert isinstance(mates, list)
    exact = _index(fingers)
    multi = _index(fingers, IndexParams(multiprobe=True))
    for _, probe in mates:
        v_exact, v_multi = exact.votes(probe), multi.votes(probe)
        assert np.all(v_multi >= v_exact) and v_multi.sum() > v_exact.sum()
        assert multi.search(probe, top=1)[0].label == exact.search(probe, top=1)[0].label


def _reference_votes(ix: FingerIndex, enrolled: list[object], probe: PreparedTemplate
                     ) -> np.ndarray:
    """The documented vote rule by brute force over every enrolled cylinder's keys."""
    packed = [pack_template(t) for t in enrolled]  # type: ignore[arg-type]
    keys = np.concatenate([ix.keys(p.cell_bits) for p in packed]).astype(np.int64)
    owner = np.repeat(np.arange(len(packed)), [len(p.xy) for p in packed])
    pk = ix.keys(pack_template(probe).cell_bits).astype(np.int64)
    p = ix.params
    flips = np.concatenate([[0], 1 << np.arange(p.bits_per_key)]) if p.multiprobe else [0]
    q = pk[:, None, :] ^ np.asarray(flips, np.int64)[None, :, None]      # (nc, f, tables)
    eq = keys[None, None, :, :] == q[:, :, None, :]                    # (nc, f, ncyl, t)
    size = eq.sum(axis=2)
    cap = max(p.max_bucket, int(p.bucket_fraction * len(packed)))
    use = (q > 0) & (size > 0) & (size <= cap)
    hits = (eq & use[:, :, None, :]).sum(axis=(1, 3))                  # (nc, ncyl)
    best = np.zeros((len(pk), len(packed)), np.int64)
    for c in range(hits.shape[1]):
        best[:, owner[c]] = np.maximum(best[:, owner[c]], hits[:, c])
    return best.sum(axis=0)


@pytest.mark.parametrize("multiprobe", [False, True])
def test_one_at_a_time_equals_bulk_across_merges(fingers: dict[str, object],
                                                 multiprobe: bool) -> None:
    mates = fingers["mates"]
    bg = fingers["background"]
    assert isinstance(mates, list) and isinstance(bg, list)
    enrolled: list[object] = [a for a, _ in mates] + bg[:57]
    labels = [f"t{i}" for i in range(len(enrolled))]
    # a small delta (merged every few templates) and a small bucket cap, so that capped
    # buckets are split between the main tables and the delta
    params = IndexParams(delta_cylinders=150, max_bucket=2, bucket_fraction=0.0,
                         multiprobe=multiprobe, candidates=8, candidate_fraction=0.0)
    live = FingerIndex(params)
    probes = [b for _, b in mates]
    checks, merges, main = 0, 0, 0
    for i, (label, t) in enumerate(zip(labels, enrolled)):
        live.add(label, t)  # type: ignore[arg-type]
        merges += live._nmain != main
        main = live._nmain
        if i % 3 == 0 and main > 0 and len(live._did) > 0:
            # searched mid-way: main tables and a non-empty delta both take part
            checks += 1
            probe = probes[i % len(probes)]
            np.testing.assert_array_equal(live.votes(probe),
                                          _reference_votes(live, enrolled[:i + 1], probe))
    assert checks >= 5 and merges >= 5
    bulk = FingerIndex(params)
    bulk.add_many(labels, enrolled)  # type: ignore[arg-type]
    # batches bigger than the delta limit, after singles (pending delta) and after merges
    mixed = FingerIndex(params)
    for i in range(3):
        mixed.add(labels[i], enrolled[i])  # type: ignore[arg-type]
    mixed.add_many(labels[3:30], enrolled[3:30])  # type: ignore[arg-type]
    mixed.add(labels[30], enrolled[30])  # type: ignore[arg-type]
    mixed.add_many(labels[31:], enrolled[31:])  # type: ignore[arg-type]
    for probe in probes:
        v = live.votes(probe)
        assert v.max() > 0
        np.testing.assert_array_equal(v, bulk.votes(probe))
        np.testing.assert_array_equal(v, mixed.votes(probe))
        np.testing.assert_array_equal(v, _reference_votes(bulk, enrolled, probe))
        assert live.search(probe, top=5) == bulk.search(probe, top=5)


def test_rows_keep_their_contents_when_the_arrays_grow(fingers: dict[str, object]) -> None:
    mates = fingers["mates"]
    bg = fingers["background"]
    assert isinstance(mates, list) and isinstance(bg, list)
    enrolled = [a for a, _ in mates] + bg[:40]
    one = FingerIndex()
    for i, t in enumerate(enrolled):
        one.add(f"t{i}", t)
        if i in (0, 15, 16, 17, 42):        # around the first capacity doublings
            assert len(one) == i + 1
            ref = FingerIndex()
            ref.add_many([f"t{j}" for j in range(i + 1)], enrolled[:i + 1])
            probe = mates[i % 3][1]
            np.testing.assert_array_equal(one.score_all(probe), ref.score_all(probe))
            assert one.nbytes == ref.nbytes
    rows = np.arange(len(one))
    full = FingerIndex()
    full.add_many([f"t{i}" for i in rows], enrolled)
    a, b = one.gallery(rows), full.gallery(rows)
    for field in ("xy", "direction"):
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field))
    np.testing.assert_array_equal(one.score_all(mates[0][1]), full.score_all(mates[0][1]))
