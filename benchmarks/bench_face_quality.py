"""Each quality measure against the degradation it is named for.

Real neutral frontal photos are placed in a 640x480 frame at the exam profile's framing
box, then spoiled by known amounts (blur, darkening, over-exposure, side light, rotation,
off-centre placement, smaller face, JPEG, motion smear). For each amount the table prints
the median raw value and score of the measure over the photos and the fraction that pass
under the profile; the undegraded row is the baseline measured in the same run. A final table
gives each measure's pass rate on the undegraded photos. ``--side-light`` prints only the
same-person side-light table: each of the 204 photos evenly lit and lit from one side,
how often the side-lit frame is rated below the evenly lit one and flagged.

    .venv/bin/python benchmarks/bench_face_quality.py [--profile exam-480x640] [--n 12]
        [--side-light]
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_face_common import Framed, faces_dir, load

from idcapture.biometrics.face import (
    analyze_face,
    assess_quality,
    framing_box,
    get_profile,
)
from idcapture.biometrics.face.synthetic import (
    degrade_blur,
    degrade_colour_cast,
    degrade_exposure,
    degrade_eyes_closing,
    degrade_jpeg,
    degrade_motion_blur,
    degrade_mouth_opening,
    degrade_rotation,
    degrade_side_light,
)
from idcapture.sim.camera.scene import load_face_source, render_scene

SIZE = (640, 480)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--profile", default="exam-480x640")
    ap.add_argument("--n", type=int, default=12, help="number of photos")
    ap.add_argument("--side-light", action="store_true",
                    help="only the same-person side-light table, over all photos")
    args = ap.parse_args()
    prof = get_profile(args.profile)
    fb = framing_box(prof, SIZE)
    if args.side_light:
        side_light_table(prof.name)
        return
    paths = sorted((faces_dir() / "neutral_front").glob("*.jpg"))
    photos = [Framed(load(p)) for p in paths[: args.n]]
    centre = (fb.centre_x, fb.eye_line_y)

    Deg = Callable[[Framed, float], np.ndarray]

    def on(fn: Callable[[np.ndarray, float], np.ndarray]) -> Deg:
        return lambda ph, a: fn(ph.frame(prof.name, SIZE), a)

    def on_face(fn: Callable[..., np.ndarray]) -> Deg:
        def deg(ph: Framed, a: float) -> np.ndarray:
            frame = ph.frame(prof.name, SIZE)
            lm = analyze_face(frame).landmarks
            assert lm is not None
            return fn(frame, lm, a)
        return deg

    sources: dict[int, object] = {}

    def scene(name: str) -> Deg:
        def deg(ph: Framed, a: float) -> np.ndarray:
            src = sources.setdefault(id(ph), load_face_source(ph.img))
            return render_scene(name, src, SIZE, amount=a / 35.0, target_ied=fb.target_ied,
                                eye_point=centre)  # type: ignore[arg-type]
        return deg

    cases: list[tuple[str, str, list[float], Deg]] = [
        ("blur sigma px", "Sharpness", [0, 0.5, 1.0, 1.5, 2.0, 3.0], on(degrade_blur)),
        ("h. smear px", "Sharpness", [0, 5, 9, 15, 25], on(degrade_motion_blur)),
        ("h. smear px", "MotionBlurPrevention", [0, 3, 5, 9, 15, 25], on(degrade_motion_blur)),
        ("30deg smear px", "MotionBlurPrevention", [0, 3, 5, 9, 15, 25],
         lambda ph, a: degrade_motion_blur(ph.frame(prof.name, SIZE), a, 30.0)),
        ("blur sigma px", "MotionBlurPrevention", [0, 1.0, 2.0, 3.0], on(degrade_blur)),
        ("darken gain", "LuminanceMean", [1.0, 0.8, 0.6, 0.45, 0.35, 0.25],
         on(degrade_exposure)),
        ("brighten gain", "OverExposurePrevention", [1.0, 1.15, 1.3, 1.5, 1.8],
         on(degrade_exposure)),
        ("side light", "IlluminationUniformity", [0.0, 0.3, 0.5, 0.65, 0.75, 0.9],
         lambda ph, a: degrade_side_light(ph.frame(prof.name, SIZE), a, fb.centre_x,
                                          1.2 * fb.target_ied)),
        ("eyes closing", "EyesOpen", [0, 0.2, 0.4, 0.6, 0.8, 1.0],
         on_face(degrade_eyes_closing)),
        ("mouth gap IED", "MouthClosed", [0, 0.02, 0.04, 0.06, 0.1, 0.2],
         on_face(degrade_mouth_opening)),
        ("turn deg (sim)", "HeadPoseYaw", [0, 5, 10, 15, 20, 25, 35], scene("yaw")),
        ("nod deg (sim)", "HeadPosePitch", [0, 10, 20, 25, 30, 35], scene("pitch")),
        ("rotation deg", "HeadPoseRoll", [0, 3, 6, 9, 12, 16],
         lambda ph, a: degrade_rotation(ph.frame(prof.name, SIZE), a, centre)),
        ("off-centre frac", "HorizontalPosition", [0.0, 0.03, 0.05, 0.07, 0.1, 0.14],
         lambda ph, a: ph.frame(prof.name, SIZE, dx=a * fb.width)),
        ("face scale", "HeadSize", [1.0, 0.93, 0.87, 0.8, 0.7, 0.6],
         lambda ph, a: ph.frame(prof.name, SIZE, scale=a)),
        ("blue cast", "NaturalColour", [0.0, 0.1, 0.2, 0.3, 0.4, 0.5],
         on(degrade_colour_cast)),
        ("JPEG quality", "CompressionArtifacts", [95, 75, 50, 30, 20, 10],
         lambda ph, a: degrade_jpeg(ph.frame(prof.name, SIZE), int(a))),
    ]
    print(f"profile {prof.name}, frame {SIZE[0]}x{SIZE[1]}, {len(photos)} photos; "
          "median raw, median score, fraction passing")
    print(f"{'degradation':<16}{'amount':>8}  {'measure':<24}{'raw':>10}{'score':>8}"
          f"{'pass':>7}  threshold")
    for label, measure, amounts, deg in cases:
        for a in amounts:
            raws, scores, passes = [], [], []
            for ph in photos:
                frame = deg(ph, a)
                q = assess_quality(frame, analyze_face(frame), prof)
                m = q.measure(measure)
                if m is None:
                    passes.append(False)
                    continue
                raws.append(abs(m.value) if measure == "HorizontalPosition" else m.value)
                scores.append(m.score)
                passes.append(bool(m.passed))
            thr = q.measure(measure)
            t = "" if thr is None else f"{thr.threshold:.3g}"
            print(f"{label:<16}{a:>8.3g}  {measure:<24}"
                  f"{np.median(raws) if raws else float('nan'):>10.4g}"
                  f"{np.median(scores) if scores else 0:>8.1f}{np.mean(passes):>7.2f}  {t}")
        print()

    # pass rates of every measure on undegraded photos (all neutral + smiling)
    allp = sorted((faces_dir() / "neutral_front").glob("*.jpg")) + sorted(
        (faces_dir() / "smiling_front").glob("*.jpg"))
    rates: dict[str, list[bool]] = {}
    values: dict[str, list[float]] = {}
    for p in allp:
        ph = Framed(load(p))
        frame = ph.frame(prof.name, SIZE)
        q = assess_quality(frame, analyze_face(frame), prof)
        tag = "smiling" if "smiling" in p.parent.name else "neutral"
        for m in q.report.measures:
            rates.setdefault(f"{m.name} [{tag}]", []).append(bool(m.passed))
            values.setdefault(f"{m.name} [{tag}]", []).append(m.value)
    print(f"undegraded pass rate per measure ({len(allp) // 2} neutral, "
          f"{len(allp) // 2} smiling photos)")
    for k in sorted(rates):
        v = np.array(values[k])
        print(f"  {k:<44}{np.mean(rates[k]):>6.2f}   raw p10/p50/p90 "
              f"{np.percentile(v, 10):.3g} / {np.median(v):.3g} / {np.percentile(v, 90):.3g}")


def side_light_table(profile: str) -> None:
    """Each photo evenly lit and lit from one side (the subject's right darker): the share
    whose side-lit frame has a lower overall score, a lower IlluminationUniformity score,
    fails it, and gets the "light the face evenly" advice."""
    from idcapture.errors import RetryReason

    fb = framing_box(get_profile(profile), SIZE)
    paths = sorted((faces_dir() / "neutral_front").glob("*.jpg")) + sorted(
        (faces_dir() / "smiling_front").glob("*.jpg"))
    strengths = (0.5, 0.65, 0.8)
    rows: dict[float, list[tuple[bool, bool, bool, bool]]] = {a: [] for a in strengths}
    even_pass = []
    for p in paths:
        frame = Framed(load(p)).frame(profile, SIZE)
        even = assess_quality(frame, analyze_face(frame), profile)
        ue = even.measure("IlluminationUniformity")
        assert ue is not None
        even_pass.append(bool(ue.passed))
        for a in strengths:
            lit = degrade_side_light(frame, a, fb.centre_x, 1.2 * fb.target_ied)
            side = assess_quality(lit, analyze_face(lit), profile)
            us = side.measure("IlluminationUniformity")
            if us is None:
                rows[a].append((False, False, False, False))
                continue
            rows[a].append((side.report.score < even.report.score, us.score < ue.score,
                            not us.passed,
                            RetryReason.EVEN_LIGHT in {x.reason for x in side.advice}))
    print(f"side light, same person ({len(paths)} photos; evenly lit pass "
          f"IlluminationUniformity: {np.mean(even_pass):.2f})")
    print(f"{'strength':>9}{'overall lower':>15}{'measure lower':>15}{'fails':>8}"
          f"{'even-light advice':>19}")
    for a in strengths:
        r = np.array(rows[a], dtype=float)
        print(f"{a:>9.2f}{r[:, 0].mean():>15.2f}{r[:, 1].mean():>15.2f}{r[:, 2].mean():>8.2f}"
              f"{r[:, 3].mean():>19.2f}")


if __name__ == "__main__":
    main()
