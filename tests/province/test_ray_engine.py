"""The Ray engine on a real two-node Ray cluster on this machine (Ray's own
``ray.cluster_utils.Cluster``, all traffic on 127.0.0.1): the cluster run gives the
embedded run's clusters, and a worker killed in the middle of a search is restarted and
its calls retried with nothing lost and nothing counted twice."""

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

ray = pytest.importorskip("ray", reason="the province-ray extra (Ray) is not installed")
dedup_mod = importlib.import_module("idcapture.province.dedup")

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
