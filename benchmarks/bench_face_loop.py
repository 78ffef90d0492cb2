"""Per-frame cost of the live loop, and of the portrait step.

The live loop is what :class:`AutoCapture.feed` does for every frame: detection with
tracking, 5 landmarks, head pose, every quality measure and the guidance; "with
liveness" adds a :class:`LivenessChallenge` (turn, then blink) fed the same frames,
timed against the loop without it in the same run. Frames are a
real photo placed in the framing box with a small drift each frame (so the tracker has
work to do); one whole-frame scan every 10 frames is included. The baseline in the same
run is a full-frame detection on every frame (no tracking).

    .venv/bin/python benchmarks/bench_face_loop.py [--frames 150]

Run it with one core, as the acceptance target is stated: ``taskset -c 0 ...``.
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

from idcapture.biometrics.face import (
    AutoCapture,
    analyze_face,
    assess_quality,
    compare_faces,
    guidance,
    make_portrait,
)
from idcapture.biometrics.face.liveness import LivenessChallenge

PROFILE = "exam-480x640"


def stats(ms: list[float]) -> str:
    a = np.array(ms)
    return f"median {np.median(a):6.2f} ms  mean {a.mean():6.2f}  p90 {np.percentile(a, 90):6.2f}"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--frames", type=int, default=150)
    args = ap.parse_args()
    cv2.setNumThreads(1)
    ph = Framed(load(faces_dir() / "neutral_front" / "005_03.jpg"))
    for size in ((640, 480), (1280, 720)):
        rng = np.random.default_rng(1)
        frames = [ph.frame(PROFILE, size, dx=float(x), dy=float(y))
                  for x, y in rng.normal(0, 2.0, (40, 2)).cumsum(axis=0)]
        # live loop with tracking
        cap = AutoCapture(PROFILE, steady_frames=10**6, timeout_s=1e9)
        ms = []
        for i in range(args.frames):
            t = time.perf_counter()
            cap.feed(frames[i % len(frames)], timestamp=float(i))
            ms.append((time.perf_counter() - t) * 1e3)
        # the same loop with a liveness challenge on every frame
        live_ms: dict[str, list[float]] = {}
        for kind in ("turn", "blink"):
            cap = AutoCapture(PROFILE, steady_frames=10**6, timeout_s=1e9)
            ch = LivenessChallenge(kind, max_frames=10**6)
            lm_ms = []
            for i in range(args.frames):
                t = time.perf_counter()
                step = cap.feed(frames[i % len(frames)], timestamp=float(i))
                if ch.feed(frames[i % len(frames)], step.analysis).live is not None:
                    ch.reset()
                lm_ms.append((time.perf_counter() - t) * 1e3)
            live_ms[kind] = lm_ms
        # baseline: whole-frame detection every frame, same measures
        base = []
        for i in range(min(args.frames, 60)):
            f = frames[i % len(frames)]
            t = time.perf_counter()
            a = analyze_face(f, min_face_px=0.65 * 1.9 * 63.5 * size[1] / 480)
            guidance(assess_quality(f, a, PROFILE))
            base.append((time.perf_counter() - t) * 1e3)
        print(f"{size[0]}x{size[1]} live loop (tracking) : {stats(ms[5:])}")
        for kind, lm_ms in live_ms.items():
            print(f"{size[0]}x{size[1]} with liveness ({kind:5s}): {stats(lm_ms[5:])}  "
                  f"ratio to the loop without {np.median(lm_ms[5:]) / np.median(ms[5:]):.2f}x")
        print(f"{size[0]}x{size[1]} full scan every frame: {stats(base[3:])}  "
              f"ratio {np.median(base[3:]) / np.median(ms[5:]):.2f}x")
        # parts
        f = frames[0]
        a = analyze_face(f)
        t = time.perf_counter()
        for _ in range(30):
            assess_quality(f, a, PROFILE)
        print(f"{size[0]}x{size[1]} quality measures only : "
              f"{(time.perf_counter() - t) / 30 * 1e3:6.2f} ms")
        assert a.landmarks is not None
        pt = []
        for _ in range(10):
            t = time.perf_counter()
            make_portrait(f, a.landmarks, PROFILE)
            pt.append((time.perf_counter() - t) * 1e3)
        print(f"{size[0]}x{size[1]} portrait step (crop, scale, JPEG size fit): {stats(pt)}")
    card = cv2.resize(load(faces_dir() / "smiling_front" / "005_08.jpg"), (126, 126))[:, 12:114]
    portrait = make_portrait(frames[0], a.landmarks, PROFILE).image
    ct = []
    for _ in range(5):
        t = time.perf_counter()
        compare_faces(portrait, card)
        ct.append((time.perf_counter() - t) * 1e3)
    print(f"face vs card photo (two descriptors): {stats(ct)}")


if __name__ == "__main__":
    main()
