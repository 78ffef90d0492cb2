"""Refit the finger quality score (quality_model.SCORE_MODEL) and print it.

    python benchmarks/fit_finger_quality.py [--per-style 20] [--mix 0.2]

The score is ``100 * sigmoid(z_nfiq + z_capture)`` (see
``idcapture.biometrics.finger.quality_model``). Fitted on the nine real FVC sets in
../shared/data/fingerprints (each with NIST's NFIQ 2 scores in nist-reference/nfiq2.csv)
and on synthetic impressions:

1. ``z_nfiq``, direction: ridge regression, within each set, of a rank target on the
   standardised print measures (NFIQ_FEATURES). The target is ``(1 - mix) x`` the print's
   NFIQ 2 rank in its set plus ``mix x`` its rank by *utility* in its set, the mean score
   our comparator gives it against the other impressions of the same finger (ISO/IEC
   29794-1: quality predicts the comparator's genuine scores). Ranks are standardised per
   set and measures centred per set while fitting, so the fit learns what orders prints
   within a sensor, not what tells sensors apart; the fitted function itself has no
   per-set term. Prints NFIQ 2 could not score are left out. A measure whose weight comes
   out against its meaning (SIGNS; collinear measures) is dropped and the rest refitted.
2. ``z_nfiq``, level: a one-variable logistic fit of NFIQ 2 / 100 on that direction over
   the pooled prints, so that the score speaks NFIQ 2's 0-100 scale (pass mark 40).
3. ``z_capture``: with ``z_nfiq`` as a fixed offset, a logistic regression without
   intercept and with weights <= 0 on synthetic impressions (master seeds 1000+, disjoint
   from the benchmarks' 200+ and the tests' 400+) labelled good (styles good, rotated) or
   bad (partial, dry, wet, smudged); the real prints join with their ``z_nfiq`` score as a
   soft target, so the capture terms cannot learn "real prints are bad"; the synthetic
   impressions together weigh as much as the real prints together.

Everything is fitted on whichever sets are given: ``bench_finger_quality.py --sets`` refits
it nine times leaving one set out and reports the held-out figures. The images are read
at their sensor's resolution (SENSOR_PPI) and scored by the comparator on this checkout,
so a refit follows a changed extractor or comparator.
"""

from __future__ import annotations

import argparse
import csv
import importlib
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import cv2
import numpy as np

from idcapture.biometrics import finger
from idcapture.biometrics.finger.compare import prepare
from idcapture.biometrics.finger.compare_eval import fvc_pairs
from idcapture.biometrics.finger.compare_parallel import all_pair_scores
from idcapture.biometrics.finger.quality_model import CAPTURE_FEATURES, NFIQ_FEATURES, ScoreModel

cv2.setNumThreads(1)
DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "fingerprints"
SENSOR_PPI = {"FVC2002_DB2_B": 569, "FVC2004_DB3_B": 512}
"""Resolution of the sensors that are not 500 ppi, as their makers state it (the set index
in ../shared/data/fingerprints/README.md); every other set is 500 ppi."""
Q = importlib.import_module("idcapture.biometrics.finger.quality")


@dataclass
class SetData:
    """One real set: its prints' score inputs, NFIQ 2 values and all-pairs scores."""

    name: str
    stems: list[str]
    inputs: list[dict[str, float]]
    nfiq2: np.ndarray
    """NaN where NFIQ 2 gave no score."""
    scores: np.ndarray
    genuine: np.ndarray
    """(pairs, 2) print indices of the genuine pairs."""
    impostor: np.ndarray
    """(pairs, 2) print indices of every impostor pair."""

    def utility(self) -> np.ndarray:
        """Mean comparator score of each print against the other impressions of its
        finger."""
        g = self.scores[self.genuine[:, 0], self.genuine[:, 1]]
        n = len(self.stems)
        total = np.bincount(self.genuine.ravel(), np.repeat(g, 2), minlength=n)
        count = np.bincount(self.genuine.ravel(), minlength=n)
        out: np.ndarray = total / np.maximum(count, 1)
        return out


def real_sets(root: Path = DATA) -> list[Path]:
    return sorted(p for p in root.glob("FVC*") if (p / "nist-reference" / "nfiq2.csv").is_file())


def load_set(folder: Path) -> SetData:
    """Extract, score and compare every print of ``folder`` with this checkout's code."""
    ppi = SENSOR_PPI.get(folder.name, 500)
    with (folder / "nist-reference" / "nfiq2.csv").open() as fh:
        ref = {r["file"]: float(r["nfiq2"]) if r["nfiq2"] else math.nan
               for r in csv.DictReader(fh)}
    files = sorted(folder.glob("*.tif"))
    inputs, prepared = [], []
    for path in files:
        image = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
        an = finger.analyse(image, ppi)
        inputs.append(Q.score_inputs(an))
        prepared.append(prepare(finger.extract(image, ppi)))
    stems = [p.stem for p in files]
    gen, _ = fvc_pairs(stems)
    _, imp = fvc_pairs(stems, all_impostors=True)
    return SetData(folder.name, stems, inputs,
                   np.array([ref.get(p.name, math.nan) for p in files]),
                   all_pair_scores(prepared, jobs=1), np.array(gen), np.array(imp))


def matrix(rows: Sequence[dict[str, float]], names: Sequence[str]) -> np.ndarray:
    return np.array([[r[k] for k in names] for r in rows], dtype=np.float64)


def rank(a: np.ndarray) -> np.ndarray:
    return np.argsort(np.argsort(a, kind="stable"), kind="stable").astype(np.float64)


def _standard_ranks(a: np.ndarray) -> np.ndarray:
    r = rank(a)
    return (r - r.mean()) / max(float(r.std()), 1e-9)


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
                              weight: np.ndarray, l2: float = 1e-3, iters: int = 6000
                              ) -> np.ndarray:
    """Logistic regression without intercept: ``sigmoid(offset + x @ w)`` fitted to
    fractional targets with row weights, so that ``x = 0`` leaves the offset as it is, with
    ``w <= 0`` (the columns are defects). Returns ``w`` per unit of each column."""
    sd = np.sqrt((x * x).mean(axis=0))
    sd = np.where(sd > 0, sd, 1.0)
    z = x / sd
    t = np.clip(target, 0.005, 0.995)
    rw = weight / weight.sum()
    w = np.zeros(z.shape[1])
    for _ in range(iters):
        p = 1.0 / (1.0 + np.exp(-(z @ w + offset)))
        w -= 1.0 * (z.T @ (rw * (p - t)) + l2 * w)
        w = np.minimum(w, 0.0)              # a defect never raises the score
    out: np.ndarray = w / sd
    return out


def _finite(x: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Non-finite measures replaced by the fitted range's ends (as the model reads them)."""
    return np.where(np.isfinite(x), x, np.where(np.isneginf(x), lo, hi))


def fit_nfiq_part(sets: Sequence[SetData], mix: float, ridge: float = 0.01
                  ) -> tuple[tuple[tuple[str, float, float, float, float, float], ...], float]:
    """Steps 1-2: the ``z_nfiq`` table and bias fitted on ``sets``."""
    xs = [matrix(s.inputs, NFIQ_FEATURES) for s in sets]
    pooled = np.vstack(xs)
    ok = np.isfinite(pooled)
    lo = np.array([0.0 if name in UNCLIPPED_BELOW else pooled[ok[:, j], j].min()
                   for j, name in enumerate(NFIQ_FEATURES)])
    hi = np.array([pooled[ok[:, j], j].max() for j in range(pooled.shape[1])])
    xs = [_finite(x, lo, hi) for x in xs]
    pooled = np.vstack(xs)
    mu, sd = pooled.mean(axis=0), np.maximum(pooled.std(axis=0), 1e-9)
    rows, target = [], []
    for s, x in zip(sets, xs, strict=True):
        scored = np.isfinite(s.nfiq2)
        a = (x[scored] - mu) / sd
        rows.append(a - a.mean(axis=0))
        target.append((1.0 - mix) * _standard_ranks(s.nfiq2[scored])
                      + mix * _standard_ranks(s.utility()[scored]))
    a, y = np.vstack(rows), np.concatenate(target)
    # ridge regression with the signs a quality measure must have: a measure whose fitted
    # weight comes out the wrong way (collinear with the others) is left out and the rest
    # refitted
    sign = np.array([SIGNS[name] for name in NFIQ_FEATURES], dtype=np.float64)
    use = np.ones(len(sign), dtype=bool)
    w = np.zeros(len(sign))
    while use.any():
        sub = a[:, use]
        w[:] = 0.0
        w[use] = np.linalg.solve(sub.T @ sub + ridge * len(y) * np.eye(sub.shape[1]), sub.T @ y)
        wrong = use & (w * sign < 0)
        if not wrong.any():
            break
        use &= ~wrong
    direction = ((pooled - mu) / sd) @ w
    nfiq = np.concatenate([s.nfiq2 for s in sets])
    scored = np.isfinite(nfiq)
    d_mu, d_sd, d_w, bias = fit_logistic(direction[scored, None], nfiq[scored] / 100.0)
    scale = float(d_w[0] / d_sd[0])
    bias = bias - scale * float(d_mu[0])
    table = tuple((name, round(scale * float(w[j]), 4), round(float(mu[j]), 4),
                   round(float(sd[j]), 4), round(float(lo[j]), 4), round(float(hi[j]), 4))
                  for j, name in enumerate(NFIQ_FEATURES))
    return table, round(bias, 4)


STYLES = {"good": 1, "rotated": 1, "partial": 0, "dry": 0, "wet": 0, "smudged": 0}


def synthetic_inputs(per_style: int) -> tuple[list[dict[str, float]], np.ndarray]:
    """Score inputs and good (1) / bad (0) labels of synthetic impressions."""
    from idcapture.synth.fingerprints import generate_master, make_impression

    rows, labels = [], []
    for style, label in STYLES.items():
        for seed in range(per_style):
            imp = make_impression(generate_master(1000 + seed), seed=seed, style=style)
            rows.append(Q.score_inputs(finger.analyse(imp.image)))
            labels.append(float(label))
    return rows, np.array(labels)


def fit_model(sets: Sequence[SetData], synthetic: tuple[list[dict[str, float]], np.ndarray],
              mix: float) -> ScoreModel:
    """All three steps on ``sets`` and the synthetic impressions."""
    table, bias = fit_nfiq_part(sets, mix)
    nfiq_only = ScoreModel(table, bias, ())
    rows = list(synthetic[0]) + [r for s in sets for r in s.inputs]
    off = np.array([nfiq_only.nfiq_logit(r) for r in rows])
    n_syn = len(synthetic[0])
    target = np.r_[synthetic[1], 1.0 / (1.0 + np.exp(-off[n_syn:]))]
    x = matrix(rows, CAPTURE_FEATURES)
    x = np.where(np.isfinite(x), x, 10.0)
    # the synthetic impressions weigh as much as all real prints together
    weight = np.r_[np.full(n_syn, (len(rows) - n_syn) / n_syn), np.ones(len(rows) - n_syn)]
    w = fit_logistic_through_zero(x, target, off, weight)
    capture = tuple((name, round(float(w[j]), 4)) for j, name in enumerate(CAPTURE_FEATURES))
    return ScoreModel(table, bias, capture)


def scores(model: ScoreModel, rows: Sequence[dict[str, float]]) -> np.ndarray:
    return np.array([model.score(r) for r in rows])


def print_model(model: ScoreModel) -> None:
    print("SCORE_MODEL = ScoreModel(\n    nfiq=(")
    for row in model.nfiq:
        print(f'        ("{row[0]}", ' + ", ".join(f"{v:.4f}" for v in row[1:]) + "),")
    print(f"    ),\n    bias={model.bias:.4f},\n    capture=(")
    for name, w in model.capture:
        print(f'        ("{name}", {w:.4f}),')
    print("    ),\n)")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--per-style", type=int, default=20)
    ap.add_argument("--mix", type=float, default=MIX,
                    help=f"weight of the comparator's utility in the rank target (default {MIX})")
    args = ap.parse_args()
    folders = real_sets()
    if not folders:
        raise SystemExit("no real sets with nist-reference/nfiq2.csv under ../shared/data")
    sets = [load_set(f) for f in folders]
    model = fit_model(sets, synthetic_inputs(args.per_style), args.mix)
    print_model(model)
    syn_rows, _ = synthetic_inputs(args.per_style)
    s = scores(model, syn_rows)
    for k, style in enumerate(STYLES):
        sel = s[k * args.per_style:(k + 1) * args.per_style]
        print(f"  {style:8s} fitted scores min {sel.min():5.1f} median {np.median(sel):5.1f} "
              f"max {sel.max():5.1f}")


SIGNS = {"clarity": 1, "frequency_domain": 1, "orientation_certainty": 1,
         "log_coherence_sum": 1, "log_contact_area": 1, "mean_grey": 0, "ridge_snr": 1,
         "rvup_mean": -1, "period_confidence": 1}
"""(measures not in NFIQ_FEATURES are listed for trying them)"""
"""Direction each measure may move the score (0: either): clearer, more certain ridges over
a larger contact never lower it; uneven ridge and valley widths (RVUP far above 1) never
raise it."""
UNCLIPPED_BELOW = {"log_contact_area"}
"""Measures the model reads below the fitted range (a smaller contact keeps lowering the
score); ln 1 mm^2 = 0 is their floor."""
MIX = 0.2
"""Weight of the comparator's utility in the rank target of step 1."""


if __name__ == "__main__":
    main()
