"""``idcapture face evaluate DIR --protocol card``: portrait versus card photo accuracy
over a folder of identity-labelled photos (``<identity>_<anything>.jpg``, any depth)."""

from __future__ import annotations

import argparse
import csv
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ConfigError
from ..i18n import N_

__all__ = ["add_parser", "cmd_evaluate"]

_EXT = {".jpg", ".jpeg", ".png", ".bmp"}
_MAX_SIDE = 800          # photos are reduced to this before the face is looked for


def add_parser(group: Any) -> None:
    p = group.add_parser("evaluate", help="portrait-vs-card accuracy over a folder of "
                         "identity-labelled photos (<identity>_<anything>.jpg)")
    p.add_argument("dir", type=Path)
    p.add_argument("--protocol", choices=("card",), default="card")
    p.add_argument("--quality", type=int, default=40,
                   help="JPEG quality of the 102x126 card side (default 40)")
    p.add_argument("--labels", type=Path, help="CSV: identity in the first column, group "
                   "attributes (sex, ethnicity...) in the others")
    p.add_argument("--part", choices=("all", "dev", "held-out"), default="all",
                   help="the people to use: a fixed half by a hash of the identity "
                   "(dev: for choosing; held-out: for reporting)")
    p.add_argument("--threshold", type=float, default=None,
                   help="distance threshold (default: the shipped one)")
    p.add_argument("--choose-fmr", type=float, default=None, metavar="FMR",
                   help="also print the largest threshold at which every group's FMR "
                   "stays <= FMR (counted, and read from a normal fitted to each group's "
                   "impostor distances)")
    p.add_argument("--counted-only", action="store_true",
                   help="with --choose-fmr: judge groups by their counted false matches "
                   "only, not by the fitted distribution")
    p.add_argument("--two-fold", action="store_true",
                   help="with --choose-fmr and --part all: also run the rule on each half "
                   "of the people and print the rates it gives on the other half")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_evaluate)


def _photos(root: Path, part: str) -> list[Path]:
    from ..biometrics.face.evaluation import identity_from_name, part_of

    if not root.is_dir():
        raise ConfigError(N_("not a folder: {folder}").format(folder=root.name), "no-folder")
    # only identity-labelled photos: a name without "_" says nothing about who it shows
    files = sorted(p for p in root.rglob("*") if p.suffix.lower() in _EXT and "_" in p.stem)
    if part != "all":
        files = [p for p in files if part_of(identity_from_name(p.stem)) == part]
    if len({identity_from_name(p.stem) for p in files}) < 2:
        raise ConfigError(N_("need photos of at least two people in {folder} (named "
                             "<identity>_<anything>)").format(folder=root.name),
                          "nothing-to-compare")
    return files


def _labels(path: Path | None) -> dict[str, dict[str, str]]:
    if path is None:
        return {}
    try:
        rows = list(csv.reader(path.read_text(encoding="utf-8-sig").splitlines()))
    except OSError as exc:
        raise ConfigError(N_("cannot read labels {name}: {reason}").format(
            name=path.name, reason=exc.strerror)) from None
    if len(rows) < 2 or len(rows[0]) < 2:
        raise ConfigError(N_("labels {name}: need a header and an identity column").format(
            name=path.name))
    head = rows[0]
    out = {r[0]: {head[k]: r[k] for k in range(1, min(len(r), len(head)))}
           for r in rows[1:] if r}
    # group columns only: drop those whose values are all numbers (age) or missing
    numeric = {h for h in head[1:]
               if all(v.get(h, "").replace(".", "", 1).isdigit() or v.get(h, "") in ("", "NA")
                      for v in out.values())}
    return {k: {h: v for h, v in attrs.items() if h not in numeric} for k, attrs in out.items()}


def _sides(path: Path, quality: int) -> tuple[Any, Any, str]:
    """(portrait descriptor, card descriptor, how the card face was found); None where
    no face was found."""
    import cv2

    from ..biometrics.face import analyze_face, face_descriptor, get_profile
    from ..biometrics.face.card import card_photo_like, warp_face
    from ..biometrics.face.compare import NoFaceFound, describe_face
    from ..biometrics.face.profiles import FACE_WIDTH_PER_IED

    img = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if img is None:
        raise ConfigError(N_("cannot read image {name}").format(name=path.name))
    k = min(1.0, _MAX_SIDE / max(img.shape[:2]))
    small = cv2.resize(img, None, fx=k, fy=k, interpolation=cv2.INTER_AREA) if k < 1 else img
    a = analyze_face(small, min_face_px=max(40.0, 0.15 * min(small.shape[:2])))
    if a.landmarks is None:
        return None, None, "no-face-in-photo"
    lm = a.landmarks.translated(0.0, 0.0, 1.0 / k)
    p = get_profile("exam-480x640")
    portrait = warp_face(img, lm, (p.width_px, p.height_px),
                         (p.width_px / 2.0, float(p.eye_line_px)),
                         p.face_width_px / FACE_WIDTH_PER_IED)
    try:
        live = face_descriptor(portrait, which="portrait")
    except NoFaceFound:
        live = None
    try:
        card, how = describe_face(card_photo_like(img, lm, quality), None, "card photo")
    except NoFaceFound:
        card, how = None, "none"
    return live, card, how


def _progress(done: int, total: int) -> None:
    if sys.stderr.isatty():
        print(f"\r  {done}/{total} photos", end="" if done < total else "\n",
              file=sys.stderr, flush=True)


def _stats(d: np.ndarray) -> dict[str, float]:
    f = d[np.isfinite(d)]
    if f.size == 0:
        return {}
    return {k: round(float(v), 4) for k, v in (
        ("min", f.min()), ("p1", np.percentile(f, 1)), ("median", np.median(f)),
        ("p99", np.percentile(f, 99)), ("max", f.max()))}


def cmd_evaluate(args: argparse.Namespace) -> int:
    from ..biometrics.face.compare import DEFAULT_THRESHOLD
    from ..biometrics.face.evaluation import (
        choose_threshold,
        evaluate_card_protocol,
        identity_from_name,
        modelled_group_fmr,
        swap_halves,
    )
    from . import print_json

    if not 1 <= args.quality <= 100:
        raise ConfigError(N_("--quality must be 1-100, got {value}").format(
            value=args.quality))
    if args.two_fold and (args.choose_fmr is None or args.part != "all"):
        raise ConfigError(N_("--two-fold needs --choose-fmr and --part all"))
    files = _photos(args.dir, args.part)
    groups = _labels(args.labels)
    t0 = time.perf_counter()
    lives, cards, ids = [], [], []
    prior = unusable = 0
    for n, path in enumerate(files, 1):
        live, card, how = _sides(path, args.quality)
        _progress(n, len(files))
        if how == "no-face-in-photo":
            unusable += 1
            continue
        prior += how == "card-geometry"
        lives.append(live)
        cards.append(card)
        ids.append(identity_from_name(path.stem))
    thr = DEFAULT_THRESHOLD if args.threshold is None else args.threshold
    ev = evaluate_card_protocol(lives, cards, ids, thr, card_from_prior=prior,
                                groups=groups)
    bins = np.arange(0.0, 1.3, 0.05)
    gh = np.histogram(np.clip(ev.genuine[np.isfinite(ev.genuine)], 0, 1.25), bins)[0]
    ih = np.histogram(np.clip(ev.impostor[np.isfinite(ev.impostor)], 0, 1.25), bins)[0]
    out: dict[str, Any] = {
        "source": args.dir.name, "protocol": "card", "part": args.part,
        "card": {"size": [102, 126], "jpeg_quality": args.quality},
        "photos": ev.photos, "people": ev.people, "unusable_photos": unusable,
        "threshold": thr, "genuine_pairs": int(ev.genuine.size),
        "impostor_pairs": int(ev.impostor.size), "fnmr": round(ev.fnmr, 4),
        "fmr": round(ev.fmr, 5),
        "card_no_face": ev.card_no_face,
        "card_no_face_rate": round(ev.card_no_face / max(ev.photos, 1), 4),
        "card_face_from_geometry": ev.card_from_prior,
        "portrait_no_face": ev.portrait_no_face,
        "groups": [g.__dict__ for g in ev.groups_at()],
        "genuine_distances": _stats(ev.genuine), "impostor_distances": _stats(ev.impostor),
        "histogram_bins": [round(b, 2) for b in bins.tolist()],
        "genuine_histogram": gh.tolist(), "impostor_histogram": ih.tolist(),
        "seconds": round(time.perf_counter() - t0, 1),
    }
    worst = ev.worst_group_fmr()
    if worst is not None:
        out["worst_group_fmr"] = worst.__dict__
    if args.choose_fmr is not None:
        t = choose_threshold(ev, args.choose_fmr, modelled=not args.counted_only)
        fnmr, fmr = ev.rates_at(t)
        w = ev.worst_group_fmr(t, 100)
        model = modelled_group_fmr(ev, t)
        mw = max(model, key=lambda k: model[k]) if model else None
        out["chosen"] = {"max_fmr": args.choose_fmr, "threshold": t, "fnmr": round(fnmr, 4),
                         "fmr": round(fmr, 5), "rule": "counted" if args.counted_only
                         else "counted and modelled",
                         "worst_group": w.__dict__ if w is not None else None,
                         "worst_modelled_group": None if mw is None else
                         {"attribute": mw[0], "value": mw[1], "fmr": round(model[mw], 6)}}
    if args.two_fold:
        out["two_fold"] = [
            {"chosen_on": r.chosen_on, "reported_on": r.reported_on,
             "threshold": r.threshold, "fnmr": round(r.fnmr, 4), "fmr": round(r.fmr, 5),
             "genuine_pairs": r.genuine, "impostor_pairs": r.impostor,
             "worst_group": None if r.worst_group is None else r.worst_group.__dict__}
            for r in swap_halves(lives, cards, ids, args.choose_fmr, groups=groups,
                                 modelled=not args.counted_only)]
    if args.json:
        print_json(out)
        return 0
    print(f"{args.dir.name}: {ev.photos} photos of {ev.people} people (part {args.part}; "
          f"{unusable} without a usable face left out); card side 102x126 JPEG "
          f"q{args.quality}")
    print(f"threshold {thr:.3f}: FNMR {100 * ev.fnmr:.2f} % of {ev.genuine.size} genuine "
          f"pairs, FMR {100 * ev.fmr:.3f} % of {ev.impostor.size} impostor pairs")
    print(f"no face on the card side: {ev.card_no_face} of {ev.photos} "
          f"({100 * out['card_no_face_rate']:.2f} %); found from the card's geometry: "
          f"{prior}; no face in the portrait: {ev.portrait_no_face}")
    if ev.group_masks:
        print("per group (impostor pairs: both people in the group)")
        for g in ev.groups_at():
            print(f"  {g.attribute}={g.value:<18} {g.people:4d} people  FNMR "
                  f"{100 * g.fnmr:6.2f} % ({g.genuine:5d})  FMR {100 * g.fmr:7.3f} % "
                  f"({g.impostor:6d})")
        if worst is not None:
            print(f"  worst group FMR: {worst.attribute}={worst.value} "
                  f"{100 * worst.fmr:.3f} % (average {100 * ev.fmr:.3f} %)")
    print("distance distribution (genuine | impostor)")
    for lo, a, b in zip(bins[:-1], gh, ih, strict=True):
        if a or b:
            print(f"  {lo:4.2f}-{lo + 0.05:<4.2f} {a:6d} | {b:7d}")
    print(f"genuine  {out['genuine_distances']}")
    print(f"impostor {out['impostor_distances']}")
    if "chosen" in out:
        c = out["chosen"]
        w = c["worst_group"]
        print(f"largest threshold with every group's FMR <= {100 * args.choose_fmr:g} %: "
              f"{c['threshold']:.3f} (FNMR {100 * c['fnmr']:.2f} %, FMR {100 * c['fmr']:.3f} %"
              + (f", worst group {w['attribute']}={w['value']} {100 * w['fmr']:.3f} %)"
                 if w else ")"))
        if c["worst_modelled_group"]:
            m = c["worst_modelled_group"]
            print(f"  worst group by its fitted impostor distribution: "
                  f"{m['attribute']}={m['value']} {100 * m['fmr']:.3f} %")
    for r in out.get("two_fold", []):
        w = r["worst_group"]
        print(f"two-fold: rule on {r['chosen_on']} -> {r['threshold']:.3f}; on "
              f"{r['reported_on']}: FNMR {100 * r['fnmr']:.2f} % of {r['genuine_pairs']}, "
              f"FMR {100 * r['fmr']:.3f} % of {r['impostor_pairs']}"
              + (f", worst group {w['attribute']}={w['value']} {100 * w['fmr']:.3f} %"
                 if w else ""))
    print(f"time {out['seconds']} s")
    return 0
