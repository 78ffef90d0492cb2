"""The sharded build (:mod:`idcapture.province.sharded`) without Ray: actors' shards
made from registry chunks, cut by key counts added up part by part, give the whole
province's codes, gate and matches; the sparse quantile is numpy's."""

from __future__ import annotations

import importlib
from pathlib import Path

import numpy as np
import pytest

from idcapture.province import Registry, ingest
from idcapture.province.search import SearchResult
from idcapture.province.sharded import (
    ShardBuilder,
    ShardLost,
    chunk_size,
    gate_sample,
    merge_key_parts,
    read_chunk,
    sparse_quantile,
)

dedup_mod = importlib.import_module("idcapture.province.dedup")


def test_sparse_quantile_is_numpys_linear_quantile() -> None:
    rng = np.random.default_rng(1)
    for _ in range(2000):
        n = int(rng.integers(1, 300))
        zeros = int(rng.integers(0, n + 1))
        pos = (rng.random(n - zeros) * rng.choice([1e-3, 1.0, 30.0]) + 1e-6).astype(np.float32)
        values = np.concatenate([np.zeros(zeros, np.float32), pos])
        rng.shuffle(values)
        q = float(rng.choice([1 - 1 / (n + 1), rng.random(), 0.0, 1.0, 0.5]))
        assert sparse_quantile(pos, zeros, q) == float(np.quantile(values, q)), (n, zeros, q)
    with pytest.raises(ValueError):
        sparse_quantile(np.zeros(0, np.float32), 0, 0.5)


def test_merge_key_parts_keeps_keys_held_by_two_to_cap_records() -> None:
    a = (np.array([1, 5, 9], np.uint64), np.array([1, 2, 1], np.int32))
    b = (np.array([1, 7, 9], np.uint64), np.array([3, 1, 1], np.int32))
    va, vb = merge_key_parts(3, a, b)
    # 1: held 4 (over the cap), 5: 2, 9: 2, 7: 1 (one record only)
    assert np.unpackbits(va, count=3).tolist() == [0, 1, 1]
    assert np.unpackbits(vb, count=3).tolist() == [0, 0, 1]


def test_builders_give_the_whole_provinces_codes_gate_and_matches(
        packages: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dedup_mod, "EXHAUSTIVE_BELOW", 0)
    with Registry(tmp_path / "reg") as reg:
        ingest(reg, packages, jobs=1)
        records = {r.rid: r for r in reg.records()}
        rids = np.array(sorted(records), np.int64)
        ids = [records[r].id_number for r in rids.tolist()]
        builders = [ShardBuilder(), ShardBuilder()]
        stretches = [(0, 12), (12, len(rids))]           # chunks of 5 records
        chunks = [len(range(lo, hi, 5)) for lo, hi in stretches]

        def load(a: int) -> list[tuple[int, str, bytes, bytes]]:
            lo, hi = stretches[a]
            made = []
            for c, s in enumerate(range(lo, hi, 5)):
                e = min(s + 5, hi)
                new, held = builders[a].load(read_chunk(reg, c, rids[s:e], ids[s:e], False))
                assert held == c + 1
                made += new
            return made

        # the first stretch is coded by its builder (stored as the driver does), the
        # rest by the embedded run; the second builder then finds every code stored
        made = load(0)
        assert len(made) == 2 * 12
        reg.set_features(made)
        whole, gate = dedup_mod._province_shard(reg, records, True, 0.05, 1)
        assert load(1) == []
    with pytest.raises(ShardLost):
        builders[0].key_parts(chunks[0] + 1, 2)
    parts = [b.key_parts(n, 2) for b, n in zip(builders, chunks, strict=True)]
    verdicts = [merge_key_parts(dedup_mod.COMMON_KEYS, parts[0][p], parts[1][p])
                for p in range(2)]
    stats = [b.build(n, verdicts[0][a], verdicts[1][a])
             for a, (b, n) in enumerate(zip(builders, chunks, strict=True))]
    shards = [b.shard for b in builders]
    assert all(s is not None for s in shards)
    tokens = [t for s in shards if s is not None for t in s.tokens]
    assert len(tokens) == len(whole.tokens)
    assert all(np.array_equal(x, y) for x, y in zip(tokens, whole.tokens, strict=True))
    assert sum(s[2] for s in stats) == len(whole)
    assert sum(s[1] for s in stats) == int(whole.count.sum())
    # the gate: the sample's nonzero similarities and zeros, from each builder
    rows = gate_sample(len(rids))
    sample = whole.batch(rows)
    got = []
    for a, (lo, hi) in enumerate(stretches):
        own = [(i, int(r) - lo) for i, r in enumerate(rows) if lo <= r < hi]
        got.append(builders[a].similarities(chunks[a], sample, own))
    fitted = sparse_quantile(np.concatenate([p for p, _ in got]), sum(z for _, z in got),
                             1.0 - 0.05)
    assert fitted == gate == dedup_mod.fit_gate(whole, 0.05)
    # the search: probes made by the builders, answers merged over both
    want = whole.search(whole.batch(np.arange(len(whole))), gate, 40.0)
    total = SearchResult()
    for a, (lo, hi) in enumerate(stretches):
        batch = builders[a].probes(chunks[a], 0, hi - lo)
        for b, n in zip(builders, chunks, strict=True):
            total.merge(b.search(n, batch, gate, 40.0))
    assert sorted((p.a, p.b, p.fused) for p in total.pairs) == \
        sorted((p.a, p.b, p.fused) for p in want.pairs)
    assert (total.considered, total.candidates) == (want.considered, want.candidates)
    assert len(want.pairs) >= 2
    # a builder restarted empty refuses to search rather than answer from nothing
    fresh = ShardBuilder()
    with pytest.raises(ShardLost):
        fresh.search(chunks[0], batch, gate, 40.0)


def test_chunks_shrink_as_actors_are_added() -> None:
    sizes = [chunk_size(n) for n in (1, 2, 4, 8, 100, 1000)]
    assert sizes[:3] == [4096, 4096, 4096] and sizes[-1] == 256
    assert sizes == sorted(sizes, reverse=True)
    assert 2 * 8 * sizes[3] <= 32_768 and sizes[4] == 256       # never under 256
