"""The Ray engine on a real two-node Ray cluster on this machine (Ray's own
``ray.cluster_utils.Cluster``, all traffic on 127.0.0.1): the cluster run gives the
embedded run's clusters and stored codes, and a worker killed in the middle of a search
(or, with the actors making their own shards, of making its codes) is restarted and its
calls retried with nothing lost and nothing counted twice."""

from __future__ import annotations

import importlib
import os
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# Ray reads this when imported: without it Ray advertises the machine's network address
# even when told 127.0.0.1; with it the test cluster stays on loopback
os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = "0"

from idcapture.province import Registry, dedup, ingest
from idcapture.province.engine import LocalEngine, RayEngine, ShardActor, split_shard
from idcapture.province.search import ProbeBatch, SearchResult
from idcapture.province.sharded import Chunk, Code, ShardBuilder

ray = pytest.importorskip("ray", reason="the province-ray extra (Ray) is not installed")
dedup_mod = importlib.import_module("idcapture.province.dedup")
sharded_mod = importlib.import_module("idcapture.province.sharded")

pytestmark = pytest.mark.slow
BUDGET = 0.01


@pytest.fixture(scope="module")
def cluster() -> Iterator[Any]:
    from ray.cluster_utils import Cluster

    c = Cluster(initialize_head=True, head_node_args={
        "num_cpus": 1, "node_ip_address": "127.0.0.1", "include_dashboard": False})
    c.add_node(num_cpus=1, node_ip_address="127.0.0.1")
    ray.init(address=c.address, log_to_driver=False)
    try:
        yield c
    finally:
        ray.shutdown()
        c.shutdown()


def _clusters(reg: Registry) -> list[tuple[list[int], list[str]]]:
    return [(c["members"], c["kinds"]) for c in reg.clusters()]


def test_two_node_cluster_run_equals_embedded_run(
        cluster: Any, packages: list[Path], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    assert len(ray.nodes()) == 2
    assert all(n["NodeManagerAddress"] == "127.0.0.1" for n in ray.nodes())
    monkeypatch.setattr(dedup_mod, "EXHAUSTIVE_BELOW", 0)
    monkeypatch.setattr(dedup_mod, "BATCH", 8)            # several batches per actor
    results = {}
    for name, engine in (("embedded", LocalEngine(1)),
                         ("ray", RayEngine(cluster.address, workers=2))):
        with Registry(tmp_path / name) as reg:
            ingest(reg, packages, jobs=1)
            rep = dedup(reg, full=True, false_clusters=BUDGET, jobs=1, engine=engine,
                        penetration=0.05)
            results[name] = (_clusters(reg), rep.candidates_scored, rep.biometric_matches)
    assert results["ray"] == results["embedded"]
    assert len(results["ray"][0]) == 3


def test_worker_killed_mid_run_is_retried_nothing_lost_or_counted_twice(
        cluster: Any, packages: list[Path], tmp_path: Path) -> None:
    with Registry(tmp_path / "reg") as reg:
        ingest(reg, packages, jobs=1)
        records = {r.rid: r for r in reg.records()}
        shard, _gate = dedup_mod._province_shard(reg, records, True, 0.05, 1)
    rows = list(range(len(shard)))
    batches = [shard.batch(rows[r:r + 6]) for r in rows[::6]]
    marker = tmp_path / "killed"

    class DiesOnce(ShardActor):
        """Kills its own worker process in the middle of its third call, once."""

        calls = 0

        def search(self, batch: ProbeBatch, gate: float, threshold: float
                   ) -> SearchResult:
            self.calls += 1
            if self.calls == 3 and not marker.exists():
                marker.write_text(str(os.getpid()))
                os.kill(os.getpid(), signal.SIGKILL)
            return super().search(batch, gate, threshold)

    want = LocalEngine(1).run(shard, batches, 0.05, 60.0)
    got = RayEngine(cluster.address, workers=2, actor=DiesOnce).run(
        shard, batches, 0.05, 60.0)
    assert marker.exists()                      # a worker did die
    assert sorted((p.a, p.b, p.fused) for p in got.pairs) == \
        sorted((p.a, p.b, p.fused) for p in want.pairs)
    assert len(got.pairs) >= 2
    assert (got.considered, got.candidates) == (want.considered, want.candidates)
    # comparator calls are per shard: the same two shards searched here, once each
    calls = sum(LocalEngine(1).run(s, batches, 0.05, 60.0).comparisons
                for s in split_shard(shard, 2))
    assert got.comparisons == calls


def _codes(reg: Registry) -> list[tuple[int, str, bytes | None, bytes | None]]:
    return [(t.rid, t.position, t.feature, t.prepared) for t in reg.thumbs()]


def test_cluster_run_codes_and_gate_equal_embedded_runs_full_then_incremental(
        cluster: Any, packages: list[Path], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The actors make the codes (in chunks) and the driver stores them: the same codes,
    gate, matches and clusters as the embedded run, in a full run and in an incremental
    run of one more package."""
    monkeypatch.setattr(dedup_mod, "EXHAUSTIVE_BELOW", 0)
    monkeypatch.setattr(dedup_mod, "BATCH", 8)
    monkeypatch.setattr(sharded_mod, "CHUNK", 5)
    got = {}
    for name, engine in (("embedded", LocalEngine(1)),
                         ("ray", RayEngine(cluster.address, workers=2))):
        with Registry(tmp_path / name) as reg:
            ingest(reg, packages[:-1], jobs=1)
            full = dedup(reg, full=True, false_clusters=BUDGET, jobs=1, engine=engine,
                         penetration=0.05)
            ingest(reg, packages[-1:], jobs=1)
            inc = dedup(reg, false_clusters=BUDGET, jobs=1, engine=engine)
            got[name] = (_clusters(reg), _codes(reg), reg.get_state("prefilter_gate"),
                         [(r.candidates_scored, r.biometric_matches, r.probes, r.gate)
                          for r in (full, inc)])
            if name == "ray":
                assert len(full.actor_peak_rss) == 2 and min(full.actor_peak_rss) > 0
    assert got["ray"] == got["embedded"]
    assert all(f is not None and p is not None for _r, _p, f, p in got["ray"][1])
    assert got["ray"][3][1][2] < got["ray"][3][0][2]       # the incremental run's probes


def test_workers_killed_while_building_and_while_searching_are_reloaded(
        cluster: Any, packages: list[Path], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """An actor killed while making its chunks' codes and another killed in the middle
    of the search: Ray restarts them empty, the driver sends their chunks again, and the
    run stores the same codes and finds the same pairs, none counted twice."""
    monkeypatch.setattr(dedup_mod, "EXHAUSTIVE_BELOW", 0)
    monkeypatch.setattr(dedup_mod, "BATCH", 6)
    monkeypatch.setattr(sharded_mod, "CHUNK", 5)
    build, search = tmp_path / "killed-building", tmp_path / "killed-searching"

    class DiesTwice(ShardBuilder):
        """Kills its own worker process in its third load, and in its third search,
        once each over the run."""

        loads = searches = 0

        def load(self, chunk: Chunk) -> tuple[list[Code], int]:
            self.loads += 1
            if self.loads == 3 and not build.exists():
                build.write_text(str(os.getpid()))
                os.kill(os.getpid(), signal.SIGKILL)
            return super().load(chunk)

        def search(self, expect: int, batch: ProbeBatch, gate: float, threshold: float
                   ) -> SearchResult:
            self.searches += 1
            if self.searches == 3 and not search.exists():
                search.write_text(str(os.getpid()))
                os.kill(os.getpid(), signal.SIGKILL)
            return super().search(expect, batch, gate, threshold)

    got = {}
    for name, engine in (("embedded", LocalEngine(1)),
                         ("ray", RayEngine(cluster.address, workers=2, builder=DiesTwice))):
        with Registry(tmp_path / name) as reg:
            ingest(reg, packages, jobs=1)
            rep = dedup(reg, full=True, false_clusters=BUDGET, jobs=1, engine=engine,
                        penetration=0.05)
            got[name] = (_clusters(reg), _codes(reg), rep.candidates_scored,
                         rep.biometric_matches, rep.penetration, rep.gate)
    assert build.exists() and search.exists()          # both workers did die
    assert got["ray"] == got["embedded"]
    assert len(got["ray"][0]) == 3
