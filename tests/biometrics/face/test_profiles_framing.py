from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from idcapture.biometrics.face.framing import framing_box, portrait_crop
from idcapture.biometrics.face.landmarks import Landmarks
from idcapture.biometrics.face.profiles import get_profile, profile_names
from idcapture.errors import ConfigError, RetryOutcome, RetryReason


def _eyes(left: tuple[float, float], right: tuple[float, float]) -> Landmarks:
    pts = np.zeros((5, 2))
    pts[4] = ((left[0] + right[0]) / 2, (left[1] + right[1]) / 2 + 80)
    pts[2:4] = left
    pts[0:2] = right
    return Landmarks(pts)


def test_builtin_profiles_and_unknown_name() -> None:
    assert profile_names() == ["exam-480x640", "ga461-358x441", "icao"]
    p = get_profile("ga461-358x441")
    assert (p.width_px, p.height_px) == (358, 441)
    assert get_profile(p) is p
    with pytest.raises(ConfigError, match="unknown portrait profile"):
        get_profile("passport-51x51")


def test_profile_rejects_inconsistent_values() -> None:
    p = get_profile("exam-480x640")
    with pytest.raises(ConfigError):
        replace(p, face_width_px=400)
    with pytest.raises(ConfigError):
        replace(p, max_upscale=0.5)


@pytest.mark.parametrize("name", ["exam-480x640", "ga461-358x441", "icao"])
@pytest.mark.parametrize("size", [(640, 480), (1280, 720)])
def test_framing_box_has_profile_aspect_and_fits(name: str, size: tuple[int, int]) -> None:
    p = get_profile(name)
    fb = framing_box(p, size)
    assert fb.width / fb.height == pytest.approx(p.aspect)
    assert fb.x >= 0 and fb.x + fb.width <= size[0] and 0 <= fb.y <= fb.y + fb.height <= size[1]
    assert fb.eye_band[0] <= fb.eye_line_y <= fb.eye_band[1]
    assert fb.target_ied == pytest.approx(p.target_ied_px * fb.width / p.width_px)


def test_portrait_crop_puts_eyes_on_the_profile_eye_line() -> None:
    p = get_profile("exam-480x640")
    fb = framing_box(p, (1280, 720))
    half = fb.target_ied / 2
    lm = _eyes((fb.centre_x - half, fb.eye_line_y), (fb.centre_x + half, fb.eye_line_y))
    crop = portrait_crop(lm, p, (1280, 720))
    assert not isinstance(crop, RetryOutcome)
    k = crop.upscale
    assert (fb.eye_line_y - crop.y) * k == pytest.approx(p.eye_line_px)
    assert (fb.centre_x - crop.x) * k == pytest.approx(p.width_px / 2)
    assert crop.width * k == pytest.approx(p.width_px)


def test_portrait_crop_refuses_to_upscale_too_much() -> None:
    p = get_profile("icao")   # no enlargement allowed
    fb = framing_box(p, (640, 480))
    half = fb.target_ied / 2 * 0.8
    lm = _eyes((fb.centre_x - half, fb.eye_line_y), (fb.centre_x + half, fb.eye_line_y))
    out = portrait_crop(lm, p, (640, 480))
    assert isinstance(out, RetryOutcome)
    assert out.reason is RetryReason.MOVE_CLOSER


def test_portrait_crop_near_edge_asks_to_move() -> None:
    p = get_profile("exam-480x640")
    fb = framing_box(p, (1280, 720))
    half = fb.target_ied / 2
    x = 150.0   # face near the image's left edge = the subject's right
    lm = _eyes((x - half, fb.eye_line_y), (x + half, fb.eye_line_y))
    out = portrait_crop(lm, p, (1280, 720))
    assert isinstance(out, RetryOutcome)
    assert out.reason is RetryReason.MOVE_LEFT
