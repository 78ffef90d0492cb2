"""Liveness in the live loop: the passive screen-pattern and glare cues on real faces and
on the simulator's scenes, and the live loop's decisions on the normal and attack scenes.

* screen-pattern scores (:func:`~idcapture.biometrics.face.presentation.screen_pattern`)
  and glare scores (:func:`~idcapture.biometrics.face.presentation.specular_glare`) of
  every London Set photo placed in a 640x480 frame as the live loop sees it, raw, after
  JPEG q80 (an MJPEG webcam stream) and (glare) over-exposed by a gain of 1.3 and 1.5,
  against the limits; the same for the camera simulator's demo face, with glasses, and
  its attack scenes;
* for each challenge, :class:`AutoCapture` with liveness on over ``sim:camera`` scenes
  (a person meeting the challenge when prompted, without and with glasses, a still face,
  a printed photo turned to and fro, a phone replaying a video of the person turning and
  blinking, a glossy print held nearly still under a lamp, a phone with a screen too fine
  for moire and a window's reflection): accepted or refused, after how many frames, and
  why.

    .venv/bin/python benchmarks/bench_face_liveness.py [--photos 204]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_face_common import Framed, faces_dir, load

import idcapture
from idcapture.biometrics.face import (
    AutoCapture,
    FaceTracker,
    analyze_face,
    framing_box,
    get_profile,
)
from idcapture.biometrics.face.frames import to_gray
from idcapture.biometrics.face.liveness import LivenessChallenge
from idcapture.biometrics.face.presentation import (
    GLARE_AREA_LIMIT,
    SCREEN_PATTERN_LIMIT,
    screen_pattern,
    specular_glare,
)
from idcapture.errors import ConfigError
from idcapture.sim.camera.scene import demo_face_path, load_face_source, render_scene

PROFILE = "exam-480x640"
SIZE = (640, 480)


def score(frame: np.ndarray) -> float:
    a = analyze_face(frame, min_face_px=60)
    return float("nan") if a.landmarks is None else screen_pattern(to_gray(frame), a.landmarks)


def glare(frame: np.ndarray) -> float:
    a = analyze_face(frame, min_face_px=60)
    g = None if a.landmarks is None else specular_glare(frame, a.landmarks)
    return float("nan") if g is None else g.score


def glare_refusals(photos: list[Path], k: float, place: dict[str, object]) -> tuple[int, int]:
    """Of the photos over-exposed by ``k`` and played as a person turning the head, how
    many the turn challenge refuses for glare (and how many were played)."""
    refused = played = 0
    for p in photos:
        img = gain(load(p), k)
        try:
            src = load_face_source(img)
        except ConfigError:
            continue
        ch = LivenessChallenge("turn", max_frames=60)
        tracker = FaceTracker(min_face_px=60)
        for i in range(60):
            f = render_scene("turn-head", src, SIZE, frame_no=i, **place)  # type: ignore[arg-type]
            if ch.feed(f, analyze_face(f, tracker=tracker)).live is not None:
                break
        played += 1
        refused += "glare" in ch.result.reason
    return refused, played


def gain(frame: np.ndarray, k: float) -> np.ndarray:
    return np.clip(frame.astype(np.float32) * k, 0, 255).astype(np.uint8)


def jpeg(frame: np.ndarray, q: int = 80) -> np.ndarray:
    ok, buf = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, q])
    assert ok
    return cv2.imdecode(buf, cv2.IMREAD_COLOR)


def summary(name: str, values: list[float], limit: float = SCREEN_PATTERN_LIMIT) -> None:
    a = np.array([v for v in values if np.isfinite(v)])
    over = int((a > limit).sum())
    print(f"  {name:34s} n={len(a):3d}  median {np.median(a):7.4g}  p99 "
          f"{np.percentile(a, 99):7.4g}  max {a.max():7.4g}  over the limit {over}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--photos", type=int, default=204)
    ap.add_argument("--turn-photos", type=int, default=40,
                    help="over-exposed photos played as a person turning (glare check)")
    args = ap.parse_args()
    cv2.setNumThreads(1)
    print(f"screen-pattern score (limit {SCREEN_PATTERN_LIMIT:g}; the loop judges the median "
          "over frames)")
    photos = sorted((faces_dir() / "neutral_front").glob("*.jpg")) + \
        sorted((faces_dir() / "smiling_front").glob("*.jpg"))
    raw, mjpeg = [], []
    glares: dict[str, list[float]] = {"raw": [], "q80": [], "gain 1.3": [], "gain 1.5": []}
    for p in photos[:args.photos]:
        try:
            f = Framed(load(p)).frame(PROFILE, SIZE)
        except ValueError:
            continue
        raw.append(score(f))
        mjpeg.append(score(jpeg(f)))
        glares["raw"].append(glare(f))
        glares["q80"].append(glare(jpeg(f)))
        glares["gain 1.3"].append(glare(gain(f, 1.3)))
        glares["gain 1.5"].append(glare(gain(f, 1.5)))
    summary("London Set photos, 640x480", raw)
    summary("the same after JPEG q80", mjpeg)
    face = load_face_source(demo_face_path())
    fb = framing_box(get_profile(PROFILE), SIZE)
    place = {"target_ied": fb.target_ied, "eye_point": (fb.centre_x, fb.eye_line_y)}
    sim_scenes = ("good", "turn-head", "blink", "glasses", "glasses-turn", "printed-photo",
                  "phone-replay", "glossy-print", "screen-glare")
    for scene in sim_scenes:
        summary(f"sim:camera demo face, {scene}",
                [score(render_scene(scene, face, SIZE, frame_no=i, **place))  # type: ignore[arg-type]
                 for i in range(0, 84, 2)])
    print(f"\nglare score, IED squared (limit {GLARE_AREA_LIMIT:g}; the loop judges the median "
          "over frames)")
    for name, values in glares.items():
        summary(f"London Set photos, {name}", values, GLARE_AREA_LIMIT)
    for scene in sim_scenes:
        summary(f"sim:camera demo face, {scene}",
                [glare(render_scene(scene, face, SIZE, frame_no=i, **place))  # type: ignore[arg-type]
                 for i in range(0, 84, 2)], GLARE_AREA_LIMIT)
    turners = sorted((faces_dir() / "neutral_front").glob("*.jpg"))[:args.turn_photos]
    for k in (1.3, 1.5):
        refused, played = glare_refusals(turners, k, place)
        print(f"  London Set faces x{k} turning the head (turn challenge): refused for glare "
              f"{refused} of {played}")
    print("\nlive loop with liveness on, over sim:camera (demo face)")
    scenes = {
        "person meets the challenge": None,
        "still face, ignores the prompt": [{"scene": "good", "frames": 1}],
        "printed photo, turned": [{"scene": "printed-photo", "frames": 1}],
        "phone replaying a video": [{"scene": "phone-replay", "frames": 1}],
        "person with glasses meets it": None,
        "glossy print under a lamp": [{"scene": "glossy-print", "frames": 1}],
        "fine screen with a reflection": [{"scene": "screen-glare", "frames": 1}],
    }
    with tempfile.TemporaryDirectory() as tmp:
        for kind in ("turn", "blink"):
            for name, steps in scenes.items():
                if steps is None:
                    still = "glasses" if "glasses" in name else "good"
                    act = "turn-head" if kind == "turn" else "blink"
                    if still == "glasses":
                        act = f"glasses-{kind}"
                    steps = [{"scene": still, "frames": 6}, {"scene": act, "frames": 42},
                             {"scene": still, "frames": 100}]
                script = Path(tmp) / "s.json"
                script.write_text(json.dumps(steps))
                cap = AutoCapture(PROFILE, timeout_s=1000, liveness=kind)
                with idcapture.open_camera(f"sim:camera?fps=0&photo=demo&script={script}") as cam:
                    for i in range(300):
                        cap.feed(cam.read_frame().image, timestamp=i / 30)
                        if cap.done:
                            break
                r = cap.finish(300 / 30)
                lv = r.liveness
                assert lv is not None
                verdict = "accepted" if r.accepted else "refused "
                print(f"  {kind:5s} {name:32s} {verdict} after {r.frames_seen:3d} frames: "
                      f"{lv.reason}")


if __name__ == "__main__":
    main()
