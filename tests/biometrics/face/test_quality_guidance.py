"""Each measure reacts to its own degradation on a real photo; guidance follows."""

from __future__ import annotations

import numpy as np
import pytest

from idcapture.biometrics.face import (
    analyze_face,
    assess_quality,
    framing_box,
    get_profile,
    guidance,
    instruction_text,
)
from idcapture.biometrics.face.synthetic import (
    degrade_blur,
    degrade_exposure,
    degrade_jpeg,
    degrade_rotation,
    degrade_side_light,
)
from idcapture.errors import RetryReason

P = "exam-480x640"
FB = framing_box(get_profile(P), (640, 480))


def _q(frame: np.ndarray):  # type: ignore[no-untyped-def]
    return assess_quality(frame, analyze_face(frame), P)


def test_good_frame_passes_every_measure(neutral) -> None:  # type: ignore[no-untyped-def]
    q = _q(neutral.frame())
    failing = [m.name for m in q.report.measures if not m.passed]
    assert failing == []
    assert q.report.passed and q.report.profile == P
    assert all(0 <= m.score <= 100 for m in q.report.measures)
    assert guidance(q).ok


@pytest.mark.parametrize(("name", "spoil", "reason"), [
    ("Sharpness", lambda f: degrade_blur(f, 2.5), RetryReason.HOLD_STILL),
    ("LuminanceMean", lambda f: degrade_exposure(f, 0.3), RetryReason.MORE_LIGHT),
    ("HeadPoseRoll", lambda f: degrade_rotation(f, 14, (FB.centre_x, FB.eye_line_y)),
     RetryReason.LOOK_STRAIGHT),
    ("IlluminationUniformity",
     lambda f: degrade_side_light(f, 0.8, FB.centre_x, 1.2 * FB.target_ied),
     RetryReason.EVEN_LIGHT),
    ("CompressionArtifacts", lambda f: degrade_jpeg(f, 15), RetryReason.OTHER),
])
def test_measure_fails_on_its_degradation(neutral, name, spoil, reason) -> None:  # type: ignore[no-untyped-def]
    good = _q(neutral.frame()).measure(name)
    bad = _q(spoil(neutral.frame())).measure(name)
    assert good is not None and bad is not None
    assert good.passed and not bad.passed
    assert bad.score < 50 <= good.score
    q = _q(spoil(neutral.frame()))
    assert reason in {a.reason for a in q.advice if a.measure == name}


def test_sharpness_falls_monotonically_with_blur(neutral) -> None:  # type: ignore[no-untyped-def]
    f = neutral.frame()
    vals = [_q(degrade_blur(f, s)).measure("Sharpness").value for s in (0, 0.8, 1.6, 2.4)]
    assert vals == sorted(vals, reverse=True)


def test_side_light_names_the_dark_side(neutral) -> None:  # type: ignore[no-untyped-def]
    # the image's left is the subject's right
    q = _q(degrade_side_light(neutral.frame(), 0.7, FB.centre_x, 1.2 * FB.target_ied))
    adv = [a for a in q.advice if a.measure == "IlluminationUniformity"]
    assert adv and adv[0].side == "right"


@pytest.mark.parametrize(("kw", "reason"), [
    ({"dx": 0.12 * FB.width}, RetryReason.MOVE_RIGHT),
    ({"dx": -0.12 * FB.width}, RetryReason.MOVE_LEFT),
    ({"dy": 0.12 * FB.height}, RetryReason.MOVE_UP),
    ({"scale": 0.7}, RetryReason.MOVE_CLOSER),
])
def test_framing_guidance(neutral, kw, reason) -> None:  # type: ignore[no-untyped-def]
    ins = guidance(_q(neutral.frame(**kw)))
    assert ins.reason is reason
    assert ins.framing is not None


def test_no_face_and_two_faces(neutral) -> None:  # type: ignore[no-untyped-def]
    blank = np.full((480, 640, 3), 200, np.uint8)
    q = _q(blank)
    assert not q.passed and guidance(q).reason is RetryReason.NO_FACE
    f = neutral.frame(scale=0.9)
    two = f.copy()
    small = f[100:400, 230:410]
    two[140:440, 0:180] = small   # a second face beside the first
    q2 = _q(two)
    assert guidance(q2).reason is RetryReason.MULTIPLE_FACES


def test_open_mouth_fails_mouth_closed(smiling_open) -> None:  # type: ignore[no-untyped-def]
    m = _q(smiling_open.frame()).measure("MouthClosed")
    assert m is not None and not m.passed


def test_guidance_languages() -> None:
    assert instruction_text(RetryReason.MOVE_CLOSER, "zh") == "请靠近一些"
    assert instruction_text(RetryReason.EVEN_LIGHT, "en", "left") == "More light from the left"
    with pytest.raises(ValueError):
        instruction_text(RetryReason.MOVE_CLOSER, "fr")


def test_measures_do_not_depend_on_face_scale(neutral) -> None:  # type: ignore[no-untyped-def]
    small = _q(neutral.frame(size=(640, 480))).measure("Sharpness")
    big = assess_quality(f := neutral.frame(size=(1280, 720)), analyze_face(f), P)
    m = big.measure("Sharpness")
    assert small is not None and m is not None
    assert 0.6 < m.value / small.value < 1.6


@pytest.mark.parametrize("rel", ["neutral_front/001_03.jpg", "neutral_front/010_03.jpg",
                                 "neutral_front/042_03.jpg", "neutral_front/066_03.jpg",
                                 "neutral_front/090_03.jpg", "smiling_front/020_08.jpg"])
def test_side_lit_face_is_rated_below_the_evenly_lit_one_and_flagged(
        photo_loader, rel: str) -> None:  # type: ignore[no-untyped-def]
    """The same person, evenly lit and lit from one side: the side-lit frame scores lower
    overall and on IlluminationUniformity, fails it and is told to even the light."""
    ph = photo_loader(rel)
    even = _q(ph.frame())
    side = _q(degrade_side_light(ph.frame(), 0.8, FB.centre_x, 1.2 * FB.target_ied))
    ue, us = even.measure("IlluminationUniformity"), side.measure("IlluminationUniformity")
    assert ue is not None and us is not None
    assert ue.passed and not us.passed and us.score < ue.score
    assert side.report.score < even.report.score
    assert RetryReason.EVEN_LIGHT in {a.reason for a in side.advice}
