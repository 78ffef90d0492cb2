"""The capture session state machine, driven by events and over the simulators."""

from __future__ import annotations

import datetime as _dt
from pathlib import Path

import numpy as np
import pytest
from station_helpers import FixedPortraitMaker, card_for, enrol, finger

from idcapture.errors import RetryOutcome, RetryReason
from idcapture.record import CheckOutcome, FingerPosition, RecordStatus
from idcapture.station import DateWindow, StationConfig, Store
from idcapture.station.runner import Devices, Policy, run_capture
from idcapture.station.session import (
    CaptureSession,
    CardPresented,
    FingerPresented,
    FingerRetry,
    FramePresented,
    OperatorDecision,
    Redo,
    Save,
    SessionState,
)
from idcapture.station.steps import Steps

FRAME = np.full((480, 640, 3), 200, np.uint8)


def steps() -> Steps:
    return Steps(portrait=FixedPortraitMaker())


@pytest.fixture
def enrolled(store: Store, students: list[dict[str, str]], tmp_path: Path) -> Store:
    enrol(store, students, tmp_path)
    return store


def capture_all(store: Store, row: dict[str, str], right: np.ndarray, left: np.ndarray,
                **card: object) -> CaptureSession:
    s = CaptureSession.start(store, "op1", steps())
    p = s.handle(CardPresented(card_for(row, **card)))
    if p.state is SessionState.DECISION:
        s.handle(OperatorDecision(True, "name spelt differently on the card"))
    s.handle(FramePresented(FRAME))
    s.handle(FingerPresented(right))
    s.handle(FingerPresented(left))
    p = s.handle(Save())
    assert p.state is SessionState.SAVED, p.message
    return s


def test_full_capture_saves_a_complete_record(enrolled: Store,
                                              students: list[dict[str, str]]) -> None:
    row = students[0]
    s = CaptureSession.start(enrolled, "op1", steps())
    assert s.prompt().expects == ("card", "cancel")
    p = s.handle(CardPresented(card_for(row)))
    assert p.state is SessionState.PORTRAIT
    p = s.handle(FramePresented(FRAME))
    assert p.state is SessionState.RIGHT_THUMB
    p = s.handle(FingerPresented(finger(1)))
    assert p.state is SessionState.LEFT_THUMB
    p = s.handle(FingerPresented(finger(2)))
    assert p.state is SessionState.REVIEW
    p = s.handle(Save())
    assert p.state is SessionState.SAVED and p.details["version"] == 1
    stored = enrolled.current_record(row["id_number"])
    assert stored is not None
    rec = stored.record(enrolled)
    assert rec.status is RecordStatus.COMPLETE
    assert rec.subject is not None and rec.subject.registration_number == \
        enrolled.registration(row["id_number"])
    assert {f.position for f in rec.fingers} == {FingerPosition.RIGHT_THUMB,
                                                 FingerPosition.LEFT_THUMB}
    names = {c.name: c.outcome for c in rec.checks}
    assert names["id-number"] is CheckOutcome.PASSED
    assert names["card-vs-roster"] is CheckOutcome.PASSED
    assert names["finger-quality:right-thumb"] is CheckOutcome.PASSED
    assert names["finger-duplicate:left-thumb"] is CheckOutcome.PASSED
    assert names["face-vs-card"] is CheckOutcome.NOT_CHECKED  # the card has no photo
    assert enrolled.unfinished_sessions() == []
    assert s.handle(Save()).code == "finished"


def test_card_not_on_roster_is_refused_and_nothing_captured(
        enrolled: Store, students: list[dict[str, str]]) -> None:
    from idcapture.idnumbers import make_citizen_id

    stranger = dict(students[0], id_number=make_citizen_id("110101", _dt.date(2008, 1, 2), 5),
                    sex="男")
    s = CaptureSession.start(enrolled, "op1", steps())
    p = s.handle(CardPresented(card_for(stranger)))
    assert p.state is SessionState.REFUSED and p.code == "not-on-roster"
    assert stranger["id_number"] not in p.message
    assert enrolled.count_records() == 0
    audit = enrolled.audit_log("capture-refused")
    assert len(audit) == 1 and audit[0].subject == "110101********" + \
        stranger["id_number"][-4:]
    assert s.record.identity is None


def test_unregistered_student_is_refused(store: Store, students: list[dict[str, str]],
                                         tmp_path: Path) -> None:
    enrol(store, students, tmp_path, register=False)
    s = CaptureSession.start(store, "op1", steps())
    p = s.handle(CardPresented(card_for(students[0])))
    assert p.code == "not-registered" and "register before capture" in p.message


def test_mismatch_needs_a_decision_which_is_recorded(enrolled: Store,
                                                     students: list[dict[str, str]]) -> None:
    s = CaptureSession.start(enrolled, "op1", steps())
    p = s.handle(CardPresented(card_for(students[1], name=students[1]["name"] + "华")))
    assert p.state is SessionState.DECISION and p.details["fields"] == ["name"]
    assert students[1]["name"] not in p.message
    assert s.comparison["name"]["roster"] == students[1]["name"]
    assert s.handle(FramePresented(FRAME)).code == "unexpected-event"
    p = s.handle(OperatorDecision(True, "card reissued"))
    assert p.state is SessionState.PORTRAIT
    check = s.record.check("card-vs-roster")
    assert check is not None and check.outcome is CheckOutcome.OVERRIDDEN
    assert check.details["note"] == "card reissued"
    s2 = CaptureSession.start(enrolled, "op1", steps())
    p2 = s2.handle(CardPresented(card_for(students[2], birth_date=_dt.date(2000, 1, 1))))
    assert p2.details["fields"] == ["birth_date"]
    assert s2.handle(OperatorDecision(False)).code == "card-roster-rejected"
    assert enrolled.current_record(students[2]["id_number"]) is None


def test_poor_finger_is_retried_then_kept_when_good(enrolled: Store,
                                                    students: list[dict[str, str]]) -> None:
    s = CaptureSession.start(enrolled, "op1", steps())
    s.handle(CardPresented(card_for(students[0])))
    s.handle(FramePresented(FRAME))
    blank = np.full((400, 300), 235, np.uint8)
    p = s.handle(FingerPresented(blank))
    assert p.state is SessionState.RIGHT_THUMB and p.retry is not None
    p = s.handle(FingerRetry(RetryOutcome(RetryReason.TOO_LIGHT, "finger too light")))
    assert p.state is SessionState.RIGHT_THUMB and "too light" in p.message
    p = s.handle(FingerPresented(blank))
    assert "keep" in p.expects
    p = s.handle(FingerPresented(finger(3)))
    assert p.state is SessionState.LEFT_THUMB
    right = s.record.finger(FingerPosition.RIGHT_THUMB)
    assert right is not None and right.attempts == 4


def test_low_quality_finger_kept_by_operator_is_a_failed_check(
        enrolled: Store, students: list[dict[str, str]]) -> None:
    s = CaptureSession.start(enrolled, "op1", steps())
    s.handle(CardPresented(card_for(students[0])))
    s.handle(FramePresented(FRAME))
    blank = np.full((400, 300), 235, np.uint8)
    p = s.handle(FingerPresented(blank, keep_below_quality=True))
    assert p.state is SessionState.LEFT_THUMB
    c = s.record.check("finger-quality:right-thumb")
    assert c is not None and c.outcome is CheckOutcome.FAILED and "kept by" in c.message


def test_duplicate_thumbs_are_caught(enrolled: Store, students: list[dict[str, str]]) -> None:
    first = capture_all(enrolled, students[0], finger(1), finger(2))
    # another impression of student 0's right thumb, given by student 1
    s = capture_all(enrolled, students[1], finger(3), finger(1, impression=1))
    dup = s.record.check("finger-duplicate:left-thumb")
    assert dup is not None and dup.outcome is CheckOutcome.FAILED
    assert dup.related_record == first.record.record_id
    assert dup.details["method"] == "minutiae-mcc" and "identical_image" not in dup.details
    s3 = capture_all(enrolled, students[2], finger(4), finger(4, impression=1))
    same = s3.record.check("finger-duplicate:left-thumb")
    assert same is not None and same.outcome is CheckOutcome.FAILED
    assert "right-thumb" in same.message
    # the very same image again is caught without comparison
    s4 = capture_all(enrolled, students[3], finger(5), finger(2))
    copy = s4.record.check("finger-duplicate:left-thumb")
    assert copy is not None and copy.outcome is CheckOutcome.FAILED
    assert copy.details["identical_image"] is True
    assert copy.related_record == first.record.record_id
    for sess in (first, s):
        c = sess.record.check("finger-duplicate:right-thumb")
        assert c is not None and c.outcome is CheckOutcome.PASSED


def test_redo_goes_back_to_any_step(enrolled: Store, students: list[dict[str, str]]) -> None:
    s = CaptureSession.start(enrolled, "op1", steps())
    s.handle(CardPresented(card_for(students[0])))
    s.handle(FramePresented(FRAME))
    s.handle(FingerPresented(finger(1)))
    s.handle(FingerPresented(finger(2)))
    assert s.state is SessionState.REVIEW
    p = s.handle(Redo(SessionState.RIGHT_THUMB))
    assert p.state is SessionState.RIGHT_THUMB and s.record.finger(
        FingerPosition.RIGHT_THUMB) is None
    assert s.record.check("finger-quality:right-thumb") is None
    p = s.handle(FingerPresented(finger(5)))
    assert p.state is SessionState.REVIEW
    p = s.handle(Redo(SessionState.PORTRAIT))
    assert p.state is SessionState.PORTRAIT and s.record.portrait is None
    assert s.handle(FramePresented(FRAME)).state is SessionState.REVIEW
    assert s.handle(Save()).state is SessionState.SAVED


def test_resume_after_crash_continues_at_the_step(enrolled: Store, tmp_path: Path,
                                                  students: list[dict[str, str]]) -> None:
    s = CaptureSession.start(enrolled, "op1", steps())
    s.handle(CardPresented(card_for(students[0])))
    s.handle(FramePresented(FRAME))
    s.handle(FingerPresented(finger(1)))
    sid = s.session_id
    portrait_sha = s.record.portrait.image.sha256 if s.record.portrait else ""
    del s
    enrolled.close()
    with Store.open(tmp_path / "store") as again:
        assert again.unfinished_sessions() == [sid]
        r = CaptureSession.resume(again, sid, steps())
        assert r.state is SessionState.LEFT_THUMB
        assert r.record.portrait is not None and r.record.portrait.image.sha256 == portrait_sha
        r.handle(FingerPresented(finger(2)))
        assert r.handle(Save()).state is SessionState.SAVED
        assert again.count_records() == 1


def test_correction_recaptures_one_step_and_keeps_history(
        enrolled: Store, students: list[dict[str, str]]) -> None:
    row = students[0]
    first = capture_all(enrolled, row, finger(1), finger(2))
    c = CaptureSession.correction(enrolled, row["id_number"], "left-thumb", "op2",
                                  "smudged image")
    assert c.state is SessionState.LEFT_THUMB
    c.handle(FingerPresented(finger(6)))
    assert c.handle(Save()).details["version"] == 2
    hist = enrolled.record_history(row["id_number"])
    assert [h.version for h in hist] == [1, 2] and [h.current for h in hist] == [False, True]
    new = hist[1].record()
    old = hist[0].record()
    assert new.record_id == first.record.record_id == old.record_id
    r_new, r_old = new.finger(FingerPosition.RIGHT_THUMB), old.finger(FingerPosition.RIGHT_THUMB)
    assert r_new is not None and r_old is not None and r_new.image == r_old.image
    l_new, l_old = new.finger(FingerPosition.LEFT_THUMB), old.finger(FingerPosition.LEFT_THUMB)
    assert l_new is not None and l_old is not None and l_new.image != l_old.image
    assert new.extensions["idcapture.station"]["corrected_step"] == "left-thumb"
    again = CaptureSession.start(enrolled, "op1", steps())
    assert again.handle(CardPresented(card_for(row))).code == "already-captured"


def test_capture_window_is_enforced(tmp_path: Path, students: list[dict[str, str]]) -> None:
    cfg = StationConfig(region="440106", year=2025,
                        capture_window=DateWindow(_dt.date(2025, 4, 1), _dt.date(2025, 4, 20)),
                        makeup_window=DateWindow(_dt.date(2025, 4, 25), _dt.date(2025, 4, 30)))
    with Store.create(tmp_path / "w", {"config": cfg.to_json()}) as store:
        enrol(store, students, tmp_path)
        for day, ok in ((_dt.date(2025, 4, 2), True), (_dt.date(2025, 4, 22), False),
                        (_dt.date(2025, 4, 26), True), (_dt.date(2025, 5, 2), False)):
            s = CaptureSession.start(store, "op", steps(), day=day)
            p = s.handle(CardPresented(card_for(students[0])))
            assert (p.code != "window-closed") == ok, (day, p.message)



def test_runner_drives_the_simulators(enrolled: Store, students: list[dict[str, str]],
                                      sims: Devices) -> None:
    from idcapture.sim.finger.driver import SimFingerprintSensor
    from idcapture.sim.sam.driver import SimIdReader

    reader, sensor = sims.reader, sims.sensor
    assert isinstance(reader, SimIdReader) and isinstance(sensor, SimFingerprintSensor)
    reader.place_card(card_for(students[4]))
    sensor.queue_outcome(RetryOutcome(RetryReason.TOO_LIGHT, "too light"))
    sensor.queue_outcome(finger(11))
    sensor.queue_outcome(finger(12))
    seen: list[str] = []
    s = CaptureSession.start(enrolled, "op1", steps())
    last = run_capture(s, sims, timeout=2.0, on_prompt=lambda p: seen.append(p.state.value),
                       policy=Policy())
    assert last.state is SessionState.SAVED, last.message
    assert seen.count("right-thumb") == 2  # the retry kept the state
    rec = enrolled.current_record(students[4]["id_number"])
    assert rec is not None


def test_kept_fingers_carry_their_minutiae_template(enrolled: Store,
                                                    students: list[dict[str, str]]) -> None:
    from idcapture.biometrics.finger import extract
    from idcapture.biometrics.finger.compare import compare, prepare
    from idcapture.formats.finger_capture import finger_image, finger_template
    from idcapture.synth.fingerprints import generate_master, make_impression

    right, left = generate_master(71), generate_master(72)
    capture_all(enrolled, students[0], make_impression(right, seed=1, style="good").image,
                make_impression(left, seed=1, style="good").image)
    stored = enrolled.current_record(students[0]["id_number"])
    assert stored is not None
    rec = stored.record(enrolled, validate=True)  # reloaded from the store, blobs included
    second = prepare(extract(make_impression(right, seed=9, style="good").image, 500))
    scores = {}
    for cap in rec.fingers:
        assert cap.template_format == "iso-19794-2:2005" and cap.template is not None
        tpl = finger_template(rec, cap)
        assert tpl is not None and tpl.position is cap.position
        assert len(tpl.minutiae) == cap.minutiae_count and cap.minutiae_count > 10
        assert (tpl.width, tpl.height) == finger_image(rec, cap).shape[::-1]
        scores[cap.position] = compare(second, prepare(tpl))
    # the stored template is the finger's: another impression of the right thumb matches
    # it and not the left thumb's
    assert scores[FingerPosition.RIGHT_THUMB] >= 40 > scores[FingerPosition.LEFT_THUMB]


def test_a_finger_with_no_usable_template_is_kept_without_one(
        enrolled: Store, students: list[dict[str, str]]) -> None:
    s = CaptureSession.start(enrolled, "op1", steps())
    s.handle(CardPresented(card_for(students[0])))
    s.handle(FramePresented(FRAME))
    s.handle(FingerPresented(np.full((400, 300), 235, np.uint8), keep_below_quality=True))
    cap = s.record.finger(FingerPosition.RIGHT_THUMB)
    assert cap is not None and cap.template is None and not cap.minutiae_count


def test_a_kept_finger_is_analysed_once_for_quality_and_template(
        enrolled: Store, students: list[dict[str, str]], monkeypatch: pytest.MonkeyPatch
        ) -> None:
    import importlib

    import idcapture.biometrics.finger as bf
    from idcapture.formats.finger_capture import finger_template
    from idcapture.formats.iso19794_2 import template_record
    from idcapture.synth.fingerprints import generate_master, make_impression

    calls = []
    real = bf.analyse

    def counting(image: np.ndarray, ppi: int = 500) -> bf.FingerAnalysis:
        calls.append(ppi)
        return real(image, ppi)

    for name in ("", ".extractor", ".quality"):
        module = importlib.import_module("idcapture.biometrics.finger" + name)
        monkeypatch.setattr(module, "analyse", counting)
    image = make_impression(generate_master(73), seed=1, style="good").image
    s = CaptureSession.start(enrolled, "op1", steps())
    s.handle(CardPresented(card_for(students[0])))
    s.handle(FramePresented(FRAME))
    p = s.handle(FingerPresented(image))
    assert p.state is SessionState.LEFT_THUMB, p.message
    # the quality gate's analysis served the extraction too: the image is analysed once,
    # at its own resolution (a print whose ridges are not at the target period is
    # re-measured at the minutiae scale from that analysis, as extract() does, without a
    # second full analysis)
    assert calls == [500], calls
    cap = s.record.finger(FingerPosition.RIGHT_THUMB)
    assert cap is not None
    stored = finger_template(s.record, cap)
    assert stored is not None
    expected = bf.extract(image, 500, position=FingerPosition.RIGHT_THUMB)
    assert template_record(stored) == template_record(expected)
