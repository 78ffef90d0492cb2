"""Subprocess for the SIGKILL fault test: capture students until killed.

Usage: python fault_worker.py STORE ROSTER_JSON. Resumes unfinished sessions first,
then captures every registered student without a record, printing
``SAVED <record_id>`` after each save returned (the parent kills it at random, after
``READY``: start-up done). Student
``i`` presents synthetic fingers ``2i`` and ``2i + 1`` (read from the finger bank the
parent names in ``IDCAPTURE_TEST_FINGER_BANK``); the default steps check every thumb
with the minutiae comparator against all thumbs saved before.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))

from station_helpers import FixedPortraitMaker, card_for, finger

from idcapture.station import Store
from idcapture.station.finger_checks import MinutiaeDuplicateChecker
from idcapture.station.session import (
    Cancel,
    CaptureSession,
    CardPresented,
    FingerPresented,
    FramePresented,
    Save,
    SessionState,
)
from idcapture.station.steps import Steps

FRAME = np.full((480, 640, 3), 180, np.uint8)


def drive(s: CaptureSession, rows: dict[str, tuple[int, dict[str, str]]],
          row: dict[str, str] | None) -> None:
    prompt = s.prompt()
    while not s.state.finished:
        st = s.state
        if st is SessionState.CARD:
            assert row is not None
            prompt = s.handle(CardPresented(card_for(row)))
        elif st is SessionState.PORTRAIT:
            prompt = s.handle(FramePresented(FRAME))
        elif st in (SessionState.RIGHT_THUMB, SessionState.LEFT_THUMB):
            i = rows[s.id_number][0]
            img = finger(2 * i + (st is SessionState.LEFT_THUMB))
            # the operator keeps a print the quality gate refused three times
            prompt = s.handle(FingerPresented(img, keep_below_quality="keep" in prompt.expects))
        elif st is SessionState.REVIEW:
            p = s.handle(Save())
            print("SAVED", p.details["record_id"], flush=True)
        else:
            raise RuntimeError(f"unexpected state {st}")


def main() -> None:
    store = Store.open(sys.argv[1])
    roster = json.loads(Path(sys.argv[2]).read_text(encoding="utf-8"))
    rows = {r["id_number"]: (i, r) for i, r in enumerate(roster)}
    steps = Steps(portrait=FixedPortraitMaker())
    assert isinstance(steps.duplicates, MinutiaeDuplicateChecker)
    steps.duplicates.sync(store)      # enrol the saved thumbs, as a station does at start-up
    print("READY", flush=True)
    for sid in store.unfinished_sessions():
        s = CaptureSession.resume(store, sid, steps)
        if s.state is SessionState.CARD:
            s.handle(Cancel("restarted before the card"))
            continue
        drive(s, rows, None)
    for id_number, (_i, row) in rows.items():
        if store.current_record(id_number) is None:
            drive(CaptureSession.start(store, "fault", steps), rows, row)
    print("DONE", flush=True)


if __name__ == "__main__":
    main()
