"""1:N search speed and pre-selection hit rate at 1,000, 10,000 and 100,000 enrolled.

Enrolled templates: ``MATES`` synthetic fingers rendered by :mod:`idcapture.sim.fingerprints`
and extracted by our extractor (first impression), plus a background of *synthetic
minutiae templates* drawn along the ridge flow of synthetic master prints
(:func:`idcapture.biometrics.finger.index_synth.flow_template`: not rendered images, not
extractor output; see that module). Probes: the second impression of each mate finger,
extracted. Search time is one probe against the whole index, single process, BLAS on one
thread (the other core stays free, as on a station). Run::

    python benchmarks/bench_finger_search.py            # 1k, 10k, 100k (~10 min to build)
    python benchmarks/bench_finger_search.py --sizes 1000 10000
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from concurrent.futures import ProcessPoolExecutor

import numpy as np

from idcapture.biometrics.finger import extract
from idcapture.biometrics.finger.compare import (
    MATCH_THRESHOLD,
    PreparedTemplate,
    prepare,
)
from idcapture.biometrics.finger.index import FingerIndex, PackedTemplate, pack_template
from idcapture.biometrics.finger.index_synth import flow_template
from idcapture.sim.fingerprints import generate_master, make_impression

MATES = 12
FIELDS = 12


def _mate(seed: int) -> tuple[np.ndarray, np.ndarray, PackedTemplate, PreparedTemplate]:
    m = generate_master(7_000 + seed)
    a, b = (prepare(extract(make_impression(m, seed=seed * 10 + k).image, m.ppi))
            for k in (1, 2))
    return m.orientation, m.mask, pack_template(a), b


_FIELDS: list[tuple[np.ndarray, np.ndarray]] = []


def _init(fields: list[tuple[np.ndarray, np.ndarray]]) -> None:
    _FIELDS[:] = fields


def _background(args: tuple[int, int]) -> list[PackedTemplate]:
    start, count = args
    rng = np.random.default_rng(start)
    out = []
    for i in range(start, start + count):
        o, m = _FIELDS[i % len(_FIELDS)]
        out.append(pack_template(flow_template(o, m, rng, count=int(rng.integers(25, 60)))))
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    ap.add_argument("--jobs", type=int, default=2, help="processes to build the gallery")
    args = ap.parse_args()
    t0 = time.perf_counter()
    with ProcessPoolExecutor(args.jobs) as ex:
        mates = list(ex.map(_mate, range(MATES)))
    fields = [(o, m) for o, m, _, _ in mates]
    total = max(args.sizes) - MATES
    chunk = 2_000
    with ProcessPoolExecutor(args.jobs, initializer=_init, initargs=(fields,)) as ex:
        bg = [t for part in ex.map(_background, [(s, min(chunk, total - s))
                                                  for s in range(0, total, chunk)])
              for t in part]
    print(f"gallery built in {time.perf_counter() - t0:.0f} s: {MATES} extracted synthetic "
          f"fingers + {len(bg):,} synthetic flow-field minutiae templates (not images)")
    base = None
    for n in sorted(args.sizes):
        index = FingerIndex()
        t1 = time.perf_counter()
        index.add_many([f"mate{i}" for i in range(MATES)], [m[2] for m in mates])
        index.add_many([f"bg{i}" for i in range(n - MATES)], bg[:n - MATES])
        index.nbytes  # noqa: B018 - builds the key tables
        build = time.perf_counter() - t1
        index.search(mates[0][3])                               # warm-up
        times, found, top_impostor = [], 0, []
        for i, m in enumerate(mates):
            t2 = time.perf_counter()
            hits = index.search(m[3], top=5)
            times.append(time.perf_counter() - t2)
            if hits and hits[0].index == i and hits[0].score >= MATCH_THRESHOLD:
                found += 1
            top_impostor.append(max([h.score for h in hits if h.index != i] + [0.0]))
        med = float(np.median(times))
        base = base or med
        print(f"N={n:>7,}: search {med * 1e3:7.1f} ms median, {max(times) * 1e3:7.1f} ms max "
              f"(x{med / base:.1f} vs N={min(args.sizes):,}; N grew x{n / min(args.sizes):.0f}); "
              f"re-ranked {index.candidate_count()} candidates; mate ranked first "
              f"{found}/{MATES}; best impostor score {max(top_impostor):.0f}; index "
              f"{index.nbytes / 1e6:.0f} MB, built in {build:.1f} s; target <= 1 s: "
              f"{'met' if med <= 1.0 else 'NOT met'}")


if __name__ == "__main__":
    main()
