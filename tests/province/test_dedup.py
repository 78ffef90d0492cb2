"""Cross-school checks on a small synthetic province: every planted duplicate is found,
no other cluster appears, incremental and full runs agree."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from idcapture.biometrics.finger.compare import threshold_for_fmr
from idcapture.cli import main
from idcapture.province import Registry, dedup, fused_threshold, ingest, record_pairs
from idcapture.province.synthetic import SyntheticProvince

#: expected false biometric clusters allowed over the test province
BUDGET = 0.01


def _truth(province: SyntheticProvince) -> dict[frozenset[tuple[str, str]], str]:
    data = json.loads(province.truth.read_text(encoding="utf-8"))
    return {frozenset(tuple(r) for r in p["records"]): p["kind"] for p in data["planted"]}


def _found(reg: Registry) -> dict[frozenset[tuple[str, str]], list[str]]:
    rows = {r.rid: (r.station_id, r.registration_number) for r in reg.records()}
    return {frozenset(rows[m] for m in c["members"]): c["kinds"] for c in reg.clusters()}


def test_every_planted_duplicate_is_found_and_nothing_else(
        packages: list[Path], province: SyntheticProvince, tmp_path: Path) -> None:
    truth = _truth(province)
    assert sorted(truth.values()) == ["biometric", "same-id", "shared-thumb"]
    with Registry(tmp_path / "reg") as reg:
        ingest(reg, packages, jobs=1)
        rep = dedup(reg, full=True, false_clusters=BUDGET, jobs=1)
        found = _found(reg)
        assert set(found) == set(truth)
        for members, kinds in found.items():
            want = "same-id" if truth[members] == "same-id" else "biometric"
            assert kinds == [want]
        assert rep.same_id_groups == 1 and rep.biometric_matches == 2
        assert rep.threshold == pytest.approx(fused_threshold(province.students, BUDGET))
        # the evidence names both thumbs with their scores, stations and numbers
        bio = [e for c in reg.clusters() for e in c["evidence"] if e["kind"] == "biometric"]
        for e in bio:
            assert set(e["thumbs"]) == {"right_thumb", "left_thumb"}
            assert e["fused"] == pytest.approx(sum(e["thumbs"].values()), abs=0.02)
            assert e["fused"] >= rep.threshold and len(set(e["stations"])) == 2
        # the shared-thumb pair: one thumb alone carries it
        assert any(min(e["thumbs"].values()) < threshold_for_fmr(0.01) for e in bio)


def test_incremental_runs_search_only_new_records_and_agree_with_full(
        packages: list[Path], tmp_path: Path) -> None:
    with Registry(tmp_path / "inc") as reg:
        ingest(reg, packages[:2], jobs=1)
        first = dedup(reg, false_clusters=BUDGET, jobs=1)
        assert first.probes == reg.count()
        res = ingest(reg, packages[2:], jobs=1)
        second = dedup(reg, false_clusters=BUDGET, jobs=1)
        assert second.probes == sum(r.records for r in res)
        again = dedup(reg, false_clusters=BUDGET, jobs=1)
        assert again.probes == 0 and again.clusters == second.clusters
        incremental = _found(reg)
        evidence = sorted(json.dumps(c["evidence"], sort_keys=True) for c in reg.clusters())
    with Registry(tmp_path / "full") as reg:
        ingest(reg, packages, jobs=1)
        dedup(reg, full=True, false_clusters=BUDGET, jobs=1)
        assert _found(reg) == incremental
        assert sorted(json.dumps(c["evidence"], sort_keys=True)
                      for c in reg.clusters()) == evidence


def test_the_threshold_holds_the_false_hit_budget() -> None:
    for n in (60_000, 1_200_000):
        t = fused_threshold(n, 1.0)
        assert record_pairs(n) * 10 ** (-t / 10) == pytest.approx(1.0)
    assert fused_threshold(1_200_000) > fused_threshold(60_000)


def test_cli_ingest_then_dedup_masks_id_numbers(packages: list[Path], tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    reg = str(tmp_path / "reg")
    assert main(["province", "ingest", *map(str, packages), "--registry", reg,
                 "--jobs", "1"]) == 0
    out = capsys.readouterr().out
    assert out.count("ingested ") == len(packages)
    assert main(["province", "dedup", "--registry", reg, "--false-clusters", str(BUDGET),
                 "--jobs", "1"]) == 0
    out = capsys.readouterr().out
    assert out.count("cluster ") == 3 and "same-id" in out and "biometric" in out
    with Registry(reg) as r:
        for row in r.records():
            assert row.id_number not in out
    bad = tmp_path / "bad.zip"
    bad.write_bytes(b"PK\x03\x04 truncated")
    assert main(["province", "ingest", str(bad), "--registry", reg]) == 1
    assert "refused bad.zip" in capsys.readouterr().out
