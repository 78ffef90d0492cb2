"""Ways of using the face descriptor for the portrait-vs-card comparison, measured on the
development half only (the held-out half is never read here).

Each variant changes how a face becomes a descriptor: the chip's padding, the mean over
the chip and its mirror image, dlib's jitter, how the 102x126 card is enlarged or
filtered before detection, equalising the chip, degrading the portrait side to card-like
detail. For each, the threshold rule of ``idcapture face evaluate --choose-fmr 0.01``
(every group's FMR <= 1 %, counted and modelled) is applied to the variant's own
development distances, and the row shows that threshold, the development FNMR there,
the genuine distances' median and 95th percentile, and d' (separation of the genuine
and impostor distances). The variant kept (docs/integrators/portrait-quality.md) is the
one with the lowest development FNMR at its rule threshold; among equal ones the wider
margin between the threshold and the genuine 95th percentile, then the cheaper one.

    .venv/bin/python benchmarks/bench_face_chip_variants.py [--variants NAME,...]
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_face_common import faces_dir

from idcapture.biometrics.face import _models, analyze_face, get_profile
from idcapture.biometrics.face.card import CARD_SIZE, card_eyes, card_photo_like, warp_face
from idcapture.biometrics.face.detection import detect_faces
from idcapture.biometrics.face.evaluation import (
    choose_threshold,
    evaluate_card_protocol,
    identity_from_name,
    part_of,
)
from idcapture.biometrics.face.frames import to_gray
from idcapture.biometrics.face.landmarks import Landmarks, find_landmarks
from idcapture.biometrics.face.profiles import FACE_WIDTH_PER_IED
from idcapture.cli.face_evaluate import _labels

Img = np.ndarray


@dataclass(frozen=True)
class Variant:
    name: str
    padding: float = 0.25
    mirror: str = ""                 # "", "both", "card", "portrait"
    jitters: int = 0
    enlarge: float = 2.0
    interp: int = cv2.INTER_CUBIC
    card_filter: Callable[[Img], Img] | None = None
    chip_filter: Callable[[Img], Img] | None = None
    portrait_chip_scale: float = 0.0  # >0: portrait chip reduced by this and enlarged back
    portrait_as_card: int = -1        # >=0: portrait side made into a card (0: no JPEG)


def _clahe(chip: Img) -> Img:
    lab = cv2.cvtColor(chip, cv2.COLOR_RGB2LAB)
    lab[..., 0] = cv2.createCLAHE(clipLimit=2.0, tileGridSize=(4, 4)).apply(lab[..., 0])
    out: Img = cv2.cvtColor(lab, cv2.COLOR_LAB2RGB)
    return out


VARIANTS = [
    Variant("padding 0.25 (previous)"),
    Variant("padding 0.35 (shipped)", padding=0.35),
    Variant("padding 0.15", padding=0.15),
    Variant("padding 0.30", padding=0.30),
    Variant("padding 0.40", padding=0.40),
    Variant("mirror mean", mirror="both"),
    Variant("mirror mean, card side", mirror="card"),
    Variant("mirror mean, portrait side", mirror="portrait"),
    Variant("padding 0.35 + mirror mean", padding=0.35, mirror="both"),
    Variant("padding 0.35 + mirror mean, card side", padding=0.35, mirror="card"),
    Variant("jitter 5", jitters=5),
    Variant("card enlarged 3x", enlarge=3.0),
    Variant("card enlarged with Lanczos", interp=cv2.INTER_LANCZOS4),
    Variant("card bilateral filter", card_filter=lambda im: cv2.bilateralFilter(im, 5, 20, 3)),
    Variant("card non-local means", card_filter=lambda im: cv2.fastNlMeansDenoisingColored(
        im, None, 4, 4, 5, 11)),
    Variant("CLAHE on the chip", chip_filter=_clahe),
    Variant("portrait chip at 0.55", portrait_chip_scale=0.55),
    Variant("portrait chip at 0.4", portrait_chip_scale=0.4),
    Variant("portrait as a card, no JPEG", portrait_as_card=0),
    Variant("portrait as a card, q40", portrait_as_card=40),
]


def _sides(path: Path) -> tuple[Img, Img] | None:
    """The exam portrait and the q40 card made from one photo, as ``face evaluate``."""
    img = cv2.imread(str(path), cv2.IMREAD_COLOR)
    k = min(1.0, 800 / max(img.shape[:2]))
    small = cv2.resize(img, None, fx=k, fy=k, interpolation=cv2.INTER_AREA)
    a = analyze_face(small, min_face_px=max(40.0, 0.15 * min(small.shape[:2])))
    if a.landmarks is None:
        return None
    lm = a.landmarks.translated(0.0, 0.0, 1.0 / k)
    p = get_profile("exam-480x640")
    portrait = warp_face(img, lm, (p.width_px, p.height_px),
                         (p.width_px / 2.0, float(p.eye_line_px)),
                         p.face_width_px / FACE_WIDTH_PER_IED)
    return portrait, card_photo_like(img, lm, 40)


def _locate(image: Img, v: Variant) -> tuple[Img, Landmarks] | None:
    if image.shape[0] < 300:
        if v.card_filter is not None:
            image = v.card_filter(image)
        image = cv2.resize(image, None, fx=v.enlarge, fy=v.enlarge, interpolation=v.interp)
    gray = to_gray(image)
    faces = detect_faces(gray, min_face_px=min(80.0, 0.3 * min(gray.shape[:2])))
    if not faces and image.shape[0] < 450:   # the second, larger try of compare._locate
        larger = cv2.resize(image, None, fx=1.5, fy=1.5, interpolation=cv2.INTER_CUBIC)
        faces = [f.scaled(1.0 / 1.5) for f in
                 detect_faces(to_gray(larger), min_face_px=80.0, threshold=-0.3)]
    return (image, find_landmarks(gray, faces[0])) if faces else None


def chip_of(image: Img, lm: Landmarks, padding: float) -> Img:
    """The 150x150 RGB chip dlib's descriptor reads, aligned on the 5 landmarks."""
    dlib = _models.dlib_module()
    pts = lm.points
    x0, y0 = pts.min(axis=0)
    x1, y1 = pts.max(axis=0)
    shape = dlib.full_object_detection(dlib.rectangle(int(x0), int(y0), int(x1), int(y1)),
                                       [dlib.point(round(x), round(y)) for x, y in pts])
    rgb = np.ascontiguousarray(cv2.cvtColor(image, cv2.COLOR_BGR2RGB))
    return np.asarray(dlib.get_face_chip(rgb, shape, 150, padding))


def _describe(image: Img, lm: Landmarks, v: Variant, side: str) -> np.ndarray:
    chip = chip_of(image, lm, v.padding)
    if side == "portrait" and v.portrait_chip_scale > 0:
        s = v.portrait_chip_scale
        small = cv2.resize(chip, None, fx=s, fy=s, interpolation=cv2.INTER_AREA)
        chip = cv2.resize(small, (150, 150), interpolation=cv2.INTER_CUBIC)
    if v.chip_filter is not None:
        chip = v.chip_filter(chip)
    chips = [np.ascontiguousarray(chip)]
    if v.mirror in ("both", side):
        chips.append(np.ascontiguousarray(chip[:, ::-1]))
    model = _models.face_descriptor_model()
    return np.asarray(model.compute_face_descriptor(chips, v.jitters)).mean(axis=0)


def _portrait_side(portrait: Img, v: Variant) -> Img:
    if v.portrait_as_card < 0:
        return portrait
    found = _locate(portrait, v)
    assert found is not None
    mid, ied = card_eyes()
    card = warp_face(portrait, found[1], CARD_SIZE, mid, ied)
    if v.portrait_as_card:
        _, buf = cv2.imencode(".jpg", card, [cv2.IMWRITE_JPEG_QUALITY, v.portrait_as_card])
        card = cv2.imdecode(buf, cv2.IMREAD_COLOR)
    return card


def run(v: Variant, photos: list[tuple[str, Img, Img]], groups: dict[str, dict[str, str]]
        ) -> None:
    lives: list[np.ndarray | None] = []
    cards: list[np.ndarray | None] = []
    t0 = time.process_time()
    for _, portrait, card in photos:
        for side, img, out in (("portrait", _portrait_side(portrait, v), lives),
                               ("card", card, cards)):
            found = _locate(img, v)
            out.append(None if found is None else _describe(*found, v, side))
    cpu = (time.process_time() - t0) / len(photos)
    ev = evaluate_card_protocol(lives, cards, [i for i, _, _ in photos], 0.0, groups=groups)
    t = choose_threshold(ev, 0.01)
    fnmr = ev.rates_at(t)[0]
    g, i = ev.genuine[np.isfinite(ev.genuine)], ev.impostor[np.isfinite(ev.impostor)]
    dprime = (i.mean() - g.mean()) / math.sqrt((i.var() + g.var()) / 2.0)
    print(f"{v.name:40s} {t:6.3f} {100 * fnmr:6.2f} % ({int((ev.genuine >= t).sum()):2d}) "
          f"{np.median(g):6.3f} {np.quantile(g, 0.95):6.3f} {dprime:6.2f} "
          f"{1000 * cpu:7.0f} ms   card no-face {ev.card_no_face}", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--variants", default="", help="comma-separated names (default: all)")
    args = ap.parse_args()
    wanted = [s.strip() for s in args.variants.split(",") if s.strip()]
    chosen = [v for v in VARIANTS if not wanted or v.name in wanted]
    d = faces_dir()
    groups = _labels(d / "london_info.csv")
    photos = []
    for path in sorted(p for p in d.rglob("*.jpg") if "_" in p.stem):
        ident = identity_from_name(path.stem)
        if part_of(ident) != "dev":
            continue
        sides = _sides(path)
        if sides is not None:
            photos.append((ident, *sides))
    print(f"development half: {len(photos)} photos of {len({p[0] for p in photos})} people; "
          "card side 102x126 JPEG q40")
    print(f"{'variant':40s} {'rule t':>6} {'dev FNMR':>13} {'g med':>6} {'g p95':>6} "
          f"{'d':>6}' {'CPU/photo':>10}")
    for v in chosen:
        run(v, photos, groups)


if __name__ == "__main__":
    main()
