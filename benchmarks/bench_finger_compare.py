"""1:1 comparison speed: batched throughput and single-call latency, on one core.

Templates: extracted from synthetic impressions (real image pipeline), prepared once
(cylinders computed), then one probe is compared against ~1,900 of them in one batched
call (:func:`idcapture.biometrics.finger.compare.compare_many`). Run with::

    taskset -c 0 .venv/bin/python benchmarks/bench_finger_compare.py

The machine may be shared, so the batched figure is given twice: from the process's own
CPU time (median of several calls; what one core delivers, whatever else runs) and from
wall-clock time (best call). Then, for many probes with a few candidates each, the cost of
one ``compare_many`` call per probe against ``compare_pairs`` over all (probe, candidate)
pairs in the same run. The run also times a fixed reference workload (one float32
matrix product of the size that dominated the comparator before the kernel was reworked:
40 probe cylinders x 384 cells against 40 cylinders of every template) to show how fast
the core was during the run.
"""

from __future__ import annotations

import os
import time
from dataclasses import replace

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np

from idcapture.biometrics.finger import extract
from idcapture.biometrics.finger.compare import (
    MAX_CYLINDERS,
    MAX_MINUTIAE_PAIRED,
    PreparedTemplate,
    compare,
    compare_many,
    compare_pairs,
    gallery_arrays,
    prepare,
)
from idcapture.synth.fingerprints import generate_master, make_impression

REPS = 9


def _timed(fn: object, reps: int = REPS) -> tuple[float, float]:
    """(median CPU seconds, best wall seconds) of ``reps`` calls after one warm-up."""
    assert callable(fn)
    fn()
    cpu, wall = [], []
    for _ in range(reps):
        c0, t0 = time.process_time(), time.perf_counter()
        fn()
        cpu.append(time.process_time() - c0)
        wall.append(time.perf_counter() - t0)
    return float(np.median(cpu)), min(wall)


def synthetic_templates() -> list[PreparedTemplate]:
    """The benchmark's 24 prepared templates (two impressions of twelve synthetic masters),
    with texture cylinders (exits when the extractor gives no block maps)."""
    prepared = []
    for m in range(12):
        master = generate_master(500 + m)
        for k in range(2):
            imp = make_impression(master, seed=k)
            prepared.append(prepare(extract(imp.image, imp.ppi)))
    if any(p.texture is None for p in prepared):
        raise SystemExit("the templates carry no block maps: texture would not be measured")
    return prepared


def main() -> None:
    prepared = synthetic_templates()
    # the same templates without their texture cylinders, for the ratio
    plain = [replace(p, texture=None, arrays=replace(p.arrays, tex_orient=None,
                                                      tex_valid=None, tex_period=None))
             for p in prepared]
    gallery = gallery_arrays(prepared * 80)  # ~1,900 templates per batched call
    n = len(gallery)

    plain_gallery = gallery_arrays(plain * 80)
    cpu: dict[str, list[float]] = {"texture": [], "plain": []}
    walls: list[float] = []
    # the two alternate call by call, so that both see the same load on a shared machine
    for r in range(2 * REPS + 2):
        use_tex = r % 2 == 0
        probe = (prepared if use_tex else plain)[(r // 2) % len(prepared)]
        c0, t0 = time.process_time(), time.perf_counter()
        compare_many(probe, gallery if use_tex else plain_gallery)
        if r >= 2:                                                    # after a warm-up
            cpu["texture" if use_tex else "plain"].append(time.process_time() - c0)
            if use_tex:
                walls.append(time.perf_counter() - t0)
    batched, batched_wall = n / float(np.median(cpu["texture"])), n / min(walls)
    plain_rate = n / float(np.median(cpu["plain"]))
    rng = np.random.default_rng(0)
    ref_a = (rng.random((40, 384)) < 0.4).astype(np.float32)
    ref_b = (rng.random((40 * n, 384)) < 0.4).astype(np.float32)
    ref = _timed(lambda: ref_a @ ref_b.T)[0]

    t0 = time.perf_counter()
    pairs = 0
    for a in prepared[:8]:
        for b in prepared[:8]:
            compare(a, b)
            pairs += 1
    single = (time.perf_counter() - t0) / pairs
    print(f"batched (one probe vs {n} prepared templates, one call, 1 thread): "
          f"{batched:,.0f} comparisons/s of CPU time ({1e6 / batched:.0f} us each, median "
          f"of {REPS}, texture cylinders fused); target 20,000/s: "
          f"{'met' if batched >= 20000 else 'NOT met'}; wall clock, best call: "
          f"{batched_wall:,.0f}/s")
    print(f"the same without the texture cylinders: {plain_rate:,.0f}/s (texture costs "
          f"{plain_rate / batched:.2f}x)")
    print(f"reference product (40 x 384) @ (384 x {40 * n}) float32: {ref * 1e3:.1f} ms CPU; "
          f"whole batched call: {n / batched * 1e3:.1f} ms = {n / batched / ref:.2f} x the "
          f"reference")
    print(f"single call compare(a, b), symmetric (two directions), 1 core: "
          f"{single * 1e3:.2f} ms per comparison")
    print("NIST Bozorth3 (quoted, not measured in this run: 0.27 ms per pair in-process, "
          "fingerprints/FVC2002_DB1_B/nist-reference/README.txt): ~3,700/s over all pairs")
    # many probes with few candidates each (the province's pattern): one compare_many call
    # per probe against its list, against compare_pairs over every (probe, candidate) pair
    for per_probe in (1, 2, 8):
        probes = [prepared[i % len(prepared)] for i in range(48)]
        cands = [[prepared[(i + 1 + j) % len(prepared)] for j in range(per_probe)]
                 for i in range(len(probes))]
        flat_p = [p for p, c in zip(probes, cands, strict=True) for _ in c]
        flat_c = [x for c in cands for x in c]

        def per_call(probes: list = probes, cands: list = cands) -> None:
            for p, c in zip(probes, cands, strict=True):
                compare_many(p, c)

        def paired(flat_p: list = flat_p, flat_c: list = flat_c) -> None:
            compare_pairs(flat_p, flat_c)

        c_call, c_pair = _timed(per_call, 3)[0], _timed(paired, 3)[0]
        print(f"{len(probes)} probes x {per_probe} candidate(s): compare_many per probe "
              f"{c_call / len(probes) * 1e3:.2f} ms CPU per call "
              f"({c_call / len(flat_p) * 1e6:.0f} us per comparison); compare_pairs "
              f"{c_pair / len(flat_p) * 1e6:.0f} us per comparison "
              f"({c_call / c_pair:.1f}x fewer CPU seconds)")
    print(f"cylinders per template: mean {np.mean([len(p) for p in prepared]):.1f} "
          f"(at most {MAX_CYLINDERS}); minutiae in the pairing: mean "
          f"{np.mean([len(p.xy) for p in prepared]):.1f} (at most {MAX_MINUTIAE_PAIRED}); "
          f"load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
