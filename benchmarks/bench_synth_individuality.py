"""How distinct are the synthetic fingers? Impostor scores between different masters.

Run from the repository root:

    .venv/bin/python benchmarks/bench_synth_individuality.py [--fingers 80] \
        [--sizes 500x400 400x320]

For each master size, makes one good impression of each of ``--fingers`` different masters
(impression seeds differ too), extracts and compares every pair with the station's
comparator, and prints how many pairs of *different* fingers score at or above 30, 40 and
50, beside what the score calibration expects of real fingers (score ``s`` ~ FMR
``10 ** (-s / 10)`` per comparison; on FVC2002 DB1_B no impostor pair reaches 32). A
generator whose fingers are as individual as real ones gives counts near the expected
ones; more means different synthetic fingers share ridge structure, which makes
synthetic de-duplication tests harder than real ones (a bias towards false hits).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from idcapture.biometrics.finger import extract
from idcapture.biometrics.finger.compare import compare_many, gallery_arrays, prepare
from idcapture.synth.fingerprints import generate_master, make_impression

LEVELS = (30.0, 40.0, 50.0)


def run(size: tuple[int, int], fingers: int, first: int) -> None:
    t0 = time.perf_counter()
    prepared = []
    classes = []
    for i in range(fingers):
        m = generate_master(first + i, size=size)
        classes.append(m.finger_class.value)
        prepared.append(prepare(extract(make_impression(m, seed=7 * i + 1).image, m.ppi)))
    gallery = gallery_arrays(prepared)
    scores = np.zeros((fingers, fingers))
    for i, p in enumerate(prepared):
        scores[i] = compare_many(p, gallery)
    sym = np.minimum(scores, scores.T)            # the lower of the two directions
    iu = np.triu_indices(fingers, 1)
    pairs = sym[iu]
    same_class = np.array([classes[a] == classes[b] for a, b in zip(*iu)])
    n = len(pairs)
    print(f"{size[0]}x{size[1]} masters, {fingers} fingers, {n} pairs of different fingers "
          f"({time.perf_counter() - t0:.0f} s); highest score {pairs.max():.1f}")
    for lvl in LEVELS:
        k = int((pairs >= lvl).sum())
        ks = int((pairs[same_class] >= lvl).sum())
        expected = n * 10.0 ** (-lvl / 10.0)
        print(f"  score >= {lvl:.0f}: {k} pairs ({k / n:.2%}; {ks} of them of the same class), "
              f"calibration expects {expected:.2f} (x{k / max(expected, 1e-9):.0f})")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--fingers", type=int, default=80)
    ap.add_argument("--sizes", nargs="+", default=["500x400", "400x320"])
    ap.add_argument("--first", type=int, default=90_000, help="first master seed")
    args = ap.parse_args()
    for s in args.sizes:
        h, w = (int(v) for v in s.split("x"))
        run((h, w), args.fingers, args.first)


if __name__ == "__main__":
    main()
