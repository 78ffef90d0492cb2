"""Pieces of the frontend on their own: strings, the overlay, the frame messages."""

from __future__ import annotations

import numpy as np
import pytest

from idcapture.biometrics.face import framing_box, get_profile
from idcapture.web.i18n import LANGUAGES, keys, translate
from idcapture.web.live import pack_frame, unpack_frame
from idcapture.web.overlay import COLOURS, draw_overlay
from idcapture.web.pages import reopen_step


def test_every_string_exists_in_both_languages() -> None:
    assert len(keys()) > 100
    for key in keys():
        texts = [translate(key, lang) for lang in LANGUAGES]
        assert all(text.strip() and text != key for text in texts), key
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


def test_capture_state_is_put_in_the_page_language() -> None:
    from idcapture.web.i18n import localize_snapshot

    snap = {"session": {"state": "right-thumb", "message": "right-thumb: too dark (quality 0) "
                        "(attempt 1): try again",
                        "retry": {"reason": "too-dark",
                                  "message": "right-thumb: too dark (quality 0)"}},
            "checks": [{"name": "finger-quality:right-thumb", "outcome": "failed",
                        "message": "right-thumb: quality 0 below profile 'default'"},
                       {"name": "face-vs-card", "outcome": "not-checked",
                        "message": "the card gave no decoded photo to compare with"}]}
    zh = localize_snapshot(snap, "zh")
    assert zh["session"]["message"] == \
        "右手拇指：太深（手指太湿或按压太重）（质量分 0）（第 1 次）：请重试"
    assert zh["session"]["retry"]["message"] == "右手拇指：太深（手指太湿或按压太重）（质量分 0）"
    assert [c["label"] for c in zh["checks"]] == ["指纹质量：右手拇指", "人证比对"]
    assert zh["checks"][1]["message"] == "证件没有可解码的照片，无法比对"
    assert [c["name"] for c in zh["checks"]] == [c["name"] for c in snap["checks"]]
    en = localize_snapshot(snap, "en")
    assert en["session"]["message"] == snap["session"]["message"]
    assert snap["checks"][0].get("label") is None  # the input is not changed
