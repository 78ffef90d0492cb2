"""How distinct are the synthetic fingers? Impostor scores between different masters,
against the same share among real fingers.

Run from the repository root:

    nice -n 10 .venv/bin/python benchmarks/bench_synth_individuality.py [--fingers 80] \
        [--sizes 500x400 400x320] [--jobs 2]

Real baseline: every impostor pair (2,880 per set) of the nine FVC "B" sets in
``../shared/data/fingerprints``, extracted and compared with the product's extractor and
comparator (templates come from ``benchmarks/bench_finger_accuracy.py``'s cache under
``build/finger-accuracy``, keyed by the extractor's source hash, so a rerun only
compares). It prints the share of those pairs scoring at or above 30, 40 and 50.

Synthetic: for each master size, one good impression of each of ``--fingers`` different
masters (impression seeds differ too) and a second impression of each, all extracted and
compared pairwise. Impostor pairs (first impressions of different masters) give the
share at or above 30, 40 and 50 and its ratio to the real share (the target is at most
2x); genuine pairs (the two impressions of one master) give the genuine score
distribution, which must stay high. Pair scores are the calibrated score of the mean of
the two directions' raw similarities, as :func:`idcapture.biometrics.finger.compare.compare`
gives, on both sides. More high impostor scores than real fingers have means different
synthetic fingers share ridge structure, which makes synthetic de-duplication tests
harder than real ones (a bias towards false hits).
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_finger_accuracy as acc

from idcapture.biometrics.finger import extract
from idcapture.biometrics.finger.compare import prepare
from idcapture.biometrics.finger.compare_eval import fvc_pairs
from idcapture.biometrics.finger.compare_parallel import (
    all_pair_raw,
    symmetric_scores,
)
from idcapture.synth.fingerprints import generate_master, make_impression

LEVELS = (30.0, 40.0, 50.0)


def real_impostor_scores(jobs: int) -> np.ndarray | None:
    """Scores of every impostor pair of the nine real sets (``None`` without the data)."""
    if not acc.DATA.is_dir():
        return None
    folders = sorted(p for p in acc.DATA.iterdir()
                     if p.is_dir() and re.match(r"FVC\d{4}_DB\d_B$", p.name))
    out = []
    for folder in folders:
        stems, templates, _, _ = acc.templates_for(folder, acc.set_ppi(folder), jobs, True)
        scores = symmetric_scores(all_pair_raw([prepare(t) for t in templates], jobs=1))
        _, imp = fvc_pairs(stems, all_impostors=True)
        out.append(np.array([scores[i, j] for i, j in imp]))
    return np.concatenate(out) if out else None


def shares(pairs: np.ndarray) -> dict[float, float]:
    return {lvl: float((pairs >= lvl).mean()) for lvl in LEVELS}


def run(size: tuple[int, int], fingers: int, first: int, real: dict[float, float] | None
        ) -> None:
    t0 = time.perf_counter()
    prepared = []
    classes = []
    for i in range(fingers):
        m = generate_master(first + i, size=size)
        classes.append(m.finger_class.value)
        prepared.append(prepare(extract(make_impression(m, seed=7 * i + 1).image, m.ppi)))
    for i in range(fingers):
        m = generate_master(first + i, size=size)
        prepared.append(prepare(extract(make_impression(m, seed=7 * i + 4).image, m.ppi)))
    t_make = time.perf_counter() - t0
    scores = symmetric_scores(all_pair_raw(prepared, jobs=1))
    iu = np.triu_indices(fingers, 1)
    pairs = scores[:fingers, :fingers][iu]
    genuine = np.array([scores[i, fingers + i] for i in range(fingers)])
    same_class = np.array([classes[a] == classes[b] for a, b in zip(*iu)])
    n = len(pairs)
    print(f"{size[0]}x{size[1]} masters, {fingers} fingers, {n} pairs of different fingers "
          f"({t_make / (2 * fingers):.2f} s per impression incl. master and extraction); "
          f"highest impostor score {pairs.max():.1f}")
    for lvl in LEVELS:
        k = int((pairs >= lvl).sum())
        ks = int((pairs[same_class] >= lvl).sum())
        line = (f"  impostor score >= {lvl:.0f}: {k} pairs ({k / n:.3%}; {ks} of them of "
                f"the same class)")
        if real is not None:
            r = real[lvl]
            ratio = f"x{k / n / r:.1f}" if r > 0 else "real share 0"
            line += f"; real {r:.3%}, synthetic/real {ratio}"
        print(line)
    q = np.percentile(genuine, [5, 25, 50])
    print(f"  genuine (2 impressions of each master): min {genuine.min():.1f}, 5 % "
          f"{q[0]:.1f}, 25 % {q[1]:.1f}, median {q[2]:.1f}; below 30: "
          f"{int((genuine < 30).sum())} of {fingers}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--fingers", type=int, default=80)
    ap.add_argument("--sizes", nargs="+", default=["500x400", "400x320"])
    ap.add_argument("--first", type=int, default=90_000, help="first master seed")
    ap.add_argument("--jobs", type=int, default=0,
                    help="extraction workers for uncached real sets (default: all cores)")
    args = ap.parse_args()
    real_pairs = real_impostor_scores(args.jobs)
    real = None
    if real_pairs is None:
        print(f"no real sets at {acc.DATA}: synthetic figures only")
    else:
        real = shares(real_pairs)
        print(f"real: {real_pairs.size} impostor pairs of the nine FVC sets; highest "
              f"{real_pairs.max():.1f}; " + ", ".join(
                  f">= {lvl:.0f}: {real[lvl]:.3%}" for lvl in LEVELS))
    for s in args.sizes:
        h, w = (int(v) for v in s.split("x"))
        run((h, w), args.fingers, args.first, real)


if __name__ == "__main__":
    main()
