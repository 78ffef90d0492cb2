"""Pieces of the frontend on their own: strings, the overlay, the frame messages."""

from __future__ import annotations

import numpy as np
import pytest

from idcapture.biometrics.face import framing_box, get_profile
from idcapture.web.i18n import LANGUAGES, STRINGS, translate
from idcapture.web.live import pack_frame, unpack_frame
from idcapture.web.overlay import COLOURS, draw_overlay
from idcapture.web.pages import reopen_step


def test_every_string_exists_in_both_languages() -> None:
    for key, entry in STRINGS.items():
        assert set(entry) == set(LANGUAGES), key
        assert all(entry[lang].strip() for lang in LANGUAGES), key
    assert translate("nav.today", "zh") == "今日"
    assert translate("nav.today", "en") == "Today"
    assert translate("no.such.key", "en") == "no.such.key"


def test_overlay_draws_the_framing_box_in_the_state_colour() -> None:
    frame = np.zeros((480, 640, 3), np.uint8)
    box = framing_box(get_profile("exam-480x640"), (640, 480))
    out = draw_overlay(frame, box, "guiding")
    assert out.shape == frame.shape and not frame.any()  # the input is not touched
    x0, y0 = round(box.x), round(box.y)
    assert tuple(out[y0 + 5, x0]) == COLOURS["guiding"]
    inside = out[round(box.y) + 3:round(box.y + box.height) - 3,
                 round(box.x) + 3:round(box.x + box.width) - 3]
    assert inside.any()  # ellipse and eye band
    assert not draw_overlay(frame, None, "idle").any()


def test_frame_messages_round_trip() -> None:
    meta = {"i": 7, "t": 123.5, "text": {"zh": "请靠近一些"}}
    m, jpeg = unpack_frame(pack_frame(meta, b"\xff\xd8abc"))
    assert m == meta and jpeg == b"\xff\xd8abc"
    with pytest.raises(ValueError):
        unpack_frame(b"\x00\x00\x00\x09{}")


@pytest.mark.parametrize(("check", "step"), [
    ("face-vs-card", "portrait"), ("portrait", "portrait"),
    ("finger-duplicate:right-thumb", "right-thumb"), ("left-thumb", "left-thumb"),
    ("card-vs-roster", None), ("id-number", None)])
def test_reopen_step(check: str, step: str | None) -> None:
    assert reopen_step(check) == step
