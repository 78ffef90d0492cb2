"""Face versus card photo: same-person and different-person distance distributions.

Each London Set identity has a neutral and a smiling frontal photo (the same
measurement with dev/held-out halves and per-group rates: `idcapture face evaluate`). The
"live" side is the exam portrait made from one photo; the "card" side is the other
photo framed like GA 461 (358x441), reduced to 102x126 and JPEG-compressed at several
qualities (the chip's own wavelet codec is not available; JPEG at about 1-2 KB is the
stand-in). Genuine pairs: the same person's neutral vs smiling (both directions).
Impostor pairs: every live portrait against every other person's card photo.

The cost of one face-vs-card comparison per record (both descriptors and the distance,
as `compare_faces` does) is printed first, for the shipped chip padding against dlib's
default 0.25 (the previous setting), interleaved in the same run; `--cost-only` stops
there.

    .venv/bin/python benchmarks/bench_face_compare.py [--cost-only] [--records N]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_face_common import Framed, faces_dir, load

from idcapture.biometrics.face import analyze_face, face_descriptor, make_portrait
from idcapture.biometrics.face.compare import (
    DEFAULT_REVIEW_BAND,
    DEFAULT_THRESHOLD,
    DESCRIPTOR_PADDING,
    NoFaceFound,
    describe_face,
)

QUALITIES = (95, 30, 10)


SIZE = (1280, 720)


def portrait(ph: Framed, profile: str) -> np.ndarray:
    frame = ph.frame(profile, SIZE)
    a = analyze_face(frame)
    assert a.landmarks is not None
    return make_portrait(frame, a.landmarks, profile).image


def card_photo(ph: Framed, quality: int) -> tuple[np.ndarray, int]:
    ga = portrait(ph, "ga461-358x441")
    small = cv2.resize(ga, (102, 126), interpolation=cv2.INTER_AREA)
    ok, buf = cv2.imencode(".jpg", small, [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    return cv2.imdecode(buf, cv2.IMREAD_COLOR), len(buf)


def comparison_cost(framed: dict[tuple[str, str], Framed], records: int) -> None:
    """Median wall and CPU ms of one portrait-vs-card comparison, per padding."""
    keys = sorted(framed)[:records]
    pairs = [(portrait(framed[k], "exam-480x640"), card_photo(framed[k], 40)[0])
             for k in keys]
    paddings = (0.25, DESCRIPTOR_PADDING)
    wall: dict[float, list[float]] = {p: [] for p in paddings}
    cpu: dict[float, list[float]] = {p: [] for p in paddings}
    for live, card in pairs:
        for pad in paddings:          # interleaved: both see the same machine load
            w, c = time.perf_counter(), time.process_time()
            a = face_descriptor(live, which="portrait", padding=pad)
            b, _ = describe_face(card, None, "card photo", padding=pad)
            float(np.linalg.norm(a - b))
            wall[pad].append(time.perf_counter() - w)
            cpu[pad].append(time.process_time() - c)
    base = float(np.median(cpu[0.25]))
    print(f"comparison cost per record ({len(pairs)} records, portrait 480x640 + card "
          f"102x126 q40, both descriptors and the distance)")
    for pad in paddings:
        label = "shipped" if pad == DESCRIPTOR_PADDING else "previous (dlib default)"
        mc = float(np.median(cpu[pad]))
        print(f"  padding {pad:.2f} {label:<24} wall median {1000 * np.median(wall[pad]):6.1f} "
              f"ms  CPU median {1000 * mc:6.1f} ms  CPU ratio {mc / base:.2f}x")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cost-only", action="store_true")
    ap.add_argument("--records", type=int, default=20)
    args = ap.parse_args()
    d = faces_dir()
    ids = sorted(p.name[:3] for p in (d / "neutral_front").glob("*_03.jpg"))
    imgs = {(i, "n"): load(d / "neutral_front" / f"{i}_03.jpg") for i in ids}
    imgs.update({(i, "s"): load(d / "smiling_front" / f"{i}_08.jpg") for i in ids})
    framed = {key: Framed(img) for key, img in imgs.items()}
    comparison_cost(framed, args.records)
    if args.cost_only:
        return
    live = {key: face_descriptor(portrait(ph, "exam-480x640"))
            for key, ph in framed.items()}
    print(f"{len(ids)} identities; threshold in use {DEFAULT_THRESHOLD} "
          f"(review band +{DEFAULT_REVIEW_BAND})")
    print(f"{'card JPEG q':>11}{'bytes':>7}  {'genuine median/p90/max':>22}  "
          f"{'impostor min/p1/median':>22}  FNMR/FMR at threshold, FNMR at +band")
    all_gen: dict[int, np.ndarray] = {}
    all_imp: dict[int, np.ndarray] = {}
    for q in QUALITIES:
        cards: dict[tuple[str, str], np.ndarray | None] = {}
        sizes = []
        for key, ph in framed.items():
            c, n = card_photo(ph, q)
            sizes.append(n)
            try:
                cards[key] = face_descriptor(c, which="card photo")
            except NoFaceFound:
                cards[key] = None      # failure to enrol: counts as a non-match

        def dist(a: np.ndarray, b: np.ndarray | None) -> float:
            return float("inf") if b is None else float(np.linalg.norm(a - b))

        missed = sum(v is None for v in cards.values())
        gen = np.array([dist(live[(i, a)], cards[(i, b)])
                        for i in ids for a, b in (("n", "s"), ("s", "n"))])
        imp = np.array([dist(live[(i, "n")], cards[(j, "s")])
                        for i in ids for j in ids if i != j])
        all_gen[q], all_imp[q] = gen, imp
        t = DEFAULT_THRESHOLD
        print(f"{q:>11}{int(np.mean(sizes)):>7}  "
              f"{np.median(gen):.3f}/{np.percentile(gen, 90):.3f}/{gen.max():.3f}".rjust(24)
              + f"  {imp.min():.3f}/{np.percentile(imp, 1):.3f}/{np.median(imp):.3f}".rjust(24)
              + f"  {np.mean(gen >= t):.3f}/{np.mean(imp < t):.4f}, "
                f"{np.mean(gen >= t + DEFAULT_REVIEW_BAND):.3f}; no face in {missed} cards")
    print("\nFNMR / FMR by threshold (genuine n=74, impostor n=1332 per quality)")
    print("threshold " + "".join(f"   q{q:<3} FNMR  FMR " for q in QUALITIES))
    for t in np.arange(0.40, 0.71, 0.025):
        row = "".join(f"   {np.mean(all_gen[q] >= t):>9.3f} {np.mean(all_imp[q] < t):.4f}"
                      for q in QUALITIES)
        print(f"{t:>9.3f} {row}")


if __name__ == "__main__":
    main()
