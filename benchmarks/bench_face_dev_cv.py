"""Cross-validation inside the development half of the portrait-vs-card protocol: ways
of using the face descriptor compared by how the threshold rule generalises to people
it did not see (the held-out half is never read here).

The development people are split into ``--folds`` folds (by a hash of the identity and
the repetition number, ``--repeats`` times). For each fold, the threshold rule of
``idcapture face evaluate --choose-fmr 0.01`` (every group's FMR <= 1 %, counted and
modelled, and the overall FMR <= 1 %) is run on the other folds' people and read on the
fold's people: genuine pairs of a fold's people, impostor pairs between them. The
counts are pooled over folds and repetitions; a variant is better when its pooled FNMR
is lower at no higher pooled FMR.

Variants (all with the shipped chip padding unless said):

- ``shipped``: the descriptor of ``compare.describe_face``;
- ``flip``: the mean of the chip's and its mirror image's descriptor, both sides (2x);
- ``flip-card``: the same on the card side only (1.5x);
- ``align-jitter``: the mean over the chip and two chips from the landmarks scaled by
  0.97 and 1.03 about their centre (3x);
- ``refit``: the 5 landmarks fitted a second time in a box made from the first fit;
- ``card-4x``: the card's landmarks fitted again on a 4x enlargement (the chip read there);
- ``matched-q40``: the portrait side made into a 102x126 q40 card and described like the
  card (matched degradation);
- ``matched-blur``: the portrait side's chip reduced to the card face's resolution and
  enlarged back, then JPEG q40 at that size (matched detail and compression, same chip);
- ``znorm`` / ``mean-norm``: score normalisation of the shipped distances against a
  cohort of the training folds' people (z-score, or the distance less the mean of the
  two sides' cohort distances, shifted back by the cohort mean).

    .venv/bin/python benchmarks/bench_face_dev_cv.py [--variants NAME,...] [--folds 5]
        [--repeats 4]

Descriptors are cached in build/face-dev-cv/ (delete it after changing the descriptor).
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_face_chip_variants import _sides, chip_of
from bench_face_common import ROOT, faces_dir

from idcapture.biometrics.face import _models
from idcapture.biometrics.face.card import CARD_SIZE, card_eyes, warp_face
from idcapture.biometrics.face.compare import DESCRIPTOR_PADDING, _locate
from idcapture.biometrics.face.detection import FaceBox
from idcapture.biometrics.face.evaluation import (
    CardEvaluation,
    choose_threshold,
    evaluate_card_protocol,
    identity_from_name,
    part_of,
)
from idcapture.biometrics.face.frames import to_gray
from idcapture.biometrics.face.landmarks import Landmarks, find_landmarks
from idcapture.cli.face_evaluate import _labels

Img = np.ndarray
CACHE = ROOT / "build" / "face-dev-cv"
#: a genuine pair within this of the fold's threshold counts as a near miss
NEAR = 0.05


def _chip(image: Img, lm: Landmarks) -> Img:
    return chip_of(image, lm, DESCRIPTOR_PADDING)


def _mean_descriptor(chips: list[Img]) -> np.ndarray:
    model = _models.face_descriptor_model()
    vecs = model.compute_face_descriptor([np.ascontiguousarray(c) for c in chips], 0)
    return np.asarray(vecs, dtype=np.float64).mean(axis=0)


def _scaled(lm: Landmarks, k: float) -> Landmarks:
    c = lm.points.mean(axis=0)
    return Landmarks((lm.points - c) * k + c)


def _refit(image: Img, lm: Landmarks) -> Landmarks:
    """The landmarks fitted again in a square box centred on the first fit (about the
    size dlib's detector gives for that face)."""
    (mx, my), ied = lm.eye_midpoint, lm.inter_eye_distance
    side = 2.3 * ied
    return find_landmarks(to_gray(image), FaceBox(mx - side / 2, my - 0.4 * side, side, side))


def _card_4x(image: Img, lm: Landmarks) -> tuple[Img, Landmarks]:
    big = cv2.resize(image, None, fx=2.0, fy=2.0, interpolation=cv2.INTER_CUBIC)
    return big, _refit(big, lm.translated(0.0, 0.0, 2.0))


def _blurred_portrait_chip(chip: Img) -> Img:
    # the card face is about 26 px between the eyes; the chip at padding 0.35 has about
    # 38 px: reduce to the card's scale, JPEG q40 there, enlarge back
    k = 26.0 / 38.0
    small = cv2.resize(chip, None, fx=k, fy=k, interpolation=cv2.INTER_AREA)
    _, buf = cv2.imencode(".jpg", small, [cv2.IMWRITE_JPEG_QUALITY, 40])
    return np.asarray(cv2.resize(cv2.imdecode(buf, cv2.IMREAD_COLOR), (150, 150),
                                 interpolation=cv2.INTER_CUBIC))


def _as_card(portrait: Img) -> Img:
    image, lm, _ = _locate(portrait, "portrait")
    mid, ied = card_eyes()
    card = warp_face(image, lm, CARD_SIZE, mid, ied)
    _, buf = cv2.imencode(".jpg", card, [cv2.IMWRITE_JPEG_QUALITY, 40])
    return np.asarray(cv2.imdecode(buf, cv2.IMREAD_COLOR))


def _describe(variant: str, side: str, img: Img) -> np.ndarray:
    if variant == "matched-q40" and side == "portrait":
        img = _as_card(img)
    image, lm, _ = _locate(img, side)
    if variant == "refit":
        lm = _refit(image, lm)
    if variant == "card-4x" and side == "card":
        image, lm = _card_4x(image, lm)
    chip = _chip(image, lm)
    chips = [chip]
    if variant == "flip" or (variant == "flip-card" and side == "card"):
        chips.append(chip[:, ::-1])
    if variant == "align-jitter":
        chips += [_chip(image, _scaled(lm, 0.97)), _chip(image, _scaled(lm, 1.03))]
    if variant == "matched-blur" and side == "portrait":
        chips = [_blurred_portrait_chip(chip)]
    return _mean_descriptor(chips)


DESCRIBED = ["shipped", "flip", "flip-card", "align-jitter", "refit", "card-4x",
             "matched-q40", "matched-blur"]
NORMS = {"znorm": "shipped", "mean-norm": "shipped"}


def _descriptors(variant: str, photos: list[tuple[str, Img, Img]]
                 ) -> tuple[np.ndarray, np.ndarray, float]:
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"{variant}.npz"
    if path.exists():
        z = np.load(path)
        return z["p"], z["c"], float(z["cpu"])
    t0 = time.process_time()
    p = np.stack([_describe(variant, "portrait", q) for _, q, _ in photos])
    c = np.stack([_describe(variant, "card", k) for _, _, k in photos])
    cpu = (time.process_time() - t0) / len(photos)
    np.savez(path, p=p, c=c, cpu=cpu)
    return p, c, cpu


def _normalise(d: np.ndarray, ids: np.ndarray, cohort: np.ndarray, how: str) -> np.ndarray:
    """Distances ``d`` (portrait rows, card columns) normalised against the cohort
    columns/rows ``cohort`` (a boolean mask of photos), leaving out the person's own."""
    other = ids[:, None] != ids[None, :]
    rows = np.where(other & cohort[None, :], d, np.nan)       # portrait vs cohort cards
    cols = np.where(other & cohort[:, None], d, np.nan)       # cohort portraits vs card
    mp, sp = np.nanmean(rows, axis=1), np.nanstd(rows, axis=1)
    mc, sc = np.nanmean(cols, axis=0), np.nanstd(cols, axis=0)
    centre = float(np.nanmean(rows))
    if how == "znorm":
        spread = float(np.nanstd(rows))
        z = 0.5 * ((d - mp[:, None]) / sp[:, None] + (d - mc[None, :]) / sc[None, :])
        return centre + spread * z
    return d - 0.5 * (mp[:, None] + mc[None, :]) + centre


def _evaluation(idx: np.ndarray, p: np.ndarray, c: np.ndarray, ids: list[str],
                groups: dict[str, dict[str, str]], dist: np.ndarray | None
                ) -> CardEvaluation:
    ev = evaluate_card_protocol(list(p[idx]), list(c[idx]), [ids[k] for k in idx], 0.0,
                                groups=groups)
    if dist is not None:
        ev.distances = dist[np.ix_(idx, idx)]
    return ev


def cross_validate(p: np.ndarray, c: np.ndarray, ids: list[str],
                   groups: dict[str, dict[str, str]], folds: int, repeats: int,
                   norm: str = "", max_fmr: float = 0.01) -> dict[str, float]:
    arr = np.array(ids)
    d_all = np.linalg.norm(p[:, None, :] - c[None, :, :], axis=2)
    fn = gen = fm = imp = near = 0
    thresholds = []
    for r in range(repeats):
        fold = np.array([hashlib.sha256(f"{i}/{r}".encode()).digest()[0] % folds
                         for i in ids])
        for f in range(folds):
            test, train = np.flatnonzero(fold == f), np.flatnonzero(fold != f)
            dist = None
            if norm:
                dist = _normalise(d_all, arr, fold != f, norm)
            t = choose_threshold(_evaluation(train, p, c, ids, groups, dist), max_fmr)
            ev = _evaluation(test, p, c, ids, groups, dist)
            thresholds.append(t)
            fn += int((ev.genuine >= t).sum())
            near += int((ev.genuine >= t - NEAR).sum())
            gen += int(ev.genuine.size)
            fm += int((ev.impostor < t).sum())
            imp += int(ev.impostor.size)
    full = evaluate_card_protocol(list(p), list(c), ids, 0.0, groups=groups)
    if norm:
        full.distances = _normalise(d_all, arr, np.ones(len(ids), bool), norm)
    t_full = choose_threshold(full, max_fmr)
    return {"near": near, "fn": fn, "gen": gen, "fm": fm, "imp": imp,
            "t_mean": float(np.mean(thresholds)), "t_sd": float(np.std(thresholds)),
            "t_full": t_full, "fnmr_full": full.rates_at(t_full)[0]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--variants", default="", help="comma-separated names (default: all)")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--repeats", type=int, default=4)
    args = ap.parse_args()
    names = [s.strip() for s in args.variants.split(",") if s.strip()] or \
        [*DESCRIBED, *NORMS]
    d = faces_dir()
    groups = _labels(d / "london_info.csv")
    paths = sorted(p for p in d.rglob("*.jpg")
                   if "_" in p.stem and part_of(identity_from_name(p.stem)) == "dev")
    photos: list[tuple[str, Img, Img]] = []
    for path in paths:
        sides = _sides(path)
        if sides is not None:
            photos.append((identity_from_name(path.stem), *sides))
    ids = [i for i, _, _ in photos]
    print(f"development half: {len(photos)} photos of {len(set(ids))} people; card side "
          f"102x126 JPEG q40; {args.folds} folds of people x {args.repeats} repetitions")
    print(f"{'variant':14s} {'rule':>5} {'CV FNMR':>16} {'near':>4} {'CV FMR':>18} "
          f"{'t mean':>7} {'t sd':>6} {'full-dev t':>10} {'dev FNMR':>8} {'CPU/photo':>10}")
    describe: dict[str, Callable[[], tuple[np.ndarray, np.ndarray, float]]] = {}
    for name in names:
        base = NORMS.get(name, name)
        if base not in DESCRIBED:
            sys.exit(f"unknown variant {name}")
        describe[name] = lambda base=base: _descriptors(base, photos)  # type: ignore[misc]
    for name in names:
        p, c, cpu = describe[name]()
        for max_fmr in (0.01, 0.001):
            r = cross_validate(p, c, ids, groups, args.folds, args.repeats,
                               NORMS.get(name, "") and name, max_fmr)
            print(f"{name:14s} {100 * max_fmr:5.1f} {100 * r['fn'] / r['gen']:6.2f} % "
                  f"({r['fn']:3d}/{r['gen']}) {r['near']:4d} "
                  f"{100 * r['fm'] / r['imp']:6.3f} % ({r['fm']:3d}/{r['imp']}) "
                  f"{r['t_mean']:7.3f} {r['t_sd']:6.3f} {r['t_full']:10.3f} "
                  f"{100 * r['fnmr_full']:7.2f} % {1000 * cpu:7.0f} ms", flush=True)


if __name__ == "__main__":
    main()
