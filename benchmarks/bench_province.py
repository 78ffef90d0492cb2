"""The province pipeline on a synthetic province: each stage's time, per-search
penetration, index memory, the planted duplicates found, and the projection.

Stages: ``synth`` (packages with planted duplicates, the planted ones rendered and
extracted, the bulk template-level), ``ingest`` of all but the last package, ``dedup
--full`` over them, then ``ingest`` of the last package and an incremental ``dedup``
(only its records searched against everything before). The baseline, measured in the
same run, is an exhaustive search of a sample of probes against every enrolled thumb
(``FingerIndex.score_all``): the ratio is what the index's pre-selection saves per
search. Accuracy figures are in-sample on the synthetic province (planted ground truth).
Run::

    python benchmarks/bench_province.py                       # 2,000 students, ~minutes
    python benchmarks/bench_province.py --students 10000 --duplicates 30 --stations 10
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from idcapture.biometrics.finger.index import FingerIndex
from idcapture.formats import iso19794_2
from idcapture.province import Registry, dedup, fused_threshold, ingest, record_pairs
from idcapture.province.synthetic import synth_province


def _found(reg: Registry, truth: Path) -> tuple[int, int, int]:
    planted = {frozenset(tuple(r) for r in p["records"])
               for p in json.loads(truth.read_text(encoding="utf-8"))["planted"]}
    rows = {r.rid: (r.station_id, r.registration_number) for r in reg.records()}
    clusters = {frozenset(rows[m] for m in c["members"]) for c in reg.clusters()}
    return len(planted), len(planted & clusters), len(clusters - planted)


def _exhaustive_per_search(reg: Registry, probes: int) -> tuple[float, float]:
    """Seconds per probe: index search and exhaustive scoring, same gallery."""
    rows = [t for t in reg.thumbs() if t.position == "right_thumb"]
    tpls = [iso19794_2.read(t.template).to_templates()[0] for t in rows]
    idx = FingerIndex()
    idx.add_many([str(t.rid) for t in rows], tpls)
    sample = tpls[:: max(1, len(tpls) // probes)][:probes]
    t0 = time.perf_counter()
    for p in sample:
        idx.search(p, top=5)
    t1 = time.perf_counter()
    for p in sample:
        idx.score_all(p)
    t2 = time.perf_counter()
    return (t1 - t0) / len(sample), (t2 - t1) / len(sample)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--students", type=int, default=2000)
    ap.add_argument("--duplicates", type=int, default=9)
    ap.add_argument("--stations", type=int, default=8)
    ap.add_argument("--jobs", type=int, default=0)
    ap.add_argument("--probes", type=int, default=20, help="probes for the baseline")
    ap.add_argument("--out", help="keep the province here (default: a temporary folder)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(args.out or tmp)
        t = time.perf_counter()
        sp = synth_province(base / "packages", students=args.students,
                            duplicates=args.duplicates, stations=args.stations)
        times = {"synth": time.perf_counter() - t}
        with Registry(base / "registry") as reg:
            t = time.perf_counter()
            ingest(reg, sp.packages[:-1], jobs=args.jobs)
            times["ingest (all but one package)"] = time.perf_counter() - t
            c0 = time.process_time()
            full = dedup(reg, full=True, jobs=args.jobs)
            full_cpu = time.process_time() - c0   # this process: the searches run here
            times["dedup --full"] = full.seconds["total"]
            t = time.perf_counter()
            last = ingest(reg, sp.packages[-1:], jobs=args.jobs)[0]
            times[f"ingest (last package, {last.records} records)"] = time.perf_counter() - t
            inc = dedup(reg, jobs=args.jobs)
            times["dedup incremental"] = inc.seconds["total"]
            planted, found, false = _found(reg, sp.truth)
            per_search, per_exhaustive = _exhaustive_per_search(reg, args.probes)
            n = reg.count(current_only=True)
    print(f"province: {n} records, {args.stations} stations, {planted} planted duplicates "
          f"({', '.join(f'{v} {k}' for k, v in sp.planted.items())})")
    for stage, sec in times.items():
        print(f"  {stage:<40} {sec:8.1f} s")
    print("  dedup --full stages: " + ", ".join(f"{k} {v:.1f} s"
                                                for k, v in full.seconds.items()))
    print(f"found {found}/{planted} planted duplicates, {false} other clusters "
          f"(fused threshold {inc.threshold:.1f} at B = 1; in-sample, synthetic)")
    print(f"index: {full.index_bytes / 1e6:.1f} MB for {2 * n} thumbs "
          f"({full.index_bytes / (2 * n) / 1e3:.1f} kB per thumb); per-search penetration "
          f"{100 * full.penetration:.1f} % re-ranked; {full.candidates_scored} candidate "
          f"pairs scored on both thumbs")
    print(f"per search ({args.probes} probes, one thumb index of {n}): index "
          f"{1e3 * per_search:.1f} ms, exhaustive {1e3 * per_exhaustive:.1f} ms, "
          f"ratio {per_exhaustive / max(per_search, 1e-9):.1f}x")
    # projection from the measured per-probe cost of the full run
    # projected from this process's CPU time (the machine may be shared: wall time is
    # not a cost), the templates' preparation in worker processes left out
    probe_cost = full_cpu / max(1, full.probes)
    print(f"dedup --full CPU in this process: {full_cpu:.1f} s "
          f"({1e3 * probe_cost:.0f} ms per record)")
    ip = FingerIndex().params

    def reranked(size: int) -> float:
        return min(size, max(ip.candidates, ip.candidate_fraction * size))

    for size in (60_000, 100_000, 1_200_000):
        # a search's cost grows with the candidates it re-ranks (IndexParams)
        scale = reranked(size) / reranked(n)
        cpu_h = size * probe_cost * scale / 3600
        print(f"projection {size:>9,} students: T = {fused_threshold(size):.1f}, "
              f"{record_pairs(size):.1e} pairs, ~{cpu_h:.1f} core-hours of search "
              f"({1e3 * probe_cost:.0f} CPU ms per record here x{scale:.1f} "
              f"for the larger re-ranking); {cpu_h / 100:.2f} h on 100 cores")


if __name__ == "__main__":
    main()
