"""Refit the comparator's score calibration and print the anchors for ``compare.CALIBRATION``.

    .venv/bin/python benchmarks/fit_finger_calibration.py [--probes 60] [--gallery 5000]

Two impostor samples of *directed* raw similarities (one probe against one reference, as
:func:`~idcapture.biometrics.finger.compare.compare_many` and the 1:N search score;
:func:`~idcapture.biometrics.finger.compare.compare` averages the two directions, whose
tail is no heavier, so the calibration is conservative there):

1. **The nine real FVC "B" sets** (``../shared/data/fingerprints/FVC*_B`` beside the
   repository, one sensor each): every ordered pair of impressions of different fingers,
   5,760 per set, 51,840 pooled, our extractor at each set's stated resolution (the
   directed matrices ``build/finger-accuracy/raw-<set>.npz`` written by
   ``benchmarks/bench_finger_accuracy.py``, which this script runs first when they are
   missing). Pooled quantiles give the anchors down to FMR 3e-4 (about the 16th highest).
2. **The tail below 3e-4** is the more conservative (higher raw similarity at each rate)
   of two estimates: an exponential fitted to the pooled real impostors above their 1e-3
   quantile (peaks over threshold: the mean excess is the slope), and the *shape* of
   ``--probes`` extracted synthetic impressions plus as many flow-field templates
   (:mod:`idcapture.synth.templates`) against ``--gallery`` flow-field
   templates, scaled by the ratio of the real and synthetic raw scores at 1e-3. Beyond
   the last anchor the tail is exponential with the larger of the two slopes.

The run then checks the fit on the symmetric scores (the mean of both directions, as
``compare`` gives) of the 25,920 pooled all-impostor pairs, set by set, in-sample and
**leave-one-set-out** (each set scored by a calibration fitted without it): how many
reach 40 (FMR 1e-4: 2.6 expected) and 50 (1e-5), and the genuine pairs' scores.
"""

from __future__ import annotations

import argparse
import math
import os
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np

from idcapture.biometrics.finger import extract
from idcapture.biometrics.finger.compare import (
    Calibration,
    PreparedTemplate,
    gallery_arrays,
    prepare,
)
from idcapture.biometrics.finger.compare_core import raw_scores
from idcapture.biometrics.finger.compare_eval import fvc_pairs
from idcapture.synth.fingerprints import generate_master, make_impression
from idcapture.synth.templates import flow_template

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / "build" / "finger-accuracy"
REAL_LEVELS = (0.5, 0.2, 0.1, 0.05, 0.02, 0.01, 3e-3, 1e-3, 3e-4)
TAIL_LEVELS = (1e-4, 3e-5, 1e-5)
POT_LEVEL = 1e-3


def _quantile(sample: np.ndarray, fmr: float) -> float:
    """The raw score above which a fraction ``fmr`` of ``sample`` lies."""
    return float(np.quantile(sample, 1.0 - fmr, method="linear"))


def _directed(probes: list[PreparedTemplate], gallery: list[PreparedTemplate],
              chunk: int = 1000) -> np.ndarray:
    """``(len(probes), len(gallery))`` raw similarities from each probe's side."""
    out = np.zeros((len(probes), len(gallery)))
    for s in range(0, len(gallery), chunk):
        g = gallery_arrays(gallery[s:s + chunk])
        for i, p in enumerate(probes):
            out[i, s:s + chunk] = raw_scores(p.arrays, g)
    return out


@dataclass(frozen=True)
class RealSet:
    """One set's directed impostor raw scores (both orders), and the symmetric raw scores
    of its impostor and genuine pairs."""

    name: str
    directed: np.ndarray
    impostor: np.ndarray
    genuine: np.ndarray


def real_sets() -> list[RealSet]:
    """The nine sets' raw scores (from the accuracy benchmark's matrices)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import bench_finger_accuracy as acc

    folders = sorted(p for p in acc.DATA.iterdir()
                     if p.is_dir() and re.match(r"FVC\d{4}_DB\d_B$", p.name))
    if not folders:
        sys.exit(f"no fingerprint sets at {acc.DATA}")
    out = []
    for folder in folders:
        path = BUILD / f"raw-{folder.name}.npz"
        if path.is_file() and path.stat().st_mtime >= _newest_source():
            d = np.load(path)
            raw, stems = d["raw"], [str(x) for x in d["stems"]]
        else:
            _, raw = acc.run_set(folder, 0, True)
            stems = sorted(p.stem for p in folder.iterdir() if p.suffix.lower() == ".tif")
        gen, imp = fvc_pairs(stems, all_impostors=True)
        ii, jj = np.array(imp).T
        gi, gj = np.array(gen).T
        out.append(RealSet(folder.name, np.concatenate([raw[ii, jj], raw[jj, ii]]),
                           0.5 * (raw[ii, jj] + raw[jj, ii]), 0.5 * (raw[gi, gj] + raw[gj, gi])))
    return out


def _newest_source() -> float:
    src = ROOT / "src" / "idcapture" / "biometrics" / "finger"
    return max(p.stat().st_mtime for p in src.glob("*.py"))


def synthetic_impostors(n_probes: int, n_gallery: int, seed: int = 40_000) -> np.ndarray:
    """Directed raw scores of synthetic probes against unrelated flow-field templates."""
    rng = np.random.default_rng(seed)
    masters = [generate_master(seed + i) for i in range(max(4, n_probes // 4))]
    probes = []
    for i in range(n_probes):
        m = masters[i % len(masters)]
        probes.append(prepare(extract(make_impression(m, seed=seed + i).image, m.ppi)))
        probes.append(prepare(flow_template(m.orientation, m.mask, rng,
                                            count=int(rng.integers(25, 60)))))
    fields = [generate_master(seed + 10_000 + i) for i in range(24)]
    gallery = []
    for i in range(n_gallery):
        f = fields[i % len(fields)]
        gallery.append(prepare(flow_template(f.orientation, f.mask, rng,
                                             count=int(rng.integers(25, 60)))))
    return _directed(probes, gallery).ravel()


def fit(real: np.ndarray, synthetic: np.ndarray) -> Calibration:
    """Anchors and tail slope from the two impostor samples (see the module docstring)."""
    anchors = [(0.0, 1.0)] + [(_quantile(real, q), q) for q in REAL_LEVELS]
    u = _quantile(real, POT_LEVEL)
    beta_real = float(np.mean(real[real > u] - u))
    scale = u / max(_quantile(synthetic, POT_LEVEL), 1e-12)
    for q in TAIL_LEVELS:
        pot = u + beta_real * math.log(POT_LEVEL / q)
        syn = scale * _quantile(synthetic, q)
        anchors.append((max(pot, syn), q))
    # anchors must rise with falling FMR; ties from a coarse sample are nudged apart
    fixed = [anchors[0]]
    for r, q in anchors[1:]:
        fixed.append((max(r, fixed[-1][0] + 1e-6), q))
    beta_syn = scale * (_quantile(synthetic, 1e-5) - _quantile(synthetic, 1e-4)) / math.log(10.0)
    beta = max(beta_real, beta_syn)
    return Calibration(tuple((round(r, 5), q) for r, q in fixed), round(max(beta, 1e-5), 5),
                       f"impostors of nine FVC sets ({len(real):,} directed pairs) to FMR "
                       f"3e-4; below, the heavier of their exponential tail and the tail "
                       f"shape of {len(synthetic):,} synthetic impostor pairs scaled to "
                       f"them (x{scale:.2f}); exponential beyond")


def _scores(cal: Calibration, raw: np.ndarray) -> np.ndarray:
    return np.asarray(-10.0 * np.log10(np.maximum(cal.fmr(raw), 1e-10)))


def check(sets: list[RealSet], cal: Calibration, syn: np.ndarray) -> None:
    """Impostors at or above 40 and 50 set by set, in-sample and leave-one-set-out."""
    print("set            | in-sample: impostors >= 40, >= 50, highest | leave-one-set-out: "
          ">= 40, >= 50, highest | genuine >= 40 (in-sample)")
    tot = np.zeros(4, int)
    for k, s in enumerate(sets):
        held = fit(np.concatenate([o.directed for j, o in enumerate(sets) if j != k]), syn)
        a, b = _scores(cal, s.impostor), _scores(held, s.impostor)
        g = _scores(cal, s.genuine)
        row = np.array([(a >= 40).sum(), (a >= 50).sum(), (b >= 40).sum(), (b >= 50).sum()])
        tot += row
        print(f"{s.name:14s} | {row[0]:5d} {row[1]:5d} {a.max():6.1f}"
              f"{'':24s}| {row[2]:5d} {row[3]:5d} {b.max():6.1f}{'':15s}| "
              f"{(g >= 40).mean():6.1%}")
    n = sum(len(s.impostor) for s in sets)
    print(f"{'all':14s} | {tot[0]:5d} {tot[1]:5d} of {n:,} pairs (expected at 40: "
          f"{n * 1e-4:.1f}){'':5s}| {tot[2]:5d} {tot[3]:5d}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--probes", type=int, default=60,
                    help="synthetic probes of each kind (extracted, flow-field)")
    ap.add_argument("--gallery", type=int, default=5000, help="flow-field references")
    args = ap.parse_args()
    t0 = time.perf_counter()
    sets = real_sets()
    real = np.concatenate([s.directed for s in sets])
    t1 = time.perf_counter()
    syn = synthetic_impostors(args.probes, args.gallery)
    t2 = time.perf_counter()
    cal = fit(real, syn)
    print(f"real impostors: {len(real):,} directed pairs of {len(sets)} sets ({t1 - t0:.0f} s); "
          f"synthetic impostors: {len(syn):,} directed pairs ({t2 - t1:.0f} s)")
    print("CALIBRATION = Calibration(")
    print("    anchors=(" + ", ".join(f"({r:.5f}, {q:g})" for r, q in cal.anchors) + "),")
    print(f"    beta={cal.beta},")
    print(f"    source={cal.source!r})")
    check(sets, cal, syn)
    print(f"highest real impostor (directed) raw {real.max():.5f}, synthetic {syn.max():.5f}")


if __name__ == "__main__":
    main()
