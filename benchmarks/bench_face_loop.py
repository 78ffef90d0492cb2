"""Per-frame cost of the live loop, and of the portrait step.

The live loop is what :class:`AutoCapture.feed` does for every frame: detection with
tracking, 5 landmarks, head pose, every quality measure and the guidance; "with
liveness" is the same loop with the challenge switched on (``AutoCapture(liveness=...)``,
turn, then blink: the passive screen-pattern and glare cues, the flat-turn geometry,
the blink's eye openings), timed against the loop without it in the same run. Wall-clock and the
process's CPU time are both printed per frame: on a shared, loaded machine the CPU
time is the truer figure of the work done. Frames are a
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


def timed_loop(cap: AutoCapture, frames: list[np.ndarray], n: int
               ) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU milliseconds of each of ``n`` frames fed to ``cap``."""
    wall, cpu = [], []
    for i in range(n):
        t, c = time.perf_counter(), time.process_time()
        cap.feed(frames[i % len(frames)], timestamp=float(i))
        cpu.append((time.process_time() - c) * 1e3)
        wall.append((time.perf_counter() - t) * 1e3)
    return wall, cpu


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
        # the loop without liveness and with each challenge, interleaved in rounds so
        # that the machine's load falls on all of them alike
        runs: dict[str, tuple[list[float], list[float]]] = {
            k: ([], []) for k in ("none", "turn", "blink")}
        per_round = max(10, args.frames // 5)
        caps = {k: AutoCapture(PROFILE, steady_frames=10**6, timeout_s=1e9,
                               liveness=LivenessChallenge(k, max_frames=10**9)
                               if k != "none" else "")
                for k in runs}
        for _ in range(0, args.frames, per_round):
            for k, cap in caps.items():
                w, c = timed_loop(cap, frames, per_round)
                runs[k][0].extend(w[2:])
                runs[k][1].extend(c[2:])
        ms, cpu = runs["none"]
        # baseline: whole-frame detection every frame, same measures
        base = []
        for i in range(min(args.frames, 60)):
            f = frames[i % len(frames)]
            t = time.perf_counter()
            a = analyze_face(f, min_face_px=0.65 * 1.9 * 63.5 * size[1] / 480)
            guidance(assess_quality(f, a, PROFILE))
            base.append((time.perf_counter() - t) * 1e3)
        print(f"{size[0]}x{size[1]} live loop (tracking) : {stats(ms)}  "
              f"CPU median {np.median(cpu):6.2f} ms")
        for kind in ("turn", "blink"):
            lw, lc = runs[kind]
            print(f"{size[0]}x{size[1]} with liveness ({kind:5s}): {stats(lw)}  "
                  f"CPU median {np.median(lc):6.2f} ms  ratio to the loop without "
                  f"{np.median(lw) / np.median(ms):.2f}x "
                  f"(CPU {np.median(lc) / np.median(cpu):.2f}x)")
        print(f"{size[0]}x{size[1]} full scan every frame: {stats(base[3:])}  "
              f"ratio {np.median(base[3:]) / np.median(ms):.2f}x")
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
