"""How far NFIQ 2's own native measures carry its score across sensors, leave-one-set-out.

    python benchmarks/bench_nfiq2_native.py [--trees]

Reads the 69 native measures NIST's NFIQ 2 computed for every print of the nine real FVC
sets (../shared/data/fingerprints/*/nist-reference/nfiq2.csv, the values its forest is fed)
and, for each set, fits on the other eight and prints the Spearman correlation of the fit
with NFIQ 2 on the ninth, as bench_finger_quality.py --sets measures our score:

* linear: ridge regression of the within-set standardised NFIQ 2 rank on the standardised
  measures, centred per set while fitting (step 1 of fit_finger_quality.py);
* with ``--trees``: gradient-boosted regression trees (depth 3, 150 rounds, shrinkage 0.05)
  fitted to the NFIQ 2 values themselves, nearer to NFIQ 2's own random forest (a few
  minutes).

A set the fit cannot bring to 0.8 with NIST's own measures is one where no fit on our
measures can be expected to either. Measures NIST left empty count as the training mean.
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

import numpy as np
from fit_finger_quality import DATA, rank, real_sets

SKIP = {"file", "width", "height", "nfiq2", "error"}


def load(folder: Path) -> tuple[list[str], np.ndarray, np.ndarray]:
    """(measure names, measures per print, NFIQ 2 per print) of one set's scored prints."""
    with (folder / "nist-reference" / "nfiq2.csv").open() as fh:
        rows = [r for r in csv.DictReader(fh) if r["nfiq2"]]
    names = [k for k in rows[0] if k not in SKIP]
    x = np.array([[float(r[k]) if r[k] else np.nan for k in names] for r in rows])
    return names, x, np.array([float(r["nfiq2"]) for r in rows])


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.corrcoef(rank(a), rank(b))[0, 1])


def standard_ranks(a: np.ndarray) -> np.ndarray:
    r = rank(a)
    return (r - r.mean()) / max(float(r.std()), 1e-9)


def fit_linear(xs: list[np.ndarray], ys: list[np.ndarray], ridge: float = 0.05
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    pooled = np.vstack(xs)
    mu, sd = np.nanmean(pooled, axis=0), np.nanstd(pooled, axis=0) + 1e-9
    rows = []
    for x in xs:
        a = (np.where(np.isfinite(x), x, mu) - mu) / sd
        rows.append(a - a.mean(axis=0))
    a, y = np.vstack(rows), np.concatenate([standard_ranks(v) for v in ys])
    w = np.linalg.solve(a.T @ a + ridge * len(y) * np.eye(a.shape[1]), a.T @ y)
    return mu, sd, w


def _split(x: np.ndarray, r: np.ndarray, idx: np.ndarray, cuts: list[np.ndarray],
           min_leaf: int) -> tuple[int, float] | None:
    best, out = 0.0, None
    rr, n = r[idx], len(idx)
    tot = rr.sum()
    for j, ts in enumerate(cuts):
        for t in ts:
            left = x[idx, j] <= t
            nl = int(left.sum())
            if nl < min_leaf or n - nl < min_leaf:
                continue
            sl = rr[left].sum()
            gain = sl * sl / nl + (tot - sl) ** 2 / (n - nl) - tot * tot / n
            if gain > best:
                best, out = gain, (j, float(t))
    return out


def fit_trees(x: np.ndarray, y: np.ndarray, rounds: int = 150, rate: float = 0.05,
              depth: int = 3, min_leaf: int = 20) -> tuple[float, list[tuple[object, ...]]]:
    cuts = [np.unique(np.quantile(x[:, j], np.linspace(0.02, 0.98, 24)))
            for j in range(x.shape[1])]
    base = float(y.mean())
    f = np.full(len(y), base)
    trees: list[tuple[object, ...]] = []

    def grow(idx: np.ndarray, r: np.ndarray, d: int) -> tuple[object, ...]:
        s = _split(x, r, idx, cuts, min_leaf) if d < depth else None
        if s is None:
            return ("leaf", rate * float(r[idx].mean()))
        j, t = s
        m = x[idx, j] <= t
        return ("split", j, t, grow(idx[m], r, d + 1), grow(idx[~m], r, d + 1))

    for _ in range(rounds):
        tree = grow(np.arange(len(y)), y - f, 0)
        trees.append(tree)
        f += predict_tree(tree, x)
    return base, trees


def predict_tree(tree: tuple[object, ...], x: np.ndarray) -> np.ndarray:
    if tree[0] == "leaf":
        return np.full(len(x), float(tree[1]))  # type: ignore[arg-type]
    _, j, t, a, b = tree
    m = x[:, j] <= t  # type: ignore[call-overload, operator]
    out = np.empty(len(x))
    out[m] = predict_tree(a, x[m])  # type: ignore[arg-type]
    out[~m] = predict_tree(b, x[~m])  # type: ignore[arg-type]
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--trees", action="store_true", help="also boosted trees (a few minutes)")
    args = ap.parse_args()
    folders = real_sets(DATA)
    if not folders:
        raise SystemExit("no real sets with nist-reference/nfiq2.csv under ../shared/data")
    data = [load(f) for f in folders]
    kinds = ["linear"] + (["trees"] if args.trees else [])
    print(f"NFIQ 2's native measures ({len(data[0][0])}), fitted on eight sets, Spearman with "
          "NFIQ 2 on the ninth:")
    counts = dict.fromkeys(kinds, 0)
    for k, folder in enumerate(folders):
        train = [d for j, d in enumerate(data) if j != k]
        _, x, y = data[k]
        out = []
        mu, sd, w = fit_linear([d[1] for d in train], [d[2] for d in train])
        out.append(spearman(((np.where(np.isfinite(x), x, mu) - mu) / sd) @ w, y))
        if args.trees:
            tx = np.vstack([np.where(np.isfinite(d[1]), d[1], mu) for d in train])
            base, trees = fit_trees(tx, np.concatenate([d[2] for d in train]))
            xk = np.where(np.isfinite(x), x, mu)
            out.append(spearman(base + sum(predict_tree(t, xk) for t in trees), y))
        for kind, v in zip(kinds, out, strict=True):
            counts[kind] += v >= 0.8
        print(f"  {folder.name}: " + ", ".join(f"{kind} {v:.2f}"
                                               for kind, v in zip(kinds, out, strict=True)))
    print("  sets at Spearman >= 0.8: " + ", ".join(f"{kind} {counts[kind]}/{len(folders)}"
                                                    for kind in kinds))


if __name__ == "__main__":
    main()
