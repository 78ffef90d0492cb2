"""The ``card-fingerprint`` check inside a capture session, on the simulators: the ID
reader simulator gives a card whose fingerprint block holds templates made through the
simulated ID_Fpr library, the fingerprint simulator gives the live thumbs, and the same
library matches them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from station_helpers import FixedPortraitMaker, card_for, enrol, finger

from idcapture.devices.finger_algorithm import FingerAlgorithm, fit_window
from idcapture.record import CheckOutcome, IdentityDocument
from idcapture.station import Store
from idcapture.station.card_fingerprint import CardFingerprintChecker
from idcapture.station.checking import check_station
from idcapture.station.events import Prompt
from idcapture.station.runner import Devices, Policy, run_capture
from idcapture.station.session import (
    CaptureSession,
    CardPresented,
    FingerPresented,
    FramePresented,
    OperatorDecision,
    SessionState,
)
from idcapture.station.steps import Steps

FRAME = np.full((480, 640, 3), 200, np.uint8)
#: the card holder's thumbs (station_helpers seeds) and another student's
RIGHT, LEFT, OTHER_RIGHT, OTHER_LEFT = 31, 32, 41, 42



@pytest.fixture()
def enrolled(store: Store, students: list[dict[str, str]], tmp_path: Path) -> Store:
    enrol(store, students, tmp_path)
    return store



def card_with_thumbs(alg: FingerAlgorithm, row: dict[str, str],
                     fingers: list[tuple[int, int]]) -> IdentityDocument:
    """The student's card whose fingerprint block holds a template (made through the
    algorithm's ABI from impression 0) of each (finger code, seed)."""
    doc = card_for(row)
    block = b"".join(alg.extract(fit_window(finger(seed)), code) for code, seed in fingers)
    doc.raw_blocks["fingerprint"] = doc.add_blob(block, "application/octet-stream")
    return doc


def run(store: Store, devices: Devices, doc: IdentityDocument, thumbs: list[np.ndarray],
        checker: CardFingerprintChecker, accept: bool = True
        ) -> tuple[CaptureSession, Prompt, list[Prompt]]:
    from idcapture.sim.finger.driver import SimFingerprintSensor
    from idcapture.sim.sam.driver import SimIdReader

    reader, sensor = devices.reader, devices.sensor
    assert isinstance(reader, SimIdReader) and isinstance(sensor, SimFingerprintSensor)
    reader.place_card(doc)
    for t in thumbs:
        sensor.queue_outcome(t)
    seen: list[Prompt] = []
    s = CaptureSession.start(store, "op1", Steps(portrait=FixedPortraitMaker(),
                                                 card_fingerprint=checker))
    last = run_capture(s, devices, timeout=2.0, on_prompt=seen.append,
                       policy=Policy(accept_card_fingerprint=accept,
                                     note="identity confirmed by the class teacher"))
    return s, last, seen


def test_the_card_holders_thumbs_pass(alg: FingerAlgorithm, enrolled: Store,
                                      students: list[dict[str, str]], sims: Devices) -> None:
    doc = card_with_thumbs(alg, students[0], [(11, RIGHT), (16, LEFT)])
    s, last, seen = run(enrolled, sims, doc, [finger(RIGHT, 1), finger(LEFT, 1)],
                        CardFingerprintChecker(alg))
    assert last.state is SessionState.SAVED, last.message
    check = s.record.check("card-fingerprint")
    assert check is not None and check.outcome is CheckOutcome.PASSED, check
    assert check.details["similarity"] >= check.details["threshold"] == 0.4
    assert check.details["finger_code"] == 11 and check.details["attempts"] == 1
    assert not [p for p in seen if p.code.startswith("card-fingerprint")]
    report = check_station(enrolled)
    assert report.card_fingerprint == {"passed": 1}
    assert not [p for r in report.with_problems for p in r.problems
                if p.check == "card-fingerprint"]


def test_another_students_thumb_fails_is_retried_then_decided(
        alg: FingerAlgorithm, enrolled: Store, students: list[dict[str, str]],
        sims: Devices) -> None:
    doc = card_with_thumbs(alg, students[1], [(11, RIGHT), (16, LEFT)])
    impostor = [finger(OTHER_RIGHT, i) for i in range(2)]
    s, last, seen = run(enrolled, sims, doc, [*impostor, finger(OTHER_LEFT, 1)],
                        CardFingerprintChecker(alg, attempts=2))
    codes = [p.code for p in seen]
    assert codes[:4] == ["", "", "card-fingerprint-retry", "card-fingerprint-decision"], codes
    assert seen[2].state is seen[3].state is SessionState.RIGHT_THUMB
    assert "decision" in seen[3].expects and "does not match the card" in seen[3].message
    assert last.state is SessionState.SAVED, last.message
    check = s.record.check("card-fingerprint")
    assert check is not None and check.outcome is CheckOutcome.OVERRIDDEN, check
    assert check.details["operator_decision"] == "accept" and check.details["attempts"] == 2
    assert check.details["similarity"] < 0.4
    assert check.details["note"] == "identity confirmed by the class teacher"
    assert s.record.finger(s.record.fingers[0].position) is not None
    events = [e.action for e in enrolled.audit_log()]
    assert "card-fingerprint-failed" in events and "card-fingerprint-accepted" in events
    report = check_station(enrolled)
    assert report.card_fingerprint == {"overridden": 1}
    assert any(p.check == "card-fingerprint" and p.outcome == "overridden"
               for r in report.with_problems for p in r.problems)


def test_rejected_by_the_operator_refuses_the_capture(
        alg: FingerAlgorithm, enrolled: Store, students: list[dict[str, str]]) -> None:
    doc = card_with_thumbs(alg, students[2], [(11, RIGHT)])
    s = CaptureSession.start(enrolled, "op1", Steps(
        portrait=FixedPortraitMaker(), card_fingerprint=CardFingerprintChecker(alg, attempts=1)))
    s.handle(CardPresented(doc))
    s.handle(FramePresented(FRAME))
    p = s.handle(FingerPresented(finger(OTHER_RIGHT)))
    assert p.code == "card-fingerprint-decision" and p.state is SessionState.RIGHT_THUMB
    assert s.handle(FingerPresented(finger(RIGHT, 1))).code == "unexpected-event"
    resumed = CaptureSession.resume(enrolled, s.session_id, s.steps)
    assert resumed.prompt().code == "card-fingerprint-decision"
    p = resumed.handle(OperatorDecision(False, "not the card holder"))
    assert p.state is SessionState.REFUSED and p.code == "card-fingerprint-rejected"
    assert enrolled.current_record(students[2]["id_number"]) is None


def test_a_card_without_fingerprints_is_not_applicable(
        alg: FingerAlgorithm, enrolled: Store, students: list[dict[str, str]],
        sims: Devices) -> None:
    s, last, _seen = run(enrolled, sims, card_for(students[3]),
                         [finger(RIGHT, 1), finger(LEFT, 1)], CardFingerprintChecker(alg))
    assert last.state is SessionState.SAVED, last.message
    check = s.record.check("card-fingerprint")
    assert check is not None and check.outcome is CheckOutcome.NOT_CHECKED
    assert check.details == {"applicable": False,
                             "reason": "the card carries no fingerprints"}
    assert check_station(enrolled).card_fingerprint == {"not-applicable": 1}


def test_a_card_of_other_fingers_says_which_to_present(
        alg: FingerAlgorithm, enrolled: Store, students: list[dict[str, str]]) -> None:
    doc = card_with_thumbs(alg, students[4], [(12, RIGHT)])
    s = CaptureSession.start(enrolled, "op1", Steps(
        portrait=FixedPortraitMaker(), card_fingerprint=CardFingerprintChecker(alg)))
    s.handle(CardPresented(doc))
    s.handle(FramePresented(FRAME))
    p = s.handle(FingerPresented(finger(RIGHT, 1)))
    assert p.state is SessionState.LEFT_THUMB
    assert "present the right index" in p.message
    check = s.record.check("card-fingerprint")
    assert check is not None and check.details["present"] == ["right-index"]


def test_without_a_checker_no_check_is_made(enrolled: Store,
                                            students: list[dict[str, str]]) -> None:
    s = CaptureSession.start(enrolled, "op1", Steps(portrait=FixedPortraitMaker()))
    s.handle(CardPresented(card_for(students[5])))
    s.handle(FramePresented(FRAME))
    s.handle(FingerPresented(finger(RIGHT, 1)))
    assert s.record.check("card-fingerprint") is None


def test_the_station_checker_comes_from_the_config_or_the_option(
        native_build: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from idcapture.station import StationConfig
    from idcapture.station.card_fingerprint import station_checker

    lib = native_build / "libID_Fpr.so"
    if not lib.is_file():
        pytest.skip("libID_Fpr.so simulator not built; ./run.sh setup builds it")
    monkeypatch.setenv("IDCAPTURE_IDFPR_LIB", str(lib))
    cfg = StationConfig(station_id="t-2", year=2025, region="440106",
                        finger_algorithm="idfpr:", card_fingerprint_attempts=2)
    with Store.create(tmp_path / "s", {"config": cfg.to_json()}) as store:
        checker = station_checker(store)
        assert checker is not None and checker.attempts == 2
        assert isinstance(checker.algorithm, FingerAlgorithm)
        checker.algorithm.close()
        assert station_checker(store, "none") is None
    with Store.create(tmp_path / "d", {"config": StationConfig(
            station_id="t-3", year=2025, region="440106").to_json()}) as store:
        assert station_checker(store) is None
