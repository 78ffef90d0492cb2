"""``idcapture face quality|portrait|capture|compare|evaluate`` and ``idcapture sim camera``."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ConfigError, RetryNeeded
from ..i18n import N_
from . import Commands, fail, port_number, print_json, tr, tr_value
from .face_evaluate import add_parser as add_evaluate_parser


def _read_image(path: str) -> np.ndarray:
    from ..formats.images import load_image

    return load_image(path, "RGB", bgr=True)


def _measures(report: Any) -> list[dict[str, Any]]:
    return [{"name": m.name, "value": m.value, "unit": m.unit, "score": m.score,
             "passed": m.passed, "threshold": m.threshold} for m in report.measures]


def cmd_quality(args: argparse.Namespace) -> int:
    from ..biometrics.face import analyze_face, assess_quality, guidance

    frame = _read_image(args.image)
    analysis = analyze_face(frame)
    q = assess_quality(frame, analysis, args.profile)
    instr = guidance(q, args.lang)
    if args.json:
        print_json({"profile": args.profile, "passed": q.passed, "score": q.report.score,
                    "faces": len(analysis.faces), "instruction": instr.text,
                    "reason": instr.reason.value if instr.reason else None,
                    "measures": _measures(q.report)})
    else:
        head = (N_("PASS  score {score}  profile {profile}  faces {faces}") if q.passed else
                N_("FAIL  score {score}  profile {profile}  faces {faces}"))
        print(tr(head).format(score=f"{q.report.score:.0f}", profile=args.profile,
                              faces=len(analysis.faces)))
        for m in q.report.measures:
            mark = {True: "ok ", False: "BAD", None: "   "}[m.passed]
            print(tr(N_("  {mark} {name:<28} {value:10.3f} {unit:<8} score {score:5.1f}")
                     ).format(mark=mark, name=m.name, value=m.value, unit=m.unit,
                              score=m.score))
        print(tr(N_("instruction: {text}")).format(text=instr.text))
    return 0 if q.passed else 1


def _write_portrait(frame: np.ndarray, landmarks: Any, profile: str, out: str,
                    iso: str | None) -> dict[str, Any]:
    from ..biometrics.face import make_portrait

    portrait = make_portrait(frame, landmarks, profile)
    Path(out).write_bytes(portrait.jpeg)
    info = {"output": out, "width": portrait.image.shape[1],
            "height": portrait.image.shape[0], "bytes": len(portrait.jpeg),
            "jpeg_quality": portrait.jpeg_quality, "upscale": round(portrait.upscale, 3),
            "size_in_window": portrait.size_in_window}
    if iso:
        from ..formats.iso19794_5 import portrait_record

        Path(iso).write_bytes(portrait_record(portrait.jpeg, portrait.size, portrait.eyes))
        info["iso_record"] = iso
    return info


def cmd_portrait(args: argparse.Namespace) -> int:
    from ..biometrics.face import analyze_face

    frame = _read_image(args.image)
    analysis = analyze_face(frame)
    if analysis.landmarks is None:
        return fail(N_("no face found in the image"), "RetryNeeded", "no-face")
    try:
        info = _write_portrait(frame, analysis.landmarks, args.profile, args.output, args.iso)
    except RetryNeeded as exc:
        return fail(N_("cannot make the portrait: {reason}").format(reason=exc.outcome),
                    "RetryNeeded", exc.code)
    if args.json:
        print_json(info)
    else:
        print(tr(N_("portrait {width}x{height}, {size} bytes -> {file}")).format(
            width=info["width"], height=info["height"], size=info["bytes"], file=args.output))
    return 0


def cmd_capture(args: argparse.Namespace) -> int:
    from .. import open_camera
    from ..biometrics.face import AutoCapture

    cap = AutoCapture(args.profile, timeout_s=args.timeout, language=args.lang,
                      liveness=args.liveness)
    last = None
    with open_camera(args.address) as cam:
        while not cap.done:
            frame = cam.read_frame(timeout=5)
            step = cap.feed(frame.image, frame.timestamp)
            text = step.instruction.text
            if text != last and not args.json:
                print(f"[{tr_value('face-step', step.state.value)}] {text}", flush=True)
                last = text
    result = cap.result
    assert result is not None
    live = result.liveness_check()
    if result.liveness is not None and result.liveness.live is False:
        assert live is not None
        if args.json:
            print_json({"accepted": False, "liveness": live.outcome.value,
                        "message": live.message, "frames": result.frames_seen})
        else:
            print(tr(N_("idcapture: liveness check failed: {reason}").format(
                reason=live.message)), file=sys.stderr)
        return 1
    if result.frame is None or result.analysis is None or result.analysis.landmarks is None:
        return fail(N_("no usable face within {seconds} s (failing: {failing})").format(
            seconds=f"{args.timeout:g}", failing=", ".join(result.failing) or "no face"),
                    "RetryNeeded", "no-usable-face")
    try:
        info = _write_portrait(result.frame, result.analysis.landmarks, args.profile,
                               args.output, args.iso)
    except RetryNeeded as exc:
        return fail(N_("cannot make the portrait: {reason}").format(reason=exc.outcome),
                    "RetryNeeded", exc.code)
    info.update({"accepted": result.accepted, "timed_out": result.timed_out,
                 "failing": result.failing, "frames": result.frames_seen,
                 "seconds": round(result.elapsed_s, 2)})
    if live is not None:
        info["liveness"] = live.outcome.value
    if args.json:
        print_json(info)
    else:
        done = (N_("captured after {frames} frames ({seconds} s) -> {file}") if result.accepted
                else N_("best frame after timeout after {frames} frames ({seconds} s) -> "
                        "{file}"))
        line = tr(done).format(frames=result.frames_seen, seconds=f"{result.elapsed_s:.1f}",
                               file=args.output)
        if result.failing:
            line += tr(N_("; failing: {failing}")).format(failing=", ".join(result.failing))
        print(line)
    return 0 if result.accepted else 1


def cmd_compare(args: argparse.Namespace) -> int:
    from ..biometrics.face import NoFaceFound, compare_faces, face_vs_card_check

    try:
        match = compare_faces(_read_image(args.portrait), _read_image(args.card_photo))
    except NoFaceFound as exc:
        # not an error of the program: the check could not be made; say what to do
        check = face_vs_card_check(None, error=str(exc))
        if args.json:
            print_json({"outcome": check.outcome.value, "message": check.message,
                        "next_step": check.details["next_step"]})
        else:
            print(f"{tr_value('outcome', check.outcome.value)}: {tr(check.message)}; "
                  f"{tr(check.details['next_step'])}")
        return 2
    if args.json:
        print_json({"distance": match.distance, "score": match.score,
                    "threshold": match.threshold, "outcome": match.outcome.value,
                    "card_face": match.card_face})
    else:
        print(tr(N_("{outcome}: score {score} (distance {distance}, threshold {threshold})"
                    ).format(outcome=match.outcome.value, score=f"{match.score:.1f}",
                             distance=f"{match.distance:.3f}",
                             threshold=f"{match.threshold:.3f}")))
    return 0 if match.same_person else 1


def cmd_sim_camera(args: argparse.Namespace) -> int:
    from ..sim.camera.scene import (
        SCENE_PERIODS,
        SceneScript,
        SceneStep,
        load_face_source,
        render_scene,
    )

    size = (args.width, args.height)
    face = (load_face_source(args.photo) if args.photo and args.photo.lower() != "none"
            else None)
    script = (SceneScript.load(args.script) if args.script
              else SceneScript([SceneStep(args.scene, 1)], loop=False))
    ied = eye = None
    if face is not None:
        from ..biometrics.face import framing_box, get_profile

        fb = framing_box(get_profile(args.profile), size)
        ied, eye = fb.target_ied, (fb.centre_x, fb.eye_line_y)
    cache: dict[tuple[str, float, int], np.ndarray] = {}

    def source(i: int) -> np.ndarray | None:
        step = script.step_at(i)
        if step.scene == "unplug":
            return None
        # scenes that move (a head turn, an attack) repeat only after their own period
        key = (step.scene, step.amount, i % SCENE_PERIODS.get(step.scene, 8))
        if key not in cache:
            cache[key] = render_scene(step.scene, face, size, amount=step.amount,
                                      target_ied=ied, eye_point=eye, frame_no=i)
        return cache[key]

    if args.output:
        import cv2

        w = cv2.VideoWriter(args.output, cv2.VideoWriter.fourcc(*"MJPG"), args.fps, size)
        if not w.isOpened():
            raise ConfigError(N_("cannot write video {name}").format(
                name=Path(args.output).name))
        n = args.frames or script.length
        for i in range(n):
            frame = source(i)
            if frame is None:
                break
            w.write(frame)
        w.release()
        print(tr(N_("wrote {count} frames to {file}")).format(count=n, file=args.output))
        return 0
    from ..sim.camera.mjpeg import MjpegServer

    server = MjpegServer(source, args.port, args.host, args.fps)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    server.start()
    print(json.dumps({"url": server.url, "address": f"opencv:{server.url}"}), flush=True)
    try:
        while not stop.wait(0.2):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


def register(commands: Commands) -> None:
    g = commands.group("face", help="portrait quality, capture and comparison")
    p = g.add_parser("quality", help="measure a face image against a portrait profile")
    p.add_argument("image")
    p.add_argument("--profile", default="exam-480x640")
    p.add_argument("--lang", default=argparse.SUPPRESS, choices=["en", "zh"],
                   help="language of the guidance (default: idcapture --lang, or the locale)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_quality)
    p = g.add_parser("portrait", help="crop and encode a standard portrait from an image")
    p.add_argument("image")
    p.add_argument("--profile", default="exam-480x640")
    p.add_argument("-o", "--output", required=True, help="JPEG file to write")
    p.add_argument("--iso", help="also write an ISO/IEC 19794-5 face record here")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_portrait)
    p = g.add_parser("capture", help="auto-capture a portrait from a camera, with guidance")
    p.add_argument("address", help="camera address, e.g. opencv:0 or sim:camera")
    p.add_argument("--profile", default="exam-480x640")
    p.add_argument("-o", "--output", required=True, help="JPEG file to write")
    p.add_argument("--iso", help="also write an ISO/IEC 19794-5 face record here")
    p.add_argument("--timeout", type=float, default=30.0, help="seconds before the best "
                   "frame seen is taken")
    p.add_argument("--liveness", choices=["turn", "blink"], default=None,
                   help="liveness challenge before the portrait (default: the profile's)")
    p.add_argument("--lang", default=argparse.SUPPRESS, choices=["en", "zh"],
                   help="language of the guidance (default: idcapture --lang, or the locale)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_capture)
    add_evaluate_parser(g)

    p = g.add_parser("compare", help="compare a portrait with an ID-card photo")
    p.add_argument("portrait")
    p.add_argument("card_photo")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_compare)

    s = commands.group("sim", help="wire-level device simulators")
    p = s.add_parser("camera", help="serve scripted camera scenes as an MJPEG stream "
                     "(or write them to a video file)")
    p.add_argument("--photo", default="demo",
                   help="face photo to place in the scenes: demo (the shipped face, the "
                        "default), an image file, or none (a drawn face)")
    p.add_argument("--scene", default="good", help="one scene, played continuously")
    p.add_argument("--script", help="JSON scene script (overrides --scene)")
    p.add_argument("--profile", default="exam-480x640", help="where a good face sits")
    p.add_argument("--width", type=int, default=640)
    p.add_argument("--height", type=int, default=480)
    p.add_argument("--fps", type=float, default=30.0)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=port_number, default=8081, help="HTTP port (0: any free port)")
    p.add_argument("-o", "--output", help="write a video file instead of serving")
    p.add_argument("--frames", type=int, default=0, help="frames to write with -o "
                   "(default: the script's length)")
    p.set_defaults(func=cmd_sim_camera)
