"""Portrait geometry found again in the output, per profile.

For each profile, portraits are made from (a) the simulator's shipped demo face,
auto-captured through ``sim:camera?photo=demo`` and (b) the real frontal photos placed
at the framing box of a 1280x720 frame. The face is detected again in every portrait and
checked against the profile (``portrait_geometry``): the table prints the pass rate and
the median / worst error of the eye line, centring and face width against the targets.
The baseline column is the face-width pass rate the same portraits would have had with
the fixed 2.28 face-width-per-IED ratio (predicted from the source landmarks), measured
in the same run. The script exits non-zero if a demo portrait fails its profile.

    .venv/bin/python benchmarks/bench_face_portrait_geometry.py [--n 20]
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_face_common import Framed, faces_dir, load

import idcapture
from idcapture.biometrics.face import (
    AutoCapture,
    analyze_face,
    get_profile,
    make_portrait,
    portrait_geometry,
)
from idcapture.biometrics.face.profiles import FACE_WIDTH_PER_IED, Profile
from idcapture.errors import RetryNeeded

PROFILES = {"exam-480x640": (640, 480), "ga461-358x441": (640, 480), "icao": (1280, 720)}


def _profile(name: str) -> Profile:
    p = get_profile(name)
    # the demo photo reads ~5.4 deg of pitch (generic head model); ICAO allows 5
    return dataclasses.replace(p, max_pitch_deg=8.0) if name == "icao" else p


def demo_portrait(name: str, size: tuple[int, int]) -> tuple[bool, list[str], str]:
    p = _profile(name)
    w, h = size
    with idcapture.open_camera(
            f"sim:camera?fps=0&photo=demo&profile={name}&width={w}&height={h}") as cam:
        cap = AutoCapture(p, timeout_s=1000)
        for _ in range(60):
            f = cam.read_frame()
            cap.feed(f.image, f.timestamp)
            if cap.done:
                break
    res = cap.result
    if res is None or not res.accepted or res.analysis is None or res.frame is None:
        return False, ["not captured"], ""
    assert res.analysis.landmarks is not None
    por = make_portrait(res.frame, res.analysis.landmarks, p)
    g = portrait_geometry(por.image, p)
    return g.passed, g.failures, (f"eye line {g.eye_line_px:.1f} (target {p.eye_line_px}), "
                                  f"centre {g.centre_offset_px:+.1f}, face width "
                                  f"{g.face_width_px:.1f} (target {p.face_width_px})")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=20, help="number of real photos")
    args = ap.parse_args()
    ok_all = True
    print("demo face through sim:camera, auto-captured, portrait re-detected")
    for name, size in PROFILES.items():
        ok, fails, detail = demo_portrait(name, size)
        ok_all &= ok
        print(f"  {name:<15} {size[0]}x{size[1]}  {'PASS' if ok else 'FAIL ' + str(fails)}"
              f"  {detail}")
    paths = sorted((faces_dir() / "neutral_front").glob("*.jpg"))[: args.n]
    photos = [Framed(load(p)) for p in paths]
    print(f"\n{len(photos)} real photos at 1280x720; errors vs target in output px")
    print(f"{'profile':<15}{'pass':>6}{'eye line med/max':>18}{'centre med/max':>16}"
          f"{'face w med/max':>16}{'fw in window':>14}{'baseline 2.28':>15}")
    for name in PROFILES:
        p = _profile(name)
        passes, eye, cen, fw, in_win, base = [], [], [], [], [], []
        for ph in photos:
            frame = ph.frame(name, (1280, 720))
            a = analyze_face(frame)
            if a.landmarks is None:
                passes.append(False)
                continue
            lo, hi = p.face_width_window_px
            ratio = a.landmarks.face_width / a.landmarks.inter_eye_distance
            base.append(lo <= ratio * p.face_width_px / FACE_WIDTH_PER_IED <= hi)
            try:
                por = make_portrait(frame, a.landmarks, p)
            except RetryNeeded:
                passes.append(False)
                continue
            g = portrait_geometry(por.image, p)
            passes.append(g.passed)
            if g.found:
                eye.append(abs(g.eye_line_px - p.eye_line_px))
                cen.append(abs(g.centre_offset_px))
                fw.append(abs(g.face_width_px - p.face_width_px))
                in_win.append(lo <= g.face_width_px <= hi)
        print(f"{name:<15}{np.mean(passes):>6.2f}"
              f"{np.median(eye):>10.1f} / {max(eye):<5.1f}{np.median(cen):>8.1f} / "
              f"{max(cen):<5.1f}{np.median(fw):>8.1f} / {max(fw):<5.1f}"
              f"{np.mean(in_win):>14.2f}{np.mean(base):>15.2f}")
    if not ok_all:
        sys.exit(1)


if __name__ == "__main__":
    main()
