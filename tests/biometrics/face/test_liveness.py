"""The live loop's liveness challenge against the camera simulator's normal and attack
scenes (the demo face shipped with the package)."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pytest

from idcapture.biometrics.face import FaceTracker, analyze_face, framing_box, get_profile, liveness
from idcapture.biometrics.face.liveness import (
    LivenessChallenge,
    LivenessResult,
    challenge_prompt,
    liveness_check,
)
from idcapture.biometrics.face.presentation import SCREEN_PATTERN_LIMIT
from idcapture.errors import ConfigError
from idcapture.record import CheckOutcome
from idcapture.sim.camera.scene import (
    FaceSource,
    demo_face_path,
    load_face_source,
    render_attack,
    render_scene,
)

SIZE = (640, 480)


@pytest.fixture(scope="module")
def face() -> FaceSource:
    return load_face_source(demo_face_path())


def _place() -> dict[str, object]:
    fb = framing_box(get_profile("exam-480x640"), SIZE)
    return {"target_ied": fb.target_ied, "eye_point": (fb.centre_x, fb.eye_line_y)}


def _run(kind: str, frame_at: Callable[[int], np.ndarray], frames: int = 90) -> LivenessResult:
    ch = LivenessChallenge(kind, max_frames=frames)
    tracker = FaceTracker(min_face_px=60)
    for i in range(frames + 5):
        frame = frame_at(i)
        r = ch.feed(frame, analyze_face(frame, tracker=tracker))
        if r.live is not None:
            return r
    return ch.result


def test_turning_head_passes_the_turn_challenge(face: FaceSource) -> None:
    def frame_at(i: int) -> np.ndarray:   # straight, a small turn to one side and back
        a = 0.7 * math.sin(math.pi * i / 30) if i < 30 else 0.0
        return render_scene("yaw", face, SIZE, amount=a, frame_no=i, **_place())  # type: ignore[arg-type]
    r = _run("turn", frame_at)
    assert r.live is True, r
    check = liveness_check(r)
    assert check.outcome is CheckOutcome.PASSED and check.details["challenge"] == "turn"


@pytest.mark.parametrize("kind", ["turn", "blink"])
@pytest.mark.parametrize(("scene", "why"), [("printed-photo", "flat face"),
                                            ("phone-replay", "screen pattern")])
def test_attack_scenes_fail_either_challenge(face: FaceSource, scene: str, why: str,
                                             kind: str) -> None:
    r = _run(kind, lambda i: render_attack(scene, face, SIZE, frame_no=i, **_place()))  # type: ignore[arg-type]
    assert r.live is False and why in r.reason, r
    assert liveness_check(r).outcome is CheckOutcome.FAILED


def test_replayed_video_meets_the_challenge_without_the_screen_cue(
        face: FaceSource, monkeypatch: pytest.MonkeyPatch) -> None:
    """The phone replays a video of the person turning the head: the turn challenge alone
    is met, so the passive screen cue is what refuses it."""
    monkeypatch.setattr(liveness, "SCREEN_PATTERN_LIMIT", math.inf)
    r = _run("turn", lambda i: render_attack("phone-replay", face, SIZE, frame_no=i,
                                           **_place()), frames=90)  # type: ignore[arg-type]
    assert r.live is True, r
    assert r.details["screen_pattern"] > SCREEN_PATTERN_LIMIT


@pytest.mark.parametrize("kind", ["turn", "blink"])
def test_live_scenes_pass(face: FaceSource, kind: str) -> None:
    scene = "turn-head" if kind == "turn" else "blink"
    r = _run(kind, lambda i: render_scene(scene, face, SIZE, frame_no=i, **_place()))  # type: ignore[arg-type]
    assert r.live is True, r
    assert r.details["screen_pattern"] < SCREEN_PATTERN_LIMIT


def test_still_face_times_out_not_live(face: FaceSource) -> None:
    r = _run("turn", lambda i: render_scene("good", face, SIZE, frame_no=i, **_place()),  # type: ignore[arg-type]
             frames=20)
    assert r.live is False and "no head turn" in r.reason


def test_blink_challenge(face: FaceSource) -> None:
    def blink(i: int) -> np.ndarray:
        scene = "eyes-closed" if 8 <= i < 11 else "good"
        return render_scene(scene, face, SIZE, frame_no=i, **_place())  # type: ignore[arg-type]
    assert _run("blink", blink).live is True
    photo = _run("blink", lambda i: render_attack("printed-photo", face, SIZE, frame_no=i,
                                                  **_place()), frames=30)  # type: ignore[arg-type]
    assert photo.live is False


def test_prompts_and_unknown_challenge() -> None:
    assert "turn" in challenge_prompt("turn")
    assert "眨" in challenge_prompt("blink", "zh")
    with pytest.raises(ConfigError):
        LivenessChallenge("smile")
    assert liveness_check(None).outcome is CheckOutcome.NOT_CHECKED
