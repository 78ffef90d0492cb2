"""Liveness in the live loop: the passive screen-pattern cue on real faces and on the
simulator's scenes, and the live loop's decisions on the normal and attack scenes.

* screen-pattern scores (:func:`~idcapture.biometrics.face.presentation.screen_pattern`)
  of every London Set photo placed in a 640x480 frame as the live loop sees it, raw and
  after JPEG q80 (an MJPEG webcam stream), against the limit; the same for the camera
  simulator's demo face and its attack scenes;
* for each challenge, :class:`AutoCapture` with liveness on over ``sim:camera`` scenes
  (a person meeting the challenge when prompted, a still face, a printed photo turned to
  and fro, a phone replaying a video of the person turning and blinking): accepted or
  refused, after how many frames, and why.

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
from idcapture.biometrics.face import AutoCapture, analyze_face, framing_box, get_profile
from idcapture.biometrics.face.frames import to_gray
from idcapture.biometrics.face.presentation import SCREEN_PATTERN_LIMIT, screen_pattern
from idcapture.sim.camera.scene import demo_face_path, load_face_source, render_scene

PROFILE = "exam-480x640"
SIZE = (640, 480)


def score(frame: np.ndarray) -> float:
    a = analyze_face(frame, min_face_px=60)
    return float("nan") if a.landmarks is None else screen_pattern(to_gray(frame), a.landmarks)


def jpeg(frame: np.ndarray, q: int = 80) -> np.ndarray:
    ok, buf = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, q])
    assert ok
    return cv2.imdecode(buf, cv2.IMREAD_COLOR)


def summary(name: str, values: list[float]) -> None:
    a = np.array([v for v in values if np.isfinite(v)])
    over = int((a > SCREEN_PATTERN_LIMIT).sum())
    print(f"  {name:34s} n={len(a):3d}  median {np.median(a):6.1f}  p99 "
          f"{np.percentile(a, 99):6.1f}  max {a.max():6.1f}  over the limit {over}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--photos", type=int, default=204)
    args = ap.parse_args()
    cv2.setNumThreads(1)
    print(f"screen-pattern score (limit {SCREEN_PATTERN_LIMIT:g}; the loop judges the median "
          "over frames)")
    photos = sorted((faces_dir() / "neutral_front").glob("*.jpg")) + \
        sorted((faces_dir() / "smiling_front").glob("*.jpg"))
    raw, mjpeg = [], []
    for p in photos[:args.photos]:
        try:
            f = Framed(load(p)).frame(PROFILE, SIZE)
        except ValueError:
            continue
        raw.append(score(f))
        mjpeg.append(score(jpeg(f)))
    summary("London Set photos, 640x480", raw)
    summary("the same after JPEG q80", mjpeg)
    face = load_face_source(demo_face_path())
    fb = framing_box(get_profile(PROFILE), SIZE)
    place = {"target_ied": fb.target_ied, "eye_point": (fb.centre_x, fb.eye_line_y)}
    for scene in ("good", "turn-head", "blink", "printed-photo", "phone-replay"):
        summary(f"sim:camera demo face, {scene}",
                [score(render_scene(scene, face, SIZE, frame_no=i, **place))  # type: ignore[arg-type]
                 for i in range(0, 84, 2)])
    print("\nlive loop with liveness on, over sim:camera (demo face)")
    scenes = {
        "person meets the challenge": None,
        "still face, ignores the prompt": [{"scene": "good", "frames": 1}],
        "printed photo, turned": [{"scene": "printed-photo", "frames": 1}],
        "phone replaying a video": [{"scene": "phone-replay", "frames": 1}],
    }
    with tempfile.TemporaryDirectory() as tmp:
        for kind in ("turn", "blink"):
            for name, steps in scenes.items():
                if steps is None:
                    steps = [{"scene": "good", "frames": 6},
                             {"scene": "turn-head" if kind == "turn" else "blink",
                              "frames": 42}, {"scene": "good", "frames": 100}]
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
