"""The live loop's liveness challenge against the camera simulator's normal and attack
scenes (the demo face shipped with the package), and the glare cue: a lamp mirrored by a
glossy print or a phone's glass is refused, a live person wearing glasses (small
highlights on the lenses, moving with the head) is not."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pytest

from idcapture.biometrics.face import FaceTracker, analyze_face, framing_box, get_profile, liveness
from idcapture.biometrics.face.frames import to_gray
from idcapture.biometrics.face.landmarks import Landmarks
from idcapture.biometrics.face.liveness import (
    LivenessChallenge,
    LivenessResult,
    challenge_prompt,
    liveness_check,
)
from idcapture.biometrics.face.presentation import (
    GLARE_AREA_LIMIT,
    SCREEN_PATTERN_LIMIT,
    Glare,
    specular_glare,
)
from idcapture.errors import ConfigError
from idcapture.record import CheckOutcome
from idcapture.sim.camera.scene import (
    FaceSource,
    demo_face_path,
    load_face_source,
    render_attack,
    render_scene,
    with_glasses,
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


def _glare(frame: np.ndarray) -> float:
    a = analyze_face(frame, min_face_px=60)
    assert a.landmarks is not None
    glare = specular_glare(frame, a.landmarks)
    assert glare is not None
    return glare.score


@pytest.mark.parametrize("kind", ["turn", "blink"])
@pytest.mark.parametrize("scene", ["glossy-print", "screen-glare"])
def test_glare_scenes_are_refused_for_glare(face: FaceSource, scene: str, kind: str) -> None:
    r = _run(kind, lambda i: render_attack(scene, face, SIZE, frame_no=i, **_place()))  # type: ignore[arg-type]
    assert r.live is False and "glare" in r.reason, r
    assert r.details["glare"] > GLARE_AREA_LIMIT
    # refused by the glare, not by the other cues: no moire, no flat turn yet
    assert r.frames <= 10


def test_screen_glare_meets_the_turn_challenge_without_the_glare_cue(
        face: FaceSource, monkeypatch: pytest.MonkeyPatch) -> None:
    """The phone's screen is too fine to show moire and replays the person turning: only
    the glare cue refuses it."""
    monkeypatch.setattr(liveness, "GLARE_AREA_LIMIT", math.inf)
    r = _run("turn", lambda i: render_attack("screen-glare", face, SIZE, frame_no=i,
                                           **_place()))  # type: ignore[arg-type]
    assert r.live is True, r


@pytest.mark.parametrize(("kind", "scene"), [("turn", "glasses-turn"),
                                             ("blink", "glasses-blink")])
def test_live_person_with_glasses_passes(face: FaceSource, kind: str, scene: str) -> None:
    r = _run(kind, lambda i: render_scene(scene, face, SIZE, frame_no=i, **_place()))  # type: ignore[arg-type]
    assert r.live is True, r
    assert r.details["glare"] < GLARE_AREA_LIMIT / 5


def test_glasses_highlights_move_with_the_head(face: FaceSource) -> None:
    specs = with_glasses(face)
    assert with_glasses(face) is specs and specs.landmarks is face.landmarks
    turned = [render_scene("glasses-turn", face, SIZE, frame_no=i, **_place())  # type: ignore[arg-type]
              for i in (0, 15)]
    # the lens highlights are part of the head: the brightest spots shift as it turns
    spots = [np.argwhere(to_gray(f) >= 250).mean(axis=0) for f in turned]
    assert np.hypot(*(spots[1] - spots[0])) > 2.0
    assert all(_glare(f) < GLARE_AREA_LIMIT / 5 for f in turned)


def test_glare_score_on_drawn_patches() -> None:
    img = np.full((400, 400, 3), 120, np.uint8)
    lm = Landmarks(np.array([[250.0, 150.0], [220.0, 150.0], [150.0, 150.0],
                             [180.0, 150.0], [200.0, 210.0]]))
    ied2 = lm.inter_eye_distance ** 2

    def glare() -> Glare:
        g = specular_glare(img, lm)
        assert g is not None
        return g

    assert glare() == Glare(0.0) and glare().score == 0.0
    img[200:220, 200:230] = 255                       # one white patch, 600 px
    assert glare().largest == pytest.approx(600 / ied2) and glare().score == glare().largest
    img[130:140, 130:140, :2] = 255                   # not clipped in every channel
    assert glare().others == 0.0
    img[380:400, 0:400] = 255                         # outside the face's middle
    assert glare().others == 0.0
    img[150:153, 150:153] = 255                       # a small second spot: still alone
    assert glare().others == pytest.approx(9 / ied2) and glare().score > 0
    img[160:170, 240:250] = 255                       # clipped elsewhere too: lit all over
    assert glare().others == pytest.approx(109 / ied2) and glare().score == 0.0
    far = Landmarks(lm.points + np.array([500.0, 0.0]))
    assert specular_glare(img, far) is None
