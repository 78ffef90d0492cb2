"""1:1 comparison speed: batched throughput and single-call latency, on one core.

Templates: extracted from synthetic impressions (real image pipeline). Run with
``OMP_NUM_THREADS=1 python benchmarks/bench_finger_compare.py``.
"""

from __future__ import annotations

import os
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np

from idcapture.biometrics.finger import extract
from idcapture.biometrics.finger.compare import compare, compare_many, gallery_arrays, prepare
from idcapture.sim.fingerprints import generate_master, make_impression


def main() -> None:
    prepared = []
    for m in range(12):
        master = generate_master(500 + m)
        for k in range(2):
            imp = make_impression(master, seed=k)
            prepared.append(prepare(extract(imp.image, imp.ppi)))
    gallery = gallery_arrays(prepared * 80)  # ~1,900 templates per batched call
    n = len(prepared[0].arrays.bits) and len(gallery)
    compare_many(prepared[0], gallery)
    t0 = time.perf_counter()
    reps = 5
    for r in range(reps):
        compare_many(prepared[r % len(prepared)], gallery)
    dt = time.perf_counter() - t0
    batched = reps * n / dt
    t0 = time.perf_counter()
    pairs = 0
    for a in prepared[:8]:
        for b in prepared[:8]:
            compare(a, b)
            pairs += 1
    single = (time.perf_counter() - t0) / pairs
    print(f"batched (one probe vs {n} prepared templates, one call, 1 core): "
          f"{batched:,.0f} comparisons/s  ({1e6 / batched:.0f} us each); target 20,000/s: "
          f"{'met' if batched >= 20000 else 'NOT met'}")
    print(f"single call compare(a, b), symmetric (two directions), 1 core: "
          f"{single * 1e3:.2f} ms per comparison")
    print("NIST Bozorth3 reference (same machine class, in-process): ~3,700/s over all pairs")
    print(f"mean cylinders per template: {np.mean([len(p) for p in prepared]):.1f}")


if __name__ == "__main__":
    main()
