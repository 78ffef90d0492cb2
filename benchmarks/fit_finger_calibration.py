"""Refit the comparator's score calibration and print the anchors for ``compare.CALIBRATION``.

    .venv/bin/python benchmarks/fit_finger_calibration.py [--probes 60] [--gallery 5000]

Two impostor samples of *directed* raw similarities (one probe against one reference, as
:func:`~idcapture.biometrics.finger.compare.compare_many` and the 1:N search score;
:func:`~idcapture.biometrics.finger.compare.compare` averages the two directions, whose
tail is no heavier, so the calibration is conservative there):

1. **FVC2002 DB1 set B** (``../shared/data/fingerprints/FVC2002_DB1_B`` beside the
   repository): every ordered pair of impressions of different fingers (5,760), our
   extractor. Quantiles of this sample give the anchors down to FMR 1e-3 (about the 6th
   highest score).
2. **Synthetic impostors**: ``--probes`` extracted synthetic impressions plus as many
   flow-field templates (:mod:`idcapture.synth.templates`), each against
   ``--gallery`` flow-field templates. Its quantiles from 1e-3 down to 1e-5 give the
   *shape* of the tail; they are scaled by the ratio of the FVC and synthetic raw scores
   at 1e-3 (real impostors score higher than synthetic ones) and appended. Beyond the
   last anchor the tail is exponential with the slope ``beta`` measured between 1e-4 and
   1e-5 on the synthetic sample, scaled the same way.

The run also prints the genuine FVC scores under the new anchors (score 40 ~ FMR 1e-4).
"""

from __future__ import annotations

import argparse
import math
import os
import time
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

FVC = Path(__file__).resolve().parents[2] / "shared" / "data" / "fingerprints" / "FVC2002_DB1_B"
FVC_LEVELS = (0.5, 0.2, 0.1, 0.05, 0.02, 0.01, 3e-3, 1e-3)
TAIL_LEVELS = (3e-4, 1e-4, 3e-5, 1e-5)


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


def fvc_impostors() -> tuple[np.ndarray, np.ndarray]:
    """Directed raw scores of FVC2002 DB1_B: impostor pairs (both orders) and genuine."""
    from idcapture.cli.finger_tools import _load

    files = sorted(p for p in FVC.iterdir() if p.suffix.lower() == ".tif")
    prepared = [prepare(extract(_load(p), 500)) for p in files]
    raw = _directed(prepared, prepared)
    gen, imp = fvc_pairs([p.stem for p in files], all_impostors=True)
    impostor = np.array([raw[i, j] for i, j in imp] + [raw[j, i] for i, j in imp])
    genuine = np.array([0.5 * (raw[i, j] + raw[j, i]) for i, j in gen])
    return impostor, genuine


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


def fit(fvc: np.ndarray, synthetic: np.ndarray) -> Calibration:
    """Anchors and tail slope from the two impostor samples (see the module docstring)."""
    anchors = [(0.0, 1.0)] + [(_quantile(fvc, q), q) for q in FVC_LEVELS]
    scale = _quantile(fvc, 1e-3) / max(_quantile(synthetic, 1e-3), 1e-12)
    for q in TAIL_LEVELS:
        anchors.append((scale * _quantile(synthetic, q), q))
    # anchors must rise with falling FMR; ties from a coarse sample are nudged apart
    fixed = [anchors[0]]
    for r, q in anchors[1:]:
        fixed.append((max(r, fixed[-1][0] + 1e-6), q))
    beta = scale * (_quantile(synthetic, 1e-5) - _quantile(synthetic, 1e-4)) / math.log(10.0)
    return Calibration(tuple((round(r, 5), q) for r, q in fixed), round(max(beta, 1e-5), 5),
                       f"FVC2002 DB1_B impostors ({len(fvc):,} directed pairs) to FMR 1e-3; "
                       f"below, the tail shape of {len(synthetic):,} synthetic impostor pairs "
                       f"scaled to FVC (x{scale:.2f}); exponential beyond")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--probes", type=int, default=60,
                    help="synthetic probes of each kind (extracted, flow-field)")
    ap.add_argument("--gallery", type=int, default=5000, help="flow-field references")
    args = ap.parse_args()
    t0 = time.perf_counter()
    fvc, genuine = fvc_impostors()
    t1 = time.perf_counter()
    syn = synthetic_impostors(args.probes, args.gallery)
    t2 = time.perf_counter()
    cal = fit(fvc, syn)
    print(f"FVC impostors: {len(fvc):,} directed pairs ({t1 - t0:.0f} s); synthetic impostors: "
          f"{len(syn):,} directed pairs ({t2 - t1:.0f} s)")
    print("CALIBRATION = Calibration(")
    print("    anchors=(" + ", ".join(f"({r:.5f}, {q:g})" for r, q in cal.anchors) + "),")
    print(f"    beta={cal.beta},")
    print(f"    source={cal.source!r})")
    score = -10.0 * np.log10(np.maximum(cal.fmr(genuine), 1e-10))
    print(f"FVC genuine pairs (mean of both directions) under these anchors: "
          f"{(score >= 40).mean():.1%} at or above score 40, "
          f"{(score >= 30).mean():.1%} at or above 30; median score {np.median(score):.1f}")
    print(f"highest FVC impostor (directed) raw {fvc.max():.5f}, "
          f"synthetic {syn.max():.5f}")


if __name__ == "__main__":
    main()
