"""Choose the texture cylinders' fusion weights leave-one-set-out on the nine real sets.

    .venv/bin/python benchmarks/choose_finger_texture.py [--weights 0 0.3 0.5 0.7]
        [--period-weights 0 0.5 1]

For every (texture weight, period weight) pair (:class:`~idcapture.biometrics.finger.
texture.TextureParams`; weight 0 is the minutiae cylinders alone) the all-pairs raw
similarities of each FVC "B" set in ``../shared/data/fingerprints`` are computed from the
templates ``bench_finger_accuracy.py`` cached (it runs extraction first when they are
missing), then EER and FMR1000 on all impostor pairs and their ratios to Bozorth3.
Leave-one-set-out: for each set, the pair that minimises the mean of the two ratios
averaged over the **other eight** sets is chosen, and the set's figures at that choice are
its held-out figures. Prints the grid's nine-set means, each set's choice and held-out
figures, and the held-out means.

With ``--speed ROUNDS`` it times instead, in one process and interleaved, prepared
comparisons of 27 probes against the 720 templates of the nine sets (three times over:
2,160 per call) with the default texture fusion and with the minutiae cylinders alone
(CPU time on one core, best of ROUNDS per kernel), and prints comparisons per second and
their ratio.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_finger_accuracy as bench

from idcapture.biometrics.finger.compare import gallery_arrays, prepare
from idcapture.biometrics.finger.compare_core import (
    ConsolidationParams,
    raw_scores,
)
from idcapture.biometrics.finger.compare_eval import error_rates, fvc_pairs
from idcapture.biometrics.finger.compare_parallel import symmetric_scores
from idcapture.biometrics.finger.mcc import DEFAULT_PARAMS
from idcapture.biometrics.finger.texture import DEFAULT_TEXTURE


def set_rates(folder: Path, grid: list[tuple[float, float]], jobs: int
              ) -> dict[tuple[float, float], tuple[float, float, float, float]]:
    """(EER, FMR1000, EER ratio, FMR1000 ratio) of one set for each grid point."""
    ppi = bench.set_ppi(folder)
    stems, templates, _, _ = bench.templates_for(folder, ppi, jobs, True)
    prepared = [prepare(t) for t in templates]
    gallery = gallery_arrays(prepared)
    gen, _ = fvc_pairs(stems)
    _, imp = fvc_pairs(stems, all_impostors=True)
    bz = bench.bozorth3(folder)
    out = {}
    for w, pw in grid:
        tex = DEFAULT_TEXTURE.__class__(**{**DEFAULT_TEXTURE.__dict__, "weight": w,
                                           "period_weight": pw})
        cp = ConsolidationParams(texture=tex)
        raw = np.stack([raw_scores(p.arrays, gallery, DEFAULT_PARAMS, cp) for p in prepared])
        s = symmetric_scores(raw)
        r = error_rates(np.array([s[i, j] for i, j in gen]), np.array([s[i, j] for i, j in imp]))
        re_, rf = ((r.eer / bz[1].eer, r.fmr1000 / bz[1].fmr1000) if bz
                   else (float("nan"), float("nan")))
        out[(w, pw)] = (r.eer, r.fmr1000, re_, rf)
    return out


def speed(folders: list[Path], rounds: int, jobs: int) -> None:
    """Comparisons per second with and without the texture fusion, interleaved."""
    prepared = []
    for f in folders:
        _, templates, _, _ = bench.templates_for(f, bench.set_ppi(f), jobs, True)
        prepared += [prepare(t) for t in templates]
    gallery = gallery_arrays(prepared * 3)
    probes = prepared[::len(prepared) // 27][:27]
    kernels = {"texture": ConsolidationParams(),
               "minutiae only": ConsolidationParams(
                   texture=DEFAULT_TEXTURE.__class__(**{**DEFAULT_TEXTURE.__dict__,
                                                       "weight": 0.0}))}
    best = {k: float("inf") for k in kernels}
    for _ in range(rounds):
        for name, cp in kernels.items():
            c0 = time.process_time()
            for p in probes:
                raw_scores(p.arrays, gallery, DEFAULT_PARAMS, cp)
            best[name] = min(best[name], time.process_time() - c0)
    n = len(probes) * len(gallery)
    for name, t in best.items():
        print(f"  {name:14s} {n / t:9,.0f} comparisons/s per core (best of {rounds})")
    print(f"  ratio texture / minutiae only: {best['minutiae only'] / best['texture']:.2f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--weights", type=float, nargs="*", default=[0.0, 0.3, 0.4, 0.5, 0.6, 0.7])
    ap.add_argument("--period-weights", type=float, nargs="*", default=[0.0, 0.5, 1.0])
    ap.add_argument("--jobs", type=int, default=2, help="extraction workers (when not cached)")
    ap.add_argument("--speed", type=int, default=0, metavar="ROUNDS",
                    help="time the kernel with and without texture instead")
    args = ap.parse_args()
    folders = sorted(p for p in bench.DATA.iterdir()
                     if p.is_dir() and re.match(r"FVC\d{4}_DB\d_B$", p.name))
    if args.speed:
        speed(folders, args.speed, args.jobs)
        return
    grid = sorted({(0.0, 0.0) if w == 0 else (w, pw)
                   for w in args.weights for pw in args.period_weights})
    res = {}
    for f in folders:
        res[f.name] = set_rates(f, grid, args.jobs)
        print(f"  {f.name} done", file=sys.stderr)
    names = list(res)

    def crit(g: tuple[float, float], sets: list[str]) -> float:
        return float(np.mean([(res[s][g][2] + res[s][g][3]) / 2 for s in sets]))

    print("grid (texture weight, period weight): mean EER / FMR1000 over the nine sets "
          "(in-sample), sets meeting both ratios")
    for g in grid:
        e = np.mean([res[s][g][0] for s in names])
        f = np.mean([res[s][g][1] for s in names])
        met = sum(res[s][g][2] <= 0.5 and res[s][g][3] <= 0.5 for s in names)
        print(f"  {g[0]:.2f} {g[1]:.2f}: {100 * e:5.2f} / {100 * f:5.2f} %  {met} of 9")
    print("leave-one-set-out (chosen on the other eight by the mean of the two ratios):")
    held = []
    for s in names:
        others = [o for o in names if o != s]
        g = min(grid, key=lambda g: crit(g, others))
        e, f, re_, rf = res[s][g]
        held.append((e, f, re_ <= 0.5 and rf <= 0.5))
        print(f"  {s:14s} chosen {g[0]:.2f} / {g[1]:.2f}: EER {100 * e:5.2f} %  FMR1000 "
              f"{100 * f:5.2f} %  ratios {re_:.2f} / {rf:.2f}")
    print(f"held-out mean EER {100 * np.mean([h[0] for h in held]):.2f} %, FMR1000 "
          f"{100 * np.mean([h[1] for h in held]):.2f} %, both ratios <= 0.5 on "
          f"{sum(h[2] for h in held)} of 9")


if __name__ == "__main__":
    main()
