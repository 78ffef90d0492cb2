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
from idcapture.biometrics.finger.index_synth import flow_template
from idcapture.biometrics.finger.template import FingerTemplate
from idcapture.errors import ConfigError
from idcapture.sim.fingerprints import generate_master, make_impression


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
