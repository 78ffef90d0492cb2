"""The live loop (AutoCapture) with a liveness challenge, fed by ``sim:camera`` playing
the normal and the attack scenes through its address options and scene scripts."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

import idcapture
from idcapture.biometrics.face import AutoCapture, CaptureResult, get_profile
from idcapture.biometrics.face.autocapture import LIVENESS_MEASURE
from idcapture.errors import ConfigError
from idcapture.record import CheckOutcome


def _capture(address: str, liveness: str | None, frames: int = 200) -> CaptureResult:
    cap = AutoCapture("exam-480x640", timeout_s=1000, liveness=liveness)
    with idcapture.open_camera(address) as cam:
        for i in range(frames):
            cap.feed(cam.read_frame().image, timestamp=i / 30)
            if cap.done:
                break
    return cap.finish(frames / 30)


@pytest.mark.parametrize("kind", ["turn", "blink"])
def test_live_person_meeting_the_challenge_is_captured(kind: str, tmp_path: Path) -> None:
    # the person sits still, then turns (or blinks) when prompted, then holds still
    script = tmp_path / "live.json"
    script.write_text(json.dumps([{"scene": "good", "frames": 6},
                                  {"scene": "turn-head" if kind == "turn" else "blink",
                                   "frames": 42},
                                  {"scene": "good", "frames": 10}]))
    r = _capture(f"sim:camera?fps=0&photo=demo&script={script}", kind)
    assert r.accepted, r.failing
    assert r.liveness is not None and r.liveness.live is True
    check = r.liveness_check()
    assert check is not None and check.outcome is CheckOutcome.PASSED
    assert check.name == "liveness" and check.details["challenge"] == kind


@pytest.mark.parametrize("kind", ["turn", "blink"])
def test_live_person_wearing_glasses_is_captured(kind: str, tmp_path: Path) -> None:
    # the lenses' small highlights move with the head: not glare from a flat surface
    script = tmp_path / "glasses.json"
    script.write_text(json.dumps([{"scene": "glasses", "frames": 6},
                                  {"scene": f"glasses-{kind}", "frames": 42},
                                  {"scene": "glasses", "frames": 10}]))
    r = _capture(f"sim:camera?fps=0&photo=demo&script={script}", kind)
    assert r.accepted, r.failing
    assert r.liveness is not None and r.liveness.live is True, r.liveness


@pytest.mark.parametrize("kind", ["turn", "blink"])
@pytest.mark.parametrize("scene", ["printed-photo", "phone-replay", "glossy-print",
                                   "screen-glare"])
def test_attack_scenes_are_refused(scene: str, kind: str) -> None:
    r = _capture(f"sim:camera?fps=0&photo=demo&scene={scene}", kind)
    assert not r.accepted and r.failing == [LIVENESS_MEASURE], r.failing
    assert r.liveness is not None and r.liveness.live is False
    check = r.liveness_check()
    assert check is not None and check.outcome is CheckOutcome.FAILED


def test_still_face_is_prompted_then_refused() -> None:
    cap = AutoCapture("exam-480x640", timeout_s=1000, liveness="turn", language="zh")
    prompted = False
    with idcapture.open_camera("sim:camera?fps=0&photo=demo") as cam:
        for i in range(200):
            step = cap.feed(cam.read_frame().image, timestamp=i / 30)
            if step.instruction.measure == LIVENESS_MEASURE:
                prompted = True
                assert "转" in step.instruction.text and step.instruction.side == "turn"
            if cap.done:
                break
    assert prompted
    r = cap.finish()
    assert not r.accepted and "no head turn" in r.liveness.reason  # type: ignore[union-attr]


def test_profile_switches_liveness_on() -> None:
    assert AutoCapture("exam-480x640").liveness == ""
    plain = _capture("sim:camera?fps=0&photo=demo", None, frames=60)
    assert plain.accepted and plain.liveness is None and plain.liveness_check() is None
    prof = replace(get_profile("exam-480x640"), name="exam-live", liveness="blink")
    assert AutoCapture(prof).liveness == "blink"
    assert AutoCapture(prof, liveness="").liveness == ""
    with pytest.raises(ConfigError):
        replace(prof, liveness="smile")
