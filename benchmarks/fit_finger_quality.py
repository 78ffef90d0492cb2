"""Refit the constants of the finger quality score and print them.

    python benchmarks/fit_finger_quality.py [--per-style 20]

The score (``idcapture.biometrics.finger.quality``) is ``100 * sigmoid(z)`` with
``z = z_nfiq + z_capture``:

1. ``z_nfiq``: logistic regression of NIST NFIQ 2 v2.3's UnifiedQualityScore / 100 on
   NIST's own values of two native measures (LCS mean, ln OrientationMap_ROIFilter_
   CoherenceSum) over the scored rows of NIST's conformance output, which sits beside
   the example images in ../shared/data (the conformance images themselves are not
   public, so this step fits on NIST's feature values). Prints 5-fold cross-validated
   Pearson and Spearman correlations with NIST's score.
2. ``z_capture``: with ``z_nfiq`` as a fixed offset, a logistic regression without
   intercept and with non-positive weights (a capture without defects keeps its
   NFIQ 2-fitted score; a defect never raises it) on synthetic impressions (master seeds
   1000+, disjoint from the benchmarks' 200+ and the tests' 400+) labelled good (styles
   good, rotated) or bad (partial, dry, wet, smudged), on the capture defects named in
   :data:`CAPTURE_TERMS` (contact-area deficit, outline truncation, darkness, faint and
   unclear ridges, smeared share, smear echo; see quality.py). NFIQ 2's own forest was
   trained the same way, on binary good/bad labels. The 80 real FVC2002 DB1_B impressions
   (if present) join the fit with their NFIQ 2-fitted score as a soft target, so the
   capture terms cannot learn "real prints are bad".

Paste the printed tables into quality.py.
"""

from __future__ import annotations

import argparse
import csv
import importlib
import math
from pathlib import Path

import cv2
import numpy as np

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "fingerprints"
CAPTURE_TERMS = ("area_deficit", "truncation", "darkness", "faintness", "smear", "smear_echo")
CONFORMANCE = DATA / "NFIQ2_examples" / "conformance" / "conformance_expected_output-v2.3.0.csv"


def fit_logistic(x: np.ndarray, target: np.ndarray, offset: np.ndarray | None = None,
                 l2: float = 1e-3, iters: int = 4000) -> tuple[np.ndarray, np.ndarray,
                                                             np.ndarray, float]:
    """Logistic regression on standardised ``x`` with fractional targets in [0, 1].

    Returns (mean, sd, weights per standardised feature, bias)."""
    mu, sd = x.mean(axis=0), x.std(axis=0)
    sd = np.where(sd > 0, sd, 1.0)
    z = np.hstack([(x - mu) / sd, np.ones((len(x), 1))])
    off = np.zeros(len(x)) if offset is None else offset
    t = np.clip(target, 0.005, 0.995)
    w = np.zeros(z.shape[1])
    for _ in range(iters):
        p = 1.0 / (1.0 + np.exp(-(z @ w + off)))
        g = z.T @ (p - t) / len(t) + l2 * np.r_[w[:-1], 0.0]
        w -= 1.0 * g
    return mu, sd, w[:-1], float(w[-1])


def fit_logistic_through_zero(x: np.ndarray, target: np.ndarray, offset: np.ndarray,
                              l2: float = 1e-3, iters: int = 6000) -> np.ndarray:
    """Logistic regression without intercept: ``sigmoid(offset + x @ w)`` fitted to
    fractional targets, so that ``x = 0`` leaves the offset as it is, with ``w <= 0`` (the
    columns are defects). Returns ``w`` per unit of each column."""
    sd = np.sqrt((x * x).mean(axis=0))
    sd = np.where(sd > 0, sd, 1.0)
    z = x / sd
    t = np.clip(target, 0.005, 0.995)
    w = np.zeros(z.shape[1])
    for _ in range(iters):
        p = 1.0 / (1.0 + np.exp(-(z @ w + offset)))
        w -= 1.0 * (z.T @ (p - t) / len(t) + l2 * w)
        w = np.minimum(w, 0.0)              # a defect never raises the score
    out: np.ndarray = w / sd
    return out


def _rank(a: np.ndarray) -> np.ndarray:
    return np.argsort(np.argsort(a, kind="stable"), kind="stable").astype(float)


def fit_nfiq() -> None:
    rows = [r for r in csv.DictReader(CONFORMANCE.open())
            if r["QualityScore"] not in ("NA", "")]
    y = np.array([float(r["QualityScore"]) for r in rows]) / 100.0
    x = np.array([[float(r["LCS_Bin10_Mean"]),
                   math.log(max(float(r["OrientationMap_ROIFilter_CoherenceSum"]), 1.0))]
                  for r in rows])
    folds = np.random.default_rng(0).permutation(len(y)) % 5
    pred = np.zeros(len(y))
    for k in range(5):
        mu, sd, w, b = fit_logistic(x[folds != k], y[folds != k])
        pred[folds == k] = 1 / (1 + np.exp(-(((x[folds == k] - mu) / sd) @ w + b)))
    print(f"NFIQ 2 conformance rows: {len(y)}; 5-fold CV Pearson "
          f"{np.corrcoef(pred, y)[0, 1]:.3f}, Spearman "
          f"{np.corrcoef(_rank(pred), _rank(y))[0, 1]:.3f}")
    mu, sd, w, b = fit_logistic(x, y)
    lo, hi = x.min(axis=0), x.max(axis=0)
    for name, i in (("clarity", 0), ("log_coherence_sum", 1)):
        print(f'    ("{name}", {w[i]:.4f}, {mu[i]:.4f}, {sd[i]:.4f}, {lo[i]:.4f}, {hi[i]:.4f}),')
    print(f"_SCORE_BIAS = {b:.4f}")


def fit_capture(per_style: int) -> None:
    from idcapture.biometrics import finger
    from idcapture.synth.fingerprints import generate_master, make_impression
    q = importlib.import_module("idcapture.biometrics.finger.quality")
    feats: list[list[float]] = []
    offs: list[float] = []
    labels: list[float] = []
    # the capture term measures contact area, so it learns from full vs partial contact
    styles = {"good": 1, "rotated": 1, "partial": 0, "dry": 0, "wet": 0, "smudged": 0}
    for style, label in styles.items():
        for seed in range(per_style):
            imp = make_impression(generate_master(1000 + seed), seed=seed, style=style)
            res = q.assess(finger.analyse(imp.image))
            f = res.features
            offs.append(q.nfiq_logit(f))
            feats.append([f[name] for name in CAPTURE_TERMS])
            labels.append(float(label))
    n_syn = len(labels)
    real = sorted((DATA / "FVC2002_DB1_B").glob("*.tif"))
    for path in real:
        # real impressions keep their NFIQ 2-fitted score: the capture terms should not
        # move them on average (soft target = sigmoid of the offset)
        image = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
        if image is None:
            continue
        res = q.assess(finger.analyse(image))
        f = res.features
        offs.append(q.nfiq_logit(f))
        feats.append([f[name] for name in CAPTURE_TERMS])
        labels.append(1.0 / (1.0 + math.exp(-offs[-1])))
    x, off, y = np.array(feats), np.array(offs), np.array(labels, float)
    w = fit_logistic_through_zero(x, y, off, l2=1e-3)
    for i, name in enumerate(CAPTURE_TERMS):
        print(f'    ("{name}", {w[i]:.4f}),')
    z = off + x @ w
    s = 100 / (1 + np.exp(-z))
    if len(real):
        nf = 100 / (1 + np.exp(-off[n_syn:]))
        print(f"  FVC2002 DB1_B ({len(real)}): NFIQ-fitted part median {np.median(nf):.1f}, "
              f"final median {np.median(s[n_syn:]):.1f}, share >= 40: "
              f"{np.mean(s[n_syn:] >= 40):.2f}")
    for k, style in enumerate(styles):
        sel = slice(k * per_style, (k + 1) * per_style)
        print(f"  {style:8s} fitted scores min {s[sel].min():5.1f} median "
              f"{np.median(s[sel]):5.1f} max {s[sel].max():5.1f}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--per-style", type=int, default=20)
    args = ap.parse_args()
    if CONFORMANCE.is_file():
        fit_nfiq()
    else:
        print("NFIQ 2 conformance file not found beside the checkout: step 1 skipped")
    fit_capture(args.per_style)


if __name__ == "__main__":
    main()
