"""The portrait step with a liveness check: the live loop's check is recorded, a failed
one refuses the attempt and stays in the record, and a station that asks for a challenge
records NOT_CHECKED for a portrait taken without one."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
from station_helpers import FixedPortraitMaker, card_for, enrol

from idcapture.errors import ConfigError
from idcapture.record import Check, CheckOutcome, utcnow
from idcapture.station import StationConfig, Store
from idcapture.station.registration import station_config
from idcapture.station.session import (
    LIVENESS_CHECK,
    CaptureSession,
    CardPresented,
    FramePresented,
    SessionState,
)
from idcapture.station.steps import Steps

FRAME = np.full((480, 640, 3), 200, np.uint8)


def _at_portrait(store: Store, row: dict[str, str]) -> CaptureSession:
    s = CaptureSession.start(store, "op1", Steps(portrait=FixedPortraitMaker()))
    assert s.handle(CardPresented(card_for(row))).state is SessionState.PORTRAIT
    return s


def _live(outcome: CheckOutcome, message: str) -> Check:
    return Check(LIVENESS_CHECK, outcome, message, utcnow(), {"challenge": "turn"})


@pytest.fixture
def enrolled(store: Store, students: list[dict[str, str]], tmp_path: Path) -> Store:
    enrol(store, students, tmp_path)
    return store


def test_failed_liveness_refuses_the_attempt_and_is_kept(
        enrolled: Store, students: list[dict[str, str]]) -> None:
    s = _at_portrait(enrolled, students[0])
    p = s.handle(FramePresented(FRAME, liveness=_live(
        CheckOutcome.FAILED, "flat face: turned without the nose moving")))
    assert p.state is SessionState.PORTRAIT and p.code == "liveness-failed"
    assert s.record.portrait is None
    failed = s.record.check(LIVENESS_CHECK)
    assert failed is not None and failed.outcome is CheckOutcome.FAILED
    # a portrait framed by hand afterwards does not hide the failed check
    cfg = dataclasses.replace(station_config(enrolled), face_liveness="turn")
    enrolled.set_setting("config", cfg.to_json())
    p = s.handle(FramePresented(FRAME, manual=True))
    assert p.state is SessionState.RIGHT_THUMB
    kept = s.record.check(LIVENESS_CHECK)
    assert kept is not None and kept.outcome is CheckOutcome.FAILED


def test_passed_liveness_is_recorded(enrolled: Store, students: list[dict[str, str]]) -> None:
    s = _at_portrait(enrolled, students[1])
    s.handle(FramePresented(FRAME, liveness=_live(CheckOutcome.FAILED, "no head turn")))
    p = s.handle(FramePresented(FRAME, liveness=_live(CheckOutcome.PASSED, "head turn seen")))
    assert p.state is SessionState.RIGHT_THUMB
    check = s.record.check(LIVENESS_CHECK)
    assert check is not None and check.outcome is CheckOutcome.PASSED


def test_station_asking_for_a_challenge_records_not_checked(
        enrolled: Store, students: list[dict[str, str]]) -> None:
    s = _at_portrait(enrolled, students[2])
    s.handle(FramePresented(FRAME))
    assert s.record.check(LIVENESS_CHECK) is None  # the station asks for none
    cfg = dataclasses.replace(station_config(enrolled), face_liveness="blink")
    enrolled.set_setting("config", cfg.to_json())
    s = _at_portrait(enrolled, students[3])
    s.handle(FramePresented(FRAME))
    check = s.record.check(LIVENESS_CHECK)
    assert check is not None and check.outcome is CheckOutcome.NOT_CHECKED
    assert "no blink challenge" in check.message


def test_station_config_checks_the_challenge() -> None:
    with pytest.raises(ConfigError, match="face_liveness"):
        StationConfig(face_liveness="smile")


def test_station_name_matches_the_library() -> None:
    pytest.importorskip("dlib", reason="the face extra (dlib-bin) is not installed")
    from idcapture.biometrics.face.liveness import LIVENESS_CHECK as LIBRARY_NAME

    assert LIVENESS_CHECK == LIBRARY_NAME
