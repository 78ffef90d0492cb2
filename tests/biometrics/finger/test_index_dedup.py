"""Batch de-duplication through the index (library and ``finger dedup --method index``)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from idcapture.biometrics.finger import extract
from idcapture.biometrics.finger.compare import prepare
from idcapture.biometrics.finger.compare_parallel import clusters_from_pairs
from idcapture.biometrics.finger.index import FingerIndex, IndexParams
from idcapture.biometrics.finger.template import FingerTemplate
from idcapture.cli import main
from idcapture.synth.fingerprints import generate_master, make_impression
from idcapture.synth.templates import flow_template


@pytest.fixture(scope="module")
def batch() -> list[tuple[str, FingerTemplate]]:
    """Two fingers captured twice each, among 30 other (flow-field) templates."""
    out = []
    m1, m2 = generate_master(71), generate_master(72)
    for name, m, seed in (("a1", m1, 1), ("a2", m1, 2), ("b1", m2, 3), ("b2", m2, 4)):
        out.append((name, extract(make_impression(m, seed=seed).image, m.ppi)))
    rng = np.random.default_rng(9)
    out += [(f"z{i:02d}", flow_template(m1.orientation if i % 2 else m2.orientation,
                                        m1.mask, rng, count=int(rng.integers(25, 60))))
            for i in range(30)]
    return out


def test_self_matches_finds_both_pairs_and_nothing_else(
        batch: list[tuple[str, FingerTemplate]]) -> None:
    ix = FingerIndex(IndexParams(candidates=8, candidate_fraction=0.0))
    ix.add_many([n for n, _ in batch], [prepare(t) for _, t in batch])
    seen: list[int] = []
    links = ix.self_matches(40.0, progress=lambda d, n: seen.append(d))
    assert seen[-1] == len(batch)
    assert [(i, j) for i, j, _ in links] == [(0, 1), (2, 3)]
    assert all(s >= 40.0 for _, _, s in links)
    assert clusters_from_pairs(len(batch), [(i, j) for i, j, _ in links]) == [[0, 1], [2, 3]]


@pytest.mark.parametrize("method", ["index", "all-pairs"])
def test_dedup_command_reports_the_same_groups_either_way(
        tmp_path: Path, batch: list[tuple[str, FingerTemplate]], method: str,
        capsys: pytest.CaptureFixture[str]) -> None:
    for name, t in batch:
        (tmp_path / f"{name}.json").write_text(json.dumps(t.to_json()), encoding="utf-8")
    assert main(["finger", "dedup", str(tmp_path), "--method", method, "--jobs", "1",
                 "--json"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert out["method"] == method
    assert sorted(sorted(c["members"]) for c in out["clusters"]) == \
        [["a1.json", "a2.json"], ["b1.json", "b2.json"]]
