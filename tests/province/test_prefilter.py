"""The province's pre-filter and shards: the cylinder keys kept in the registry pass every
planted pair to the comparator while passing few others, and a province split into
shards in any way finds the same pairs."""

from __future__ import annotations

import dataclasses
import importlib
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from idcapture.biometrics.finger.compare import compare_many, compare_pairs
from idcapture.errors import RecordError
from idcapture.province import Registry, dedup, ingest
from idcapture.province.engine import LocalEngine, split_shard
from idcapture.province.features import KEYS_VERSION, feature_bytes, record_tokens
from idcapture.province.package import THUMBS
from idcapture.province.prepared import pack, thumb_codes, unpack
from idcapture.province.search import SearchResult, Shard, prepare_thumb

dedup_mod = importlib.import_module("idcapture.province.dedup")

BUDGET = 0.01


def _clusters(reg: Registry) -> list[tuple[list[int], list[str]]]:
    return [(c["members"], c["kinds"]) for c in reg.clusters()]


def test_prefilter_finds_what_scoring_every_pair_finds(
        packages: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with Registry(tmp_path / "all") as reg:
        ingest(reg, packages, jobs=1)
        every = dedup(reg, full=True, false_clusters=BUDGET, jobs=1)
        assert every.penetration > 0.99          # small province: every pair scored
        want = _clusters(reg)
        # the keys were computed once and kept: none missing now
        assert all(t.feature for t in reg.thumbs())
    monkeypatch.setattr(dedup_mod, "EXHAUSTIVE_BELOW", 0)
    with Registry(tmp_path / "pre") as reg:
        ingest(reg, packages, jobs=1)
        pre = dedup(reg, full=True, false_clusters=BUDGET, jobs=1, penetration=0.02)
        assert _clusters(reg) == want and len(want) == 3
        # at most a few percent of the pairs reached the comparator
        assert 0 < pre.penetration < 0.06
        assert pre.candidates_scored < 0.06 * every.candidates_scored
        # the pre-filter's work: inverted-list entries read, bounded by the common-key cap
        assert 0 < pre.postings <= pre.probes * pre.keys_per_record * dedup_mod.COMMON_KEYS
        gate = float(reg.get_state("prefilter_gate"))
        # an incremental run reuses the kept gate
        again = dedup(reg, false_clusters=BUDGET, jobs=1, penetration=0.5)
        assert float(reg.get_state("prefilter_gate")) == gate and again.probes == 0


def test_shards_and_engines_give_the_same_pairs(packages: list[Path], tmp_path: Path
                                                ) -> None:
    with Registry(tmp_path / "reg") as reg:
        ingest(reg, packages, jobs=1)
        records = {r.rid: r for r in reg.records()}
        shard, _gate = dedup_mod._province_shard(reg, records, True, 0.02, 1)
    rows = np.arange(len(shard))
    batches = [shard.batch(r) for r in np.array_split(rows, 3)]
    gate, threshold = 0.05, 60.0

    def pairs(res: SearchResult) -> list[tuple[int, int, float]]:
        return sorted((p.a, p.b, p.fused) for p in res.pairs)

    one = LocalEngine(1).run(shard, batches, gate, threshold)
    assert len(pairs(one)) >= 2                  # the planted pairs
    for parts in (2, 3):
        merged = SearchResult()
        for s in split_shard(shard, parts):
            for b in batches:
                merged.merge(s.search(b, gate, threshold))
        assert pairs(merged) == pairs(one)
        assert (merged.considered, merged.candidates) == (one.considered, one.candidates)
    pool = LocalEngine(2).run(shard, batches, gate, threshold)
    assert pairs(pool) == pairs(one)


def test_keys_of_another_scheme_are_computed_again(packages: list[Path], tmp_path: Path
                                                  ) -> None:
    with Registry(tmp_path / "reg") as reg:
        ingest(reg, packages[:2], jobs=1)
        dedup(reg, full=True, false_clusters=BUDGET, jobs=1)
        kept = {(t.rid, t.position): t.feature for t in reg.thumbs()}
        assert reg.get_state("prefilter_keys") == KEYS_VERSION
        assert all(f == feature_bytes(t.template) for t in reg.thumbs()
                   for f in [kept[t.rid, t.position]])
        # a registry whose keys an earlier scheme computed
        forms = {(t.rid, t.position): t.prepared for t in reg.thumbs()}
        reg.set_features([(rid, pos, b"\x01\x00\x00\x00", None) for rid, pos in kept])
        reg.set_state({"prefilter_keys": "mcc-24x18"})
        dedup(reg, false_clusters=BUDGET, jobs=1)
        assert {(t.rid, t.position): t.feature for t in reg.thumbs()} == kept
        assert {(t.rid, t.position): t.prepared for t in reg.thumbs()} == forms
        assert reg.get_state("prefilter_keys") == KEYS_VERSION
        # forms made under other cylinder parameters are made again, keys left alone
        reg.set_features([(rid, pos, kept[rid, pos], b"\x01") for rid, pos in kept])
        reg.set_state({"prepared_version": "prep0"})
        dedup(reg, false_clusters=BUDGET, jobs=1)
        assert {(t.rid, t.position): t.prepared for t in reg.thumbs()} == forms


def test_leaving_out_keys_no_other_record_holds_changes_no_similarity(
        packages: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dedup_mod, "COMMON_KEYS", 10**9)     # no common-key cap here
    with Registry(tmp_path / "reg") as reg:
        ingest(reg, packages, jobs=1)
        records = {r.rid: r for r in reg.records()}
        shard, _gate = dedup_mod._province_shard(reg, records, True, 0.02, 1)
        codes: dict[int, list[bytes | None]] = {}
        for t in reg.thumbs():
            codes.setdefault(t.rid, [None, None])[THUMBS.index(t.position)] = t.feature
    every = [record_tokens(codes[int(r)]) for r in shard.rids]
    whole = Shard(shard.rids, every, list(shard.id_numbers), shard.templates)
    # most keys belong to one record only and are left out of the search
    assert sum(map(len, shard.tokens)) < 0.5 * sum(map(len, every))
    assert np.array_equal(shard.count, whole.count)
    probe = shard.batch(np.arange(len(shard)))
    pruned = shard.similarities(probe.tokens, None, probe.counts)
    kept = whole.similarities(every)
    other = ~np.eye(len(shard), dtype=bool)        # a record with itself aside
    assert kept[other].max() > 0.1 and np.allclose(pruned[other], kept[other])


def test_paired_scoring_gives_the_scores_of_one_call_per_pair(
        packages: list[Path], tmp_path: Path) -> None:
    with Registry(tmp_path / "reg") as reg:
        ingest(reg, packages, jobs=1)
        records = {r.rid: r for r in reg.records()}
        shard, _gate = dedup_mod._province_shard(reg, records, True, 0.02, 1)
        # prepared here from the templates, not from the forms the registry keeps
        ready = {(t.rid, t.position): prepare_thumb(t.template) for t in reg.thumbs()}
    # gate and threshold 0: the last records against every earlier one, every pair kept
    res = shard.search(shard.batch(np.arange(len(shard) - 5, len(shard))), 0.0, 0.0)
    assert res.candidates >= 100 and len(res.pairs) == res.candidates
    for p in res.pairs:
        a, b = p.a, p.b
        want = {}
        for t in THUMBS:
            if (a, t) in ready and (b, t) in ready:
                pa, pb = ready[a, t], ready[b, t]
                want[t] = round(min(float(compare_many(pa, [pb])[0]),
                                    float(compare_many(pb, [pa])[0])), 2)
        assert p.thumbs == want and p.fused == round(sum(want.values()), 2)


@pytest.mark.parametrize(("cap", "bits"), [(3, 24), (dedup_mod.COMMON_KEYS, 24),
                                           (dedup_mod.COMMON_KEYS, 8)])
def test_codes_cut_to_the_new_records_keys_give_them_the_same_similarities(
        packages: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cap: int,
        bits: int) -> None:
    monkeypatch.setattr(dedup_mod, "_TABLE_BITS", bits)    # 8: most keys' slots clash
    with Registry(tmp_path / "reg") as reg:
        ingest(reg, packages, jobs=1)
        records = {r.rid: r for r in reg.records()}
        dedup_mod._province_shard(reg, records, True, 0.02, 1)      # computes the keys
        codes: dict[int, list[bytes | None]] = {}
        for t in reg.thumbs():
            codes.setdefault(t.rid, [None, None])[THUMBS.index(t.position)] = t.feature
    rids = sorted(codes)
    every = [record_tokens(codes[r]) for r in rids]
    new = np.arange(len(rids)) >= len(rids) - 12          # the last package's share
    whole = Shard(rids, dedup_mod._informative(every, cap), [""] * len(rids), [{}] * len(rids),
                  [len(t) for t in every])
    cut = Shard(rids, dedup_mod._informative_for(every, new, cap), [""] * len(rids),
                [{}] * len(rids), [len(t) for t in every])
    # the new records keep their informative keys; the others only keys a new record holds
    for i in np.flatnonzero(new):
        assert np.array_equal(cut.tokens[i], whole.tokens[i])
    fresh = np.unique(np.concatenate([every[i] for i in np.flatnonzero(new)]))
    assert all(np.isin(cut.tokens[i], fresh).all() for i in range(len(rids)))
    assert sum(map(len, cut.tokens)) < sum(map(len, whole.tokens))
    probe = whole.batch(np.flatnonzero(new))
    want = whole.similarities(probe.tokens, None, probe.counts)
    assert want[want < 0.99].max() > 0.05                  # some keys shared across records
    assert np.array_equal(cut.similarities(probe.tokens, None, probe.counts), want)


def test_an_incremental_run_finds_the_clusters_of_a_run_over_whole_codes(
        packages: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dedup_mod, "EXHAUSTIVE_BELOW", 0)
    found = []
    for whole in (False, True):
        if whole:       # the codes of every record searched whole, as a full run has them
            monkeypatch.setattr(dedup_mod, "_informative_for",
                                lambda tokens, new, cap: dedup_mod._informative(tokens, cap))
        with Registry(tmp_path / f"reg{whole}") as reg:
            ingest(reg, packages[:-1], jobs=1)
            dedup(reg, full=True, false_clusters=BUDGET, jobs=1, penetration=0.05)
            ingest(reg, packages[-1:], jobs=1)
            inc = dedup(reg, false_clusters=BUDGET, jobs=1)
            assert inc.probes > 0
            found.append((_clusters(reg), inc.candidates_scored, inc.postings))
    assert found[0][:2] == found[1][:2] and len(found[0][0]) == 3
    assert found[0][2] == found[1][2]          # the same inverted-list entries read


def test_stored_prepared_forms_give_what_prepare_gives(packages: list[Path],
                                                       tmp_path: Path) -> None:
    with Registry(tmp_path / "reg") as reg:
        ingest(reg, packages[:2], jobs=1)
        thumbs = list(reg.thumbs())
    assert thumbs and all(t.feature is None and t.prepared is None for t in thumbs)
    fresh = [prepare_thumb(t.template) for t in thumbs]
    back = []
    for t, p in zip(thumbs, fresh, strict=True):
        keys, form = thumb_codes(t.template)
        assert keys == feature_bytes(t.template)      # the keys of the separate path
        # cylinders ~3.2 kB, texture cylinders (thumbs with block maps) ~2.3 kB more
        assert form == pack(p) and 2000 < len(form) < (6000 if p.texture is not None else 4000)
        back.append(unpack(form))
    assert any(p.texture is not None for p in fresh)

    def same(a: object, b: object) -> None:
        for f in dataclasses.fields(a):              # type: ignore[arg-type]
            x, y = getattr(a, f.name), getattr(b, f.name)
            if dataclasses.is_dataclass(x):
                same(x, y)
            elif isinstance(x, np.ndarray):
                assert x.dtype == y.dtype and np.array_equal(x, y), f.name
            else:
                assert x == y, f.name

    for p, q in zip(fresh, back, strict=True):
        same(p, q)
    assert np.array_equal(compare_pairs(fresh[:-1], fresh[1:]), compare_pairs(back[:-1], back[1:]))
    with pytest.raises(RecordError, match="bytes"):
        unpack(pack(fresh[0])[:-1])
    with pytest.raises(RecordError, match="layout"):
        unpack(b"\x07" + pack(fresh[0])[1:])


def test_an_incremental_run_reads_the_prepared_thumbs_of_probes_and_candidates_only(
        packages: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dedup_mod, "EXHAUSTIVE_BELOW", 0)
    with Registry(tmp_path / "reg") as reg:
        ingest(reg, packages[:-1], jobs=1)
        dedup(reg, full=True, false_clusters=BUDGET, jobs=1, penetration=0.05)
        after = int(reg.get_state("biometric_searched_through"))
        ingest(reg, packages[-1:], jobs=1)
        records = {r.rid: r for r in reg.records()}
        shard, gate = dedup_mod._province_shard(reg, records, False, 0.05, 1, after)
        every = {(t.rid, t.position): t.prepared for t in reg.thumbs()}
    probes = np.flatnonzero(shard.rids > after)
    found = shard.candidates(shard.batch(probes), gate)
    need = set(probes.tolist()) | {int(r) for _i, rows in found for r in rows}
    held = {i for i, t in enumerate(shard.templates) if t}
    assert held == need and len(found) > 0 and len(held) < len(shard)
    assert all(shard.templates[i][p] == every[int(shard.rids[i]), p]
               for i in held for p in shard.templates[i])
    # the same pairs as a shard holding every record's thumbs
    whole = Shard(shard.rids, shard.tokens, list(shard.id_numbers),
                  [{p: f for (r, p), f in every.items() if r == rid} for rid in shard.rids],
                  shard.count)
    got, want = (s.search(shard.batch(probes), gate, 0.0) for s in (shard, whole))
    assert got.candidates == want.candidates > 0
    assert sorted((p.a, p.b, p.fused) for p in got.pairs) == \
        sorted((p.a, p.b, p.fused) for p in want.pairs)
    # the candidates found to know which thumbs to read are the search's: the pre-filter
    # is not run again, and its work is counted as if it were
    assert got.postings == want.postings > 0 and shard.ahead_cpu > 0
    monkeypatch.setattr(shard, "_shared", lambda *a: pytest.fail("pre-filter run twice"))
    for part in np.array_split(probes, 3):
        again = shard.search(shard.batch(part), gate, 0.0)
        assert again.candidates == whole.search(whole.batch(part), gate, 0.0).candidates


def test_codes_are_made_again_chunk_by_chunk(packages: list[Path], tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """Recoding a registry of another scheme reads the templates a chunk at a time (no
    read holds more than a chunk's thumbs) and stores the same codes."""
    with Registry(tmp_path / "reg") as reg:
        ingest(reg, packages, jobs=1)
        dedup(reg, full=True, false_clusters=BUDGET, jobs=1, faces=False)
        want = {(t.rid, t.position): (t.feature, t.prepared) for t in reg.thumbs()}
        reg.set_features([(rid, pos, b"\x01\x00\x00\x00", None) for rid, pos in want])
        reg.set_state({"prefilter_keys": "mcc-24x18"})
        monkeypatch.setattr(dedup_mod, "_CODE_CHUNK", 6)
        reads: list[int] = []
        thumbs = reg.thumbs

        def counted(*a: Any, **kw: Any) -> Any:
            rows = list(thumbs(*a, **kw))
            reads.append(len(rows))
            return iter(rows)

        monkeypatch.setattr(reg, "thumbs", counted)
        rids = sorted(r.rid for r in reg.records())
        assert dedup_mod._code_thumbs(reg, 1, 0, rids) is True
        monkeypatch.undo()
        assert len(reads) >= len(rids) // 3 and max(reads) <= 6
        assert sum(reads) == len(want)
        assert {(t.rid, t.position): (t.feature, t.prepared) for t in reg.thumbs()} == want
        assert reg.get_state("prefilter_keys") == KEYS_VERSION
