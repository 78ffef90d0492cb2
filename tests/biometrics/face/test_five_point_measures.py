"""Eyes, mouth and pitch measured from the 5-point landmarks and the image."""

from __future__ import annotations

from typing import Any

import pytest

from idcapture.biometrics.face import analyze_face, assess_quality
from idcapture.biometrics.face.synthetic import degrade_eyes_closing, degrade_mouth_opening


def _measure(frame: Any, name: str) -> Any:
    q = assess_quality(frame, analyze_face(frame), "exam-480x640")
    m = q.measure(name)
    assert m is not None, name
    return m


@pytest.mark.parametrize("rel", [
    "neutral_front/003_03.jpg", "neutral_front/087_03.jpg", "neutral_front/025_03.jpg",
    pytest.param("neutral_front/042_03.jpg", marks=pytest.mark.xfail(
        strict=True, reason="known miss: on this dark-skinned face with deep-set eyes the "
        "painted lids keep enough vertical edges (0.30-0.32) to pass EyesOpen")),
])
def test_closed_eyes_and_open_mouth_fail_where_the_photo_passes(photo_loader: Any,
                                                                rel: str) -> None:
    frame = photo_loader(rel).frame()
    lm = analyze_face(frame).landmarks
    assert lm is not None
    open_eyes = _measure(frame, "EyesOpen")
    assert open_eyes.passed
    assert _measure(frame, "MouthClosed").passed
    # lids lowered over 60 % of the eye, or shut, fail on 50 of 51 benchmark faces
    assert not _measure(degrade_eyes_closing(frame, lm, 0.6), "EyesOpen").passed
    shut = _measure(degrade_eyes_closing(frame, lm, 1.0), "EyesOpen")
    assert not shut.passed
    assert shut.value < 0.8 * open_eyes.value
    assert not _measure(degrade_mouth_opening(frame, lm, 0.1), "MouthClosed").passed


def test_teeth_showing_smile_fails_mouth_closed(smiling_open: Any) -> None:
    assert not _measure(smiling_open.frame(), "MouthClosed").passed
