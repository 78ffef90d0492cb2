"""Time synthetic fingerprint generation: masters and impressions of each style.

Run from the repository root:

    .venv/bin/python benchmarks/bench_synth.py [--masters 6] [--impressions 5]

Prints the median and worst time per master (by class) and per impression (by style),
the minutiae counts, and the ratio of each figure to a baseline measured in the same run
(one full-image 31x31 cv2.filter2D on a 500x400 float image), so that figures from noisy
machines can be compared. Targets: a master well under 1 s, an impression under 100 ms.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from idcapture.synth.fingerprints import (
    FingerClass,
    ImpressionStyle,
    generate_master,
    make_impression,
)


def baseline_ms(repeats: int = 20) -> float:
    img = np.random.default_rng(0).random((500, 400), dtype=np.float32)
    kernel = np.random.default_rng(1).random((31, 31), dtype=np.float32)
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        cv2.filter2D(img, -1, kernel)
        times.append(time.perf_counter() - t)
    return 1000.0 * statistics.median(times)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--masters", type=int, default=6, help="masters per class")
    ap.add_argument("--impressions", type=int, default=5, help="impressions per style")
    ap.add_argument("--threads", type=int, default=1, help="OpenCV threads (default 1)")
    args = ap.parse_args()
    cv2.setNumThreads(args.threads)
    base = baseline_ms()
    print(f"baseline: 31x31 filter2D on 500x400 float32 = {base:.2f} ms")
    print(f"{'master class':<14} {'median ms':>10} {'max ms':>8} {'x base':>7} "
          f"{'minutiae (min-max)':>19}")
    masters = []
    all_times = []
    for k, cls in enumerate(FingerClass):
        times, counts = [], []
        for i in range(args.masters):
            t = time.perf_counter()
            m = generate_master(1000 * k + i, cls)
            times.append(1000.0 * (time.perf_counter() - t))
            counts.append(len(m.minutiae))
            masters.append(m)
        all_times += times
        med = statistics.median(times)
        print(f"{cls.value:<14} {med:>10.1f} {max(times):>8.1f} {med / base:>7.1f} "
              f"{min(counts):>10}-{max(counts)}")
    print(f"{'all masters':<14} {statistics.median(all_times):>10.1f} {max(all_times):>8.1f}")
    print()
    print(f"{'impression':<14} {'median ms':>10} {'max ms':>8} {'x base':>7} "
          f"{'truth kept':>11}")
    for style in ImpressionStyle:
        times, kept = [], []
        for j in range(args.impressions):
            m = masters[j % len(masters)]
            t = time.perf_counter()
            imp = make_impression(m, j, style)
            times.append(1000.0 * (time.perf_counter() - t))
            kept.append(len(imp.minutiae) / max(1, len(m.minutiae)))
        med = statistics.median(times)
        print(f"{style.value:<14} {med:>10.1f} {max(times):>8.1f} {med / base:>7.1f} "
              f"{statistics.mean(kept):>10.0%}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
