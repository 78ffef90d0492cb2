"""How distinct are the synthetic fingers? Impostor scores between different masters,
against the same share among real fingers.

Run from the repository root:

    nice -n 10 .venv/bin/python benchmarks/bench_synth_individuality.py [--fingers 80] \
        [--sizes 500x400 400x320] [--jobs 2]
    nice -n 10 .venv/bin/python benchmarks/bench_synth_individuality.py --sizes \
        --bulk 1000 [--bulk-flows 0 2]

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

Template-level (``--bulk N``): the synthetic province's bulk thumbs are not rendered but
drawn as minutiae along a flow field (:mod:`idcapture.synth.templates`). ``N`` such
templates are compared pairwise (every pair is of different fingers) and the same
shares printed against the real ones. ``--bulk-flows`` picks the flow fields: ``0``
each finger its own (:func:`~idcapture.synth.templates.individual_template`, what the
province uses), ``K`` > 0 every template drawn along one of ``K`` masters' flow fields
(the earlier province generator used 2), for comparison in the same run. The minutia
counts of the real templates are printed beside the template-level ones.
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
from idcapture.synth.templates import MINUTIAE_PER_THUMB, flow_template, individual_template

LEVELS = (30.0, 40.0, 50.0)


def real_impostor_scores(jobs: int) -> tuple[np.ndarray, np.ndarray] | None:
    """Scores of every impostor pair of the nine real sets and the minutia count of
    every template (``None`` without the data)."""
    if not acc.DATA.is_dir():
        return None
    folders = sorted(p for p in acc.DATA.iterdir()
                     if p.is_dir() and re.match(r"FVC\d{4}_DB\d_B$", p.name))
    out, counts = [], []
    for folder in folders:
        stems, templates, _, _ = acc.templates_for(folder, acc.set_ppi(folder), jobs, True)
        counts += [len(t.minutiae) for t in templates]
        scores = symmetric_scores(all_pair_raw([prepare(t) for t in templates], jobs=1))
        _, imp = fvc_pairs(stems, all_impostors=True)
        out.append(np.array([scores[i, j] for i, j in imp]))
    return (np.concatenate(out), np.array(counts)) if out else None


def _percentiles(pairs: np.ndarray) -> str:
    return ", ".join(f"{q:g} %: {np.percentile(pairs, q):.1f}" for q in (50, 90, 99, 99.9))


def _tail(pairs: np.ndarray, real: dict[float, float] | None,
          same_class: np.ndarray | None = None) -> None:
    n = len(pairs)
    print("  impostor score percentiles " + _percentiles(pairs))
    for lvl in LEVELS:
        k = int((pairs >= lvl).sum())
        line = f"  impostor score >= {lvl:.0f}: {k} pairs ({k / n:.3%}"
        if same_class is not None:
            line += f"; {int((pairs[same_class] >= lvl).sum())} of them of the same class"
        line += ")"
        if real is not None:
            r = real[lvl]
            ratio = f"x{k / n / r:.1f}" if r > 0 else "real share 0"
            line += f"; real {r:.3%}, synthetic/real {ratio}"
        print(line)


def run_bulk(fingers: int, flows: int, seed: int, jobs: int,
             real: dict[float, float] | None) -> None:
    """Template-level fingers: each its own flow field (``flows`` 0) or one of ``flows``
    masters' flow fields, compared pairwise."""
    rng = np.random.default_rng(seed)
    t0 = time.process_time()
    if flows:
        masters = [generate_master(seed * 7_919 + m) for m in range(flows)]
        t0 = time.process_time()
        mean, sd = MINUTIAE_PER_THUMB
        templates = []
        for _ in range(fingers):
            m = masters[int(rng.integers(flows))]
            count = int(np.clip(round(rng.normal(mean, sd)), 20, 100))
            templates.append(flow_template(m.orientation, m.mask, rng, count=count))
        what = f"drawn along {flows} masters' flow fields"
    else:
        templates = [individual_template(rng) for _ in range(fingers)]
        what = "each of its own flow field"
    t_make = time.process_time() - t0
    scores = symmetric_scores(all_pair_raw([prepare(t) for t in templates], jobs=jobs))
    pairs = scores[np.triu_indices(fingers, 1)]
    counts = np.array([len(t.minutiae) for t in templates])
    print(f"template-level, {fingers} fingers {what}: {len(pairs)} pairs; "
          f"{t_make / fingers * 1e3:.2f} CPU ms a template; minutiae median "
          f"{np.median(counts):.0f} (5-95 %: {np.percentile(counts, 5):.0f}-"
          f"{np.percentile(counts, 95):.0f}); highest impostor score {pairs.max():.1f}")
    _tail(pairs, real)


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
    print(f"{size[0]}x{size[1]} masters, {fingers} fingers, {len(pairs)} pairs of different "
          f"fingers ({t_make / (2 * fingers):.2f} s per impression incl. master and "
          f"extraction); highest impostor score {pairs.max():.1f}")
    _tail(pairs, real, same_class)
    q = np.percentile(genuine, [5, 25, 50])
    print(f"  genuine (2 impressions of each master): min {genuine.min():.1f}, 5 % "
          f"{q[0]:.1f}, 25 % {q[1]:.1f}, median {q[2]:.1f}; below 30: "
          f"{int((genuine < 30).sum())} of {fingers}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--fingers", type=int, default=80)
    ap.add_argument("--sizes", nargs="*", default=["500x400", "400x320"],
                    help="master sizes of the rendered fingers (none: skip them)")
    ap.add_argument("--bulk", type=int, default=0, metavar="N",
                    help="also N template-level fingers, as the synthetic province's bulk")
    ap.add_argument("--bulk-flows", type=int, nargs="+", default=[0], metavar="K",
                    help="flow fields of the template-level fingers: 0 each its own, "
                         "K > 0 shared among K masters (default: 0)")
    ap.add_argument("--first", type=int, default=90_000, help="first master seed")
    ap.add_argument("--jobs", type=int, default=0,
                    help="extraction workers for uncached real sets (default: all cores)")
    args = ap.parse_args()
    found = real_impostor_scores(args.jobs)
    real = None
    if found is None:
        print(f"no real sets at {acc.DATA}: synthetic figures only")
    else:
        real_pairs, counts = found
        real = shares(real_pairs)
        print(f"real: {real_pairs.size} impostor pairs of the nine FVC sets; highest "
              f"{real_pairs.max():.1f}; " + ", ".join(
                  f">= {lvl:.0f}: {real[lvl]:.3%}" for lvl in LEVELS)
              + f"; percentiles {_percentiles(real_pairs)}; minutiae a template median "
              f"{np.median(counts):.0f} (5-95 %: {np.percentile(counts, 5):.0f}-"
              f"{np.percentile(counts, 95):.0f})")
    for s in args.sizes:
        h, w = (int(v) for v in s.split("x"))
        run((h, w), args.fingers, args.first, real)
    for flows in args.bulk_flows if args.bulk else ():
        run_bulk(args.bulk, flows, args.first, args.jobs, real)


if __name__ == "__main__":
    main()
