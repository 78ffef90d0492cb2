"""Store look-ups for frontends: a record by its id, and open sessions with their age."""

from __future__ import annotations

import datetime as _dt
from pathlib import Path

import numpy as np
from station_helpers import FixedPortraitMaker, card_for, enrol, finger

from idcapture.record import utcnow
from idcapture.station import Store
from idcapture.station.session import (
    CaptureSession,
    CardPresented,
    FingerPresented,
    FramePresented,
    Save,
)
from idcapture.station.steps import Steps

FRAME = np.full((480, 640, 3), 200, np.uint8)


def _steps() -> Steps:
    return Steps(portrait=FixedPortraitMaker())


def test_record_by_id_gives_the_latest_or_a_named_version(
        store: Store, students: list[dict[str, str]], tmp_path: Path) -> None:
    enrol(store, students[:3], tmp_path)
    s = CaptureSession.start(store, "op1", _steps())
    s.handle(CardPresented(card_for(students[1])))
    s.handle(FramePresented(FRAME))
    s.handle(FingerPresented(finger(1)))
    s.handle(FingerPresented(finger(2)))
    rid = s.handle(Save()).details["record_id"]
    got = store.record_by_id(rid)
    assert got is not None and got.id_number == students[1]["id_number"]
    assert got.version == 1 and got.current
    c = CaptureSession.correction(store, students[1]["id_number"], "right-thumb", "op2", "x")
    c.handle(FingerPresented(finger(3)))
    c.handle(Save())
    latest, first = store.record_by_id(rid), store.record_by_id(rid, version=1)
    assert latest is not None and latest.version == 2 and latest.current
    assert first is not None and first.version == 1 and not first.current
    assert store.record_by_id(rid, version=3) is None
    assert store.record_by_id("0" * 32) is None


def test_open_sessions_list_step_age_and_masked_student(
        store: Store, students: list[dict[str, str]], tmp_path: Path) -> None:
    enrol(store, students[:3], tmp_path)
    waiting = CaptureSession.start(store, "op1", _steps())
    busy = CaptureSession.start(store, "op2", _steps())
    busy.handle(CardPresented(card_for(students[0])))
    busy.handle(FramePresented(FRAME))
    done = CaptureSession.start(store, "op1", _steps())
    done.handle(CardPresented(card_for(students[2])))
    for img in (FRAME, finger(4), finger(5)):
        done.handle(FramePresented(img) if img.ndim == 3 else FingerPresented(img))
    done.handle(Save())
    later = utcnow() + _dt.timedelta(minutes=10)
    found = store.open_sessions(now=later)
    assert [o.session_id for o in found] == [waiting.session_id, busy.session_id]
    assert [o.session_id for o in found] == store.unfinished_sessions()
    w, b = found
    assert (w.state, w.operator, w.id_number) == ("card", "op1", "")
    assert (b.state, b.operator) == ("right-thumb", "op2")
    assert "*" in b.id_number and b.id_number != students[0]["id_number"]
    assert b.id_number[:6] == students[0]["id_number"][:6]
    for o in found:
        assert 599 < o.age_s < 660 and o.updated_at.tzinfo is not None
    assert w.age_s >= b.age_s
    assert store.open_sessions(now=later - _dt.timedelta(days=1))[0].age_s == 0.0
