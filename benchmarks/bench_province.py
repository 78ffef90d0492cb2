"""The province pipeline on a synthetic province: each stage's time (wall and CPU), the
pre-filter's penetration and recall, the search's memory, the planted duplicates found,
and the projection to larger provinces.

Stages: ``synth`` (packages with planted duplicates, the planted ones rendered and
extracted, the bulk template-level), ``ingest`` of all but the last package (templates
read, the pre-filter's cylinder keys computed and kept), ``dedup --full`` over them, then
``ingest`` of the last package and an incremental ``dedup`` (only its records searched
against everything before). The baseline, measured in the same run, is the cost of
scoring pairs with the full comparator (``compare_many`` on both thumbs, per pair): the
ratio is what the pre-filter saves against scoring every pair. Accuracy figures are
in-sample on the synthetic province (planted ground truth); the recall of the
pre-filter is counted on the planted biometric pairs (their similarity against the gate).

CPU times count this process and its finished worker processes (the machine may be
shared; wall time is then not a cost). Run::

    python benchmarks/bench_province.py                       # 2,000 students, minutes
    python benchmarks/bench_province.py --students 10000 --biometric 60 --same-id 30 \\
        --stations 10 --out build/province-10k
    python benchmarks/bench_province.py --out build/province-10k --recode \\
        --memory embedded:1 embedded:2 ray:1 ray:2        # peak memory per engine
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import resource
import shutil
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np

from idcapture.biometrics.finger.compare import compare_many
from idcapture.province import Registry, dedup, fused_threshold, ingest, record_pairs
from idcapture.province.search import prepare_thumb
from idcapture.province.synthetic import synth_province

dedup_mod = importlib.import_module("idcapture.province.dedup")


def _cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


class Stages:
    def __init__(self) -> None:
        self.rows: list[tuple[str, float, float]] = []

    def run(self, name: str, fn, *a, **kw):  # type: ignore[no-untyped-def]
        w, c = time.perf_counter(), _cpu()
        out = fn(*a, **kw)
        self.rows.append((name, time.perf_counter() - w, _cpu() - c))
        return out


def _found(reg: Registry, truth: Path) -> dict[str, tuple[int, int]]:
    """Per kind: (planted, found as a cluster of exactly the two records); and the
    clusters matching no planted pair (key ``false``)."""
    planted = json.loads(truth.read_text(encoding="utf-8"))["planted"]
    rows = {r.rid: (r.station_id, r.registration_number) for r in reg.records()}
    clusters = {frozenset(rows[m] for m in c["members"]) for c in reg.clusters()}
    out: dict[str, tuple[int, int]] = {}
    keys = set()
    for p in planted:
        key = frozenset(tuple(r) for r in p["records"])
        keys.add(key)
        n, f = out.get(p["kind"], (0, 0))
        out[p["kind"]] = (n + 1, f + (key in clusters))
    out["false"] = (len(clusters), len(clusters - keys))
    return out


def _prefilter_recall(reg: Registry, truth: Path) -> tuple[int, int, float, float]:
    """Planted biometric pairs whose similarity reaches the kept gate, and the lowest
    mate similarity beside the gate."""
    records = {r.rid: r for r in reg.records()}
    shard, gate = dedup_mod._province_shard(reg, records, False, 1.0 / len(records), 1)
    at = {int(r): i for i, r in enumerate(shard.rids)}
    key = {(r.station_id, r.registration_number): r.rid for r in records.values()}
    sims = []
    for p in json.loads(truth.read_text(encoding="utf-8"))["planted"]:
        if p["kind"] == "biometric":
            a, b = (at[key[tuple(x)]] for x in p["records"])
            sims.append(float(shard.similarities([shard.tokens[a]], None,
                                                 shard.count[[a]])[0, b]))
    s = np.array(sims)
    return int((s >= gate).sum()), len(s), float(s.min()) if len(s) else 0.0, gate


def _pair_cost(reg: Registry, pairs: int = 40) -> float:
    """CPU seconds to score one pair of records on both thumbs, both directions
    (the exhaustive baseline), from a sample of batched calls."""
    rows = [t for t in reg.thumbs() if t.position == "right_thumb"][:pairs + 1]
    tpl = [prepare_thumb(t.template) for t in rows]
    c = time.process_time()
    compare_many(tpl[0], tpl[1:])
    compare_many(tpl[1], tpl[2:] + tpl[:1])
    return 2 * (time.process_time() - c) / pairs   # x2 thumbs; both directions done


def _ray_runs(reg: Registry, workers: list[int], two_nodes: bool,
              want: dict[str, tuple[int, int]]) -> list[tuple[str, float, float, float, bool]]:
    """dedup --full on Ray per actor count (a local Ray with as many CPUs), and with two
    actors on a two-node cluster on this machine (``ray.cluster_utils.Cluster``, one CPU
    a node, loopback only): the run's wall time, its search's wall time, the search's
    CPU in the actors, and whether the clusters are the embedded run's. (Leaves the
    registry as a full run leaves it.)"""
    if not workers and not two_nodes:
        return []
    # without it Ray advertises the machine's network address even when told 127.0.0.1
    os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
    import ray
    from ray.cluster_utils import Cluster

    from idcapture.province.engine import RayEngine

    truth = Path(reg.path).parent / "packages" / "truth.json"
    out = []

    def one(name: str, engine: RayEngine) -> None:
        t = time.perf_counter()
        rep = dedup(reg, full=True, engine=engine)
        out.append((name, time.perf_counter() - t, rep.seconds["search"],
                    rep.prefilter_cpu + rep.compare_cpu, _found(reg, truth) == want))

    if workers:
        ray.init(num_cpus=max(workers), include_dashboard=False, log_to_driver=False)
        try:
            for w in workers:
                one(f"{w} actor(s), one node", RayEngine(None, workers=w))
        finally:
            ray.shutdown()
    if two_nodes:
        cluster = Cluster(initialize_head=True, head_node_args={
            "num_cpus": 1, "node_ip_address": "127.0.0.1", "include_dashboard": False})
        cluster.add_node(num_cpus=1, node_ip_address="127.0.0.1")
        ray.init(address=cluster.address, log_to_driver=False)
        try:
            one("2 actors, two-node cluster", RayEngine(cluster.address, workers=2))
        finally:
            ray.shutdown()
            cluster.shutdown()
    return out


def _print_ray(runs: list[tuple[str, float, float, float, bool]]) -> None:
    for name, wall, search, cpu, same in runs:
        print(f"  ray, {name:<28} dedup --full {wall:7.1f} s wall, search {search:7.1f} s "
              f"wall, {cpu:7.1f} CPU s in the actors; clusters "
              f"{'identical to' if same else 'DIFFERENT from'} the reference run's")


def _search_alone(reg: Registry, rounds: int, shards: list[int]) -> None:
    """The search of every record on one shard and its batches (no registry work):
    engines alternating for ``rounds`` rounds (wall, CPU in the workers, same pairs),
    then the pre-filter's CPU a probe (1,024 probes) with the records split into each
    of ``shards`` shards."""
    from idcapture.province.engine import LocalEngine, RayEngine, split_shard
    from idcapture.province.search import SearchResult

    records = {r.rid: r for r in reg.records()}
    shard, gate = dedup_mod._province_shard(reg, records, False, 1.0 / len(records), 1)
    rows = np.arange(len(shard))
    batches = [shard.batch(rows[s:s + dedup_mod.BATCH])
               for s in range(0, len(rows), dedup_mod.BATCH)]
    threshold = fused_threshold(len(records))
    if rounds:
        os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
        import ray

        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
        ref = None
        try:
            for r in range(rounds):
                for name, engine in (("embedded, 1 process", LocalEngine(1)),
                                     ("ray, 1 actor", RayEngine(None, 1)),
                                     ("embedded, 2 processes", LocalEngine(2)),
                                     ("ray, 2 actors", RayEngine(None, 2))):
                    load = os.getloadavg()[0]
                    w = time.perf_counter()
                    res = engine.run(shard, batches, gate, threshold)
                    w = time.perf_counter() - w
                    pairs = sorted((p.a, p.b, p.fused) for p in res.pairs)
                    ref = ref if ref is not None else pairs
                    print(f"  round {r + 1}, {name:<22} search {w:6.1f} s wall, "
                          f"{res.prefilter_cpu + res.compare_cpu:5.1f} CPU s in the workers "
                          f"(load {load:.1f}); pairs {'the same' if pairs == ref else 'DIFFER'}")
        finally:
            ray.shutdown()
    probes = shard.batch(rows[-1024:])
    for parts in shards:
        res = SearchResult()
        c = time.process_time()
        found = sum(len(r) for p in split_shard(shard, parts)
                    for _i, r in p.candidates(probes, gate, res))
        c = time.process_time() - c
        print(f"  {parts:3d} shard(s): pre-filter {1e3 * c / len(probes):.3f} CPU ms a probe, "
              f"{res.postings / len(probes):.0f} entries read a probe, {found} candidates")


def _scaling(reg_dir: Path, args: argparse.Namespace) -> None:
    """dedup --full on an existing registry: embedded on 1 and 2 processes (the first
    run's clusters the reference), then the Ray runs; wall and CPU of each."""
    truth = reg_dir.parent / "packages" / "truth.json"
    with Registry(reg_dir, create=False) as reg:
        print(f"province: {reg.count(current_only=True)} records (registry reused)")
        if args.search_rounds or args.shards:
            _search_alone(reg, args.search_rounds, args.shards)
        if not args.ray_workers and not args.ray_two_nodes:
            return
        want: dict[str, tuple[int, int]] = {}
        for jobs in (1, 2):
            w, c = time.perf_counter(), _cpu()
            rep = dedup(reg, full=True, jobs=jobs)
            found = _found(reg, truth)
            want = want or found
            print(f"  embedded, {jobs} process(es){'':<16} dedup --full "
                  f"{time.perf_counter() - w:7.1f} s wall, search {rep.seconds['search']:7.1f}"
                  f" s wall, {rep.prefilter_cpu + rep.compare_cpu:7.1f} CPU s searching "
                  f"({_cpu() - c:.1f} CPU s in all); clusters "
                  f"{'identical to' if found == want else 'DIFFERENT from'} the reference "
                  f"run's; {rep.probes} probes, {rep.candidates_scored} candidate pairs")
        _print_ray(_ray_runs(reg, args.ray_workers, args.ray_two_nodes, want))


def _incremental_last(reg_dir: Path, n: int, jobs: int) -> None:
    """An incremental run of the registry's last ``n`` records as for a package that has
    just arrived: they are marked not yet searched and their pre-filter keys and prepared
    forms removed, so the run makes them (the package's ingest itself, ~1 CPU ms a
    record, is timed by the stages of a full run)."""
    with Registry(reg_dir) as reg:
        rids = [r.rid for r in reg.records()]
        after = rids[-n - 1]
        with reg._transaction():
            reg.db.execute("DELETE FROM prepared WHERE rid > ?", (after,))
            reg.db.execute("UPDATE thumbs SET feature = NULL WHERE rid > ?", (after,))
        reg.set_state({"biometric_searched_through": str(after)})
        before = len(reg.clusters())
        w, c = time.perf_counter(), _cpu()
        rep = dedup(reg, jobs=jobs)
        wall, cpu = time.perf_counter() - w, _cpu() - c
        after_clusters = len(reg.clusters())
    print(f"incremental run of the last {n} of {len(rids)} records (as a new package): "
          f"{wall:.1f} s wall, {cpu:.1f} CPU s; parts (wall) "
          + ", ".join(f"{k} {v:.1f} s" for k, v in rep.seconds.items())
          + f"; pre-filter {rep.prefilter_cpu:.1f} s, comparator {rep.compare_cpu:.1f} s CPU, "
          f"{rep.candidates_scored} candidate pairs; clusters {before} before, "
          f"{after_clusters} after; peak resident memory "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


def _memory_one(reg_dir: Path, spec: str, recode: bool) -> None:
    """One dedup --full on ``spec`` (``embedded:JOBS`` or ``ray:ACTORS``, a local Ray)
    in this fresh process; prints its peaks as a JSON line (see :func:`_memory`)."""
    engine_name, _, n = spec.partition(":")
    count = int(n or 1)
    truth = reg_dir.parent / "packages" / "truth.json"
    engine = None
    if engine_name == "ray":
        os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
        import ray

        from idcapture.province.engine import RayEngine
        ray.init(num_cpus=count, include_dashboard=False, log_to_driver=False)
        engine = RayEngine(None, workers=count)
    with Registry(reg_dir, create=False) as reg:
        if recode:          # the stored codes taken as of another scheme: all made again
            reg.set_state({"prefilter_keys": "recode"})
        w, c = time.perf_counter(), _cpu()
        rep = dedup(reg, full=True, jobs=count, engine=engine, faces=False)
        wall, cpu = time.perf_counter() - w, _cpu() - c
        found = _found(reg, truth)
        records = reg.count(current_only=True)
    actors = [x / 1e6 for x in rep.actor_peak_rss]
    if engine_name == "ray":
        import ray
        ray.shutdown()
    print(json.dumps({
        "spec": spec, "records": records, "wall": wall, "cpu": cpu,
        "search_cpu": rep.prefilter_cpu + rep.compare_cpu, "build": rep.seconds["prefilter"],
        "search": rep.seconds["search"],
        "driver_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3,
        "workers_mb": (actors or [resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
                                  / 1e3] if count > 1 or actors else []),
        "found": {k: list(v) for k, v in found.items()}}))


def _memory(reg_dir: Path, specs: list[str], recode: bool) -> None:
    """dedup --full on the registry in ``reg_dir`` once per engine ``specs``, each in a
    fresh process: wall, CPU, peak resident memory of the driver (the process running
    dedup) and of each worker (embedded: the largest pool process; Ray: each actor), and
    whether the clusters are the first run's. With ``recode`` every code is made again
    (by the driver's process pool, or by the actors)."""
    import subprocess
    import sys

    print(f"memory: dedup --full per engine, each in a fresh process"
          f"{', every code made again' if recode else ''} (load average "
          f"{os.getloadavg()[0]:.1f})")
    want = None
    for spec in specs:
        cmd = [sys.executable, __file__, "--memory-one", spec, "--out", str(reg_dir.parent)]
        out = subprocess.run(cmd + (["--recode"] if recode else []), check=True,
                             capture_output=True, text=True).stdout
        r = json.loads(out.strip().splitlines()[-1])
        want = want or r["found"]
        workers = ", ".join(f"{m:.0f}" for m in r["workers_mb"]) or "-"
        print(f"  {spec:<12} {r['records']} records: {r['wall']:7.1f} s wall (codes and "
              f"shards {r['build']:.1f} s, search {r['search']:.1f} s), {r['cpu']:.1f} CPU "
              f"s in the driver's process tree; peak resident memory: driver "
              f"{r['driver_mb']:.0f} MB, workers {workers} MB; clusters "
              f"{'identical to' if r['found'] == want else 'DIFFERENT from'} the first run's")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--students", type=int, default=2000)
    ap.add_argument("--biometric", type=int, default=6)
    ap.add_argument("--same-id", type=int, default=3)
    ap.add_argument("--shared-thumb", type=int, default=0)
    ap.add_argument("--stations", type=int, default=8)
    ap.add_argument("--jobs", type=int, default=0)
    ap.add_argument("--ray-workers", type=int, nargs="*", default=[],
                    help="also run dedup --full on a local Ray with these actor counts")
    ap.add_argument("--ray-two-nodes", action="store_true",
                    help="also run dedup --full on a two-node Ray cluster on this machine")
    ap.add_argument("--scaling-only", action="store_true",
                    help="reuse the registry in --out (made by an earlier run) and only "
                         "time dedup --full on 1 and 2 local processes and the Ray runs "
                         "(with --ray-workers/--ray-two-nodes), the search alone "
                         "(--search-rounds) and the pre-filter over shards (--shards)")
    ap.add_argument("--search-rounds", type=int, default=0,
                    help="with --scaling-only: time the search alone on 1 and 2 local "
                         "processes and Ray actors, alternating, this many rounds")
    ap.add_argument("--shards", type=int, nargs="*", default=[],
                    help="with --scaling-only: the pre-filter's CPU a probe with the "
                         "records split into these numbers of shards")
    ap.add_argument("--incremental-last", type=int, default=0, metavar="N",
                    help="only time an incremental run of the last N records of the "
                         "registry in --out (made by an earlier run) as for a new package")
    ap.add_argument("--memory", nargs="*", default=[], metavar="ENGINE",
                    help="only run dedup --full on the registry in --out once per engine "
                         "(embedded:JOBS or ray:ACTORS), each in a fresh process, and print "
                         "the peak resident memory of the driver and of each worker")
    ap.add_argument("--recode", action="store_true",
                    help="with --memory: have every code made again in each run")
    ap.add_argument("--memory-one", help=argparse.SUPPRESS)
    ap.add_argument("--out", help="keep the province here (default: a temporary folder); "
                                  "packages already there are reused")
    args = ap.parse_args()
    if args.memory or args.memory_one:
        if not args.out:
            ap.error("--memory needs --out (the registry of an earlier run)")
        if args.memory_one:
            _memory_one(Path(args.out) / "registry", args.memory_one, args.recode)
        else:
            _memory(Path(args.out) / "registry", args.memory, args.recode)
        return
    if args.incremental_last:
        if not args.out:
            ap.error("--incremental-last needs --out (the registry of an earlier run)")
        _incremental_last(Path(args.out) / "registry", args.incremental_last, args.jobs)
        return
    if args.scaling_only:
        _scaling(Path(args.out) / "registry", args)
        return
    st = Stages()
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(args.out or tmp)
        kinds = {"biometric": args.biometric, "same-id": args.same_id,
                 "shared-thumb": args.shared_thumb}
        truth = base / "packages" / "truth.json"
        if truth.is_file():
            packages = sorted((base / "packages").glob("station-*.zip"))
            print(f"reusing the province in {base / 'packages'}")
        else:
            sp = st.run("synth", synth_province, base / "packages", students=args.students,
                        duplicates=0, stations=args.stations, kinds=kinds, jobs=args.jobs)
            packages = sp.packages
        reg_dir = base / "registry"
        if reg_dir.exists():
            shutil.rmtree(reg_dir)
        with Registry(reg_dir) as reg:
            st.run("ingest (all but one package)", ingest, reg, packages[:-1], jobs=args.jobs)
            full = st.run("dedup --full", dedup, reg, full=True, jobs=args.jobs)
            last = st.run("ingest (last package)", ingest, reg, packages[-1:],
                          jobs=args.jobs)[0]
            inc = st.run("dedup incremental", dedup, reg, jobs=args.jobs)
            ray_runs = _ray_runs(reg, args.ray_workers, args.ray_two_nodes,
                                 _found(reg, truth))
            found = _found(reg, truth)
            passed, planted_bio, lowest, gate = _prefilter_recall(reg, truth)
            pair_cpu = _pair_cost(reg)
            n = reg.count(current_only=True)
    print(f"province: {n} records, {len(packages)} stations; last package {last.records} "
          f"records; fused threshold {inc.threshold:.1f} (one expected false cluster)")
    print(f"  {'stage':<34} {'wall s':>8} {'CPU s':>8}")
    for name, wall, cpu in st.rows:
        print(f"  {name:<34} {wall:8.1f} {cpu:8.1f}")
    print("  dedup --full parts (wall): " + ", ".join(f"{k} {v:.1f} s"
                                                  for k, v in full.seconds.items()))
    print(f"  dedup --full search CPU over the workers: pre-filter {full.prefilter_cpu:.1f} s "
          f"({1e3 * full.prefilter_cpu / max(1, full.probes):.2f} ms a record), comparator "
          f"{full.compare_cpu:.1f} s ({1e3 * full.compare_cpu / max(1, full.candidates_scored):.1f}"
          " ms a candidate pair)")
    print(f"  pre-filter work: {full.postings / max(1, full.probes):.0f} inverted-list entries "
          f"read a probe ({full.keys_per_record:.0f} keys a record, lists capped at "
          f"{dedup_mod.COMMON_KEYS} records: at most "
          f"{full.keys_per_record * dedup_mod.COMMON_KEYS:.0f}); incremental "
          f"{inc.postings / max(1, inc.probes):.0f} a probe, pre-filter {inc.prefilter_cpu:.1f} s, "
          f"comparator {inc.compare_cpu:.1f} s")
    for kind, (planted, ok) in found.items():
        if kind == "false":
            print(f"clusters: {planted}, of which {ok} match no planted pair "
                  "(false clusters)")
        else:
            print(f"{kind}: found {ok}/{planted} planted (in-sample, synthetic)")
    print(f"pre-filter: gate {gate:.4f}, planted biometric pairs at or above it "
          f"{passed}/{planted_bio} (lowest mate similarity {lowest:.3f}); penetration "
          f"{full.penetration:.2e} of {record_pairs(n - last.records):.2e} pairs "
          f"({full.candidates_scored} pairs scored on both thumbs); search memory "
          f"{full.index_bytes / 1e6:.1f} MB ({full.index_bytes / max(1, n) / 1e3:.1f} kB "
          "per record)")
    peak = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
               resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    print(f"peak resident memory of one process: {peak / 1e3:.0f} MB")
    _print_ray(ray_runs)
    cpu_full = dict((r[0], r[2]) for r in st.rows)["dedup --full"]
    ingest_cpu = dict((r[0], r[2]) for r in st.rows)["ingest (all but one package)"]
    m = n - last.records
    exhaustive = record_pairs(m) * pair_cpu
    print(f"baseline: scoring every pair on both thumbs costs {1e3 * pair_cpu:.2f} CPU ms "
          f"a pair, {exhaustive:.0f} CPU s for this province; dedup --full took "
          f"{cpu_full:.1f} CPU s (ratio {exhaustive / max(cpu_full, 1e-9):.0f}x)")
    # projection from this run's measured parts: ingest, the keys and the rest of a full
    # run grow with the records (linear); the pre-filter's work per probe is the inverted
    # lists it reads, taken to grow with the records (~ N) until every list read is at the
    # cap (keys a record x COMMON_KEYS), at this run's cost per entry read; the
    # comparator's with the pairs the gate passes (penetration 1/N: a fixed number per
    # record)
    rest = max(0.0, cpu_full - full.prefilter_cpu - full.compare_cpu)
    pair_cost = full.compare_cpu / max(1, full.candidates_scored)
    entry_cost = full.prefilter_cpu / max(1, full.postings)
    print(f"cost model (this run, {m} records): linear part {1e3 * (ingest_cpu + rest) / m:.2f} "
          f"CPU ms a record (ingest {ingest_cpu:.1f} s + keys and the rest {rest:.1f} s); "
          f"pre-filter {full.prefilter_cpu:.1f} s, {1e6 * entry_cost:.3f} CPU us an entry read; "
          f"comparator {1e3 * pair_cost:.2f} ms a candidate pair, "
          f"{full.candidates_scored / m:.2f} pairs a record")
    for size in (100_000, 1_200_000):
        lin = (ingest_cpu + rest) * size / m
        per_probe = min(full.postings / max(1, full.probes) * size / m,
                        full.keys_per_record * dedup_mod.COMMON_KEYS)
        pre = entry_cost * per_probe * size
        cmp_ = pair_cost * full.candidates_scored / m * size   # gate at ~1/N: pairs ~ N
        total = lin + pre + cmp_
        print(f"projection {size:>9,}: T = {fused_threshold(size):.1f}; {lin / 3600:.2f} + "
              f"{pre / 3600:.2f} + {cmp_ / 3600:.2f} = {total / 3600:.2f} core-h "
              f"(linear + pre-filter + comparator); {total / 3600 / 2:.2f} h on 2 cores, "
              f"{total / 3600 / 100:.2f} h on 100")

if __name__ == "__main__":
    main()
