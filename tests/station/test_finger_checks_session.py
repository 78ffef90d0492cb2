"""The station's default duplicate checks, through capture sessions on the simulators.

The thumbs come from a ``sim:fingerprint`` event script of synthetic fingers
(:mod:`idcapture.sim.finger.sources`): ``present`` puts a finger on the sensor,
``same_finger`` presents the last finger again (a new impression: other placement,
distortion and noise, so the image hashes differ and only the minutiae comparator can
tell it is the same finger). The cards come from ``sim:id-reader``; portraits are framed
by a fixed test step.
"""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from station_helpers import FixedPortraitMaker, card_for, enrol

import idcapture
from idcapture.cli import main
from idcapture.record import Check, CheckOutcome
from idcapture.sim.sam.driver import SimIdReader
from idcapture.station import Store
from idcapture.station.finger_checks import MinutiaeDuplicateChecker
from idcapture.station.runner import Devices, run_capture
from idcapture.station.session import CaptureSession, SessionState
from idcapture.station.steps import ExactImageDuplicateChecker, Steps

#: synthetic finger seeds (default 500 x 400 sensor prints that pass the quality profile)
F1, F2, F3, F4, F5 = 301, 302, 303, 304, 305


def present(seed: int) -> dict[str, Any]:
    return {"present": f"synthetic:seed={seed}"}


SAME = {"same_finger": True}


@pytest.fixture
def enrolled(store: Store, students: list[dict[str, str]], tmp_path: Path) -> Store:
    enrol(store, students, tmp_path)
    return store


@contextmanager
def devices(tmp_path: Path, events: list[dict[str, Any]]) -> Iterator[Devices]:
    script = tmp_path / "thumbs.json"
    script.write_text(json.dumps(events), encoding="utf-8")
    reader = idcapture.open_id_reader("sim:id-reader?card=none&poll=0.001")
    camera = idcapture.open_camera("sim:camera?fps=0")
    sensor = idcapture.open_fingerprint_sensor(f"sim:fingerprint?script={script}&poll=0.001")
    try:
        yield Devices(reader, camera, sensor)
    finally:
        for d in (reader, camera, sensor):
            d.close()


def capture(store: Store, devs: Devices, row: dict[str, str]) -> CaptureSession:
    assert isinstance(devs.reader, SimIdReader)
    devs.reader.place_card(card_for(row))
    s = CaptureSession.start(store, "op1", Steps(portrait=FixedPortraitMaker()))
    last = run_capture(s, devs, timeout=2.0)
    assert last.state is SessionState.SAVED, last.message
    return s


def correct(store: Store, devs: Devices, row: dict[str, str], step: str) -> CaptureSession:
    s = CaptureSession.correction(store, row["id_number"], step, "op2", "re-capture",
                                  Steps(portrait=FixedPortraitMaker()))
    last = run_capture(s, devs, timeout=2.0)
    assert last.state is SessionState.SAVED, last.message
    return s


def dup(s: CaptureSession, slug: str) -> Check:
    c = s.record.check(f"finger-duplicate:{slug}")
    assert c is not None
    assert c.details["method"] == "minutiae-mcc"
    return c


def test_default_steps_use_the_minutiae_checker() -> None:
    assert isinstance(Steps().duplicates, MinutiaeDuplicateChecker)
    assert not isinstance(Steps().duplicates, ExactImageDuplicateChecker)


def test_same_thumb_as_left_and_right_fires(enrolled: Store, tmp_path: Path,
                                            students: list[dict[str, str]]) -> None:
    with devices(tmp_path, [present(F1), present(F2), present(F3), SAME]) as devs:
        honest = capture(enrolled, devs, students[0])
        twice = capture(enrolled, devs, students[1])
    assert dup(honest, "right-thumb").outcome is CheckOutcome.PASSED
    assert dup(honest, "left-thumb").outcome is CheckOutcome.PASSED
    assert dup(twice, "right-thumb").outcome is CheckOutcome.PASSED
    left = dup(twice, "left-thumb")
    assert left.outcome is CheckOutcome.FAILED
    assert left.details["same_as"] == "right-thumb"
    assert "identical_image" not in left.details        # a new impression, not a copy
    assert left.details["score"] >= left.details["threshold"] >= 50
    r, lt = twice.record.fingers
    assert r.image.sha256 != lt.image.sha256
    # the session told the operator and the audit log holds it, masked
    audit = enrolled.audit_log("duplicate-finger")
    assert len(audit) == 1 and students[1]["id_number"] not in audit[0].subject


def test_one_finger_under_two_students_names_the_other_record(
        enrolled: Store, tmp_path: Path, students: list[dict[str, str]]) -> None:
    # student 1's right thumb is student 0's left thumb, placed again
    with devices(tmp_path, [present(F1), present(F2), SAME, present(F3)]) as devs:
        first = capture(enrolled, devs, students[0])
        second = capture(enrolled, devs, students[1])
    hit = dup(second, "right-thumb")
    assert hit.outcome is CheckOutcome.FAILED
    assert hit.related_record == first.record.record_id
    assert "left-thumb" in hit.message and first.record.record_id[:8] in hit.message
    assert hit.details["score"] >= hit.details["threshold"]
    assert hit.details["other_student"] != students[0]["id_number"]   # masked
    assert students[0]["id_number"] not in hit.message
    quiet = dup(second, "left-thumb")
    assert quiet.outcome is CheckOutcome.PASSED and quiet.details["searched"] == 2
    # the batch de-duplication of the store finds the same pair from the stored templates
    with contextlib.redirect_stdout(io.StringIO()) as buf:
        rc = main(["finger", "dedup", str(tmp_path / "store"), "--json", "--jobs", "1"])
    report = json.loads(buf.getvalue())
    assert rc == 1 and report["templates"] == 4
    # the groups are named by registration numbers, which the operator can look up
    regs = [r.record.subject.registration_number for r in (first, second)]
    assert all(regs)
    assert [sorted(c["members"]) for c in report["clusters"]] == [sorted(
        [f"{regs[0]}:left-thumb", f"{regs[1]}:right-thumb"])]


def test_recapture_verifies_against_the_earlier_capture(
        enrolled: Store, tmp_path: Path, students: list[dict[str, str]]) -> None:
    events = [present(F1), present(F2), SAME,        # student 0, then F2 re-captured
              present(F3), present(F4),              # student 1
              present(F5)]                           # student 1's left re-captured wrongly
    with devices(tmp_path, events) as devs:
        first = capture(enrolled, devs, students[0])
        again = correct(enrolled, devs, students[0], "left-thumb")
        capture(enrolled, devs, students[1])
        wrong = correct(enrolled, devs, students[1], "left-thumb")
    ok = dup(again, "left-thumb")
    assert ok.outcome is CheckOutcome.PASSED
    assert ok.details["verified_against_earlier"] is True
    assert ok.related_record == first.record.record_id
    assert ok.details["score"] >= ok.details["verify_threshold"]
    assert ok.details["searched"] == 0            # nobody else enrolled yet
    bad = dup(wrong, "left-thumb")
    assert bad.outcome is CheckOutcome.FAILED
    assert bad.details["verified_against_earlier"] is False
    assert "does NOT verify" in bad.message
    assert bad.details["searched"] == 2           # student 0's thumbs were searched first


def test_distinct_students_stay_silent(enrolled: Store, tmp_path: Path,
                                       students: list[dict[str, str]]) -> None:
    seeds = range(311, 319)
    with devices(tmp_path, [present(s) for s in seeds]) as devs:
        sessions = [capture(enrolled, devs, students[i]) for i in range(4)]
    checks = [dup(s, slug) for s in sessions for slug in ("right-thumb", "left-thumb")]
    assert [c.outcome for c in checks] == [CheckOutcome.PASSED] * 8
    assert [c.details["searched"] for c in checks] == [0, 0, 2, 2, 4, 4, 6, 6]
    assert all(c.details["best_score"] < c.details["threshold"] for c in checks)
    assert all(c.details["same_session_score"] < 50 for c in checks[1::2])


def test_correcting_a_duplicate_thumb_is_not_verified_against_it(
        enrolled: Store, tmp_path: Path, students: list[dict[str, str]]) -> None:
    # student 1 gives student 0's left thumb as the right; the operator re-captures it
    events = [present(F1), present(F2), SAME, present(F3), present(F4)]
    with devices(tmp_path, events) as devs:
        capture(enrolled, devs, students[0])
        caught = capture(enrolled, devs, students[1])
        fixed = correct(enrolled, devs, students[1], "right-thumb")
    assert dup(caught, "right-thumb").outcome is CheckOutcome.FAILED
    c = dup(fixed, "right-thumb")
    assert c.outcome is CheckOutcome.PASSED, c.message
    assert c.details["earlier_failed_duplicate_check"] is True
    assert c.details["verified_against_earlier"] is None
    assert c.details["searched"] == 2 and c.details["best_score"] < c.details["threshold"]


class _CountingChecker(MinutiaeDuplicateChecker):
    def __init__(self) -> None:
        super().__init__()
        self.by_image = 0
        self.templates: list[Any] = []

    def check(self, *args: Any, **kwargs: Any) -> Check:
        self.by_image += 1
        return super().check(*args, **kwargs)

    def check_template(self, store: Store, id_number: str, position: Any, probe: Any,
                       image_sha256: str, this_session: dict[int, str]) -> Check:
        self.templates.append(probe)
        return super().check_template(store, id_number, position, probe, image_sha256,
                                      this_session)


def test_session_hands_its_template_to_the_checker(enrolled: Store, tmp_path: Path,
                                                   students: list[dict[str, str]]) -> None:
    # the template stored with the record is the one compared: no second extraction
    from idcapture.biometrics.finger import FingerTemplate

    checker = _CountingChecker()
    with devices(tmp_path, [present(F1), present(F2)]) as devs:
        assert isinstance(devs.reader, SimIdReader)
        devs.reader.place_card(card_for(students[0]))
        s = CaptureSession.start(enrolled, "op1",
                                 Steps(portrait=FixedPortraitMaker(), duplicates=checker))
        last = run_capture(s, devs, timeout=2.0)
    assert last.state is SessionState.SAVED, last.message
    assert checker.by_image == 0 and len(checker.templates) == 2
    assert all(isinstance(t, FingerTemplate) for t in checker.templates)
    stored = sorted(f.minutiae_count or 0 for f in s.record.fingers)
    assert sorted(len(t.minutiae) for t in checker.templates) == stored
    assert [dup(s, slug).outcome for slug in ("right-thumb", "left-thumb")] == \
        [CheckOutcome.PASSED] * 2
