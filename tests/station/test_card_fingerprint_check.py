"""The card-fingerprint check on the simulated ABIs: a card from a card file, live thumbs
captured on the ID_FprCap simulator, matched by the ID_Fpr simulator."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from idcapture.devices.finger_algorithm import FingerAlgorithm, fit_window
from idcapture.drivers.livescan.driver import LiveScanSensor
from idcapture.record import CheckOutcome, FingerPosition
from idcapture.sim.livescan import LiveScanSimulator
from idcapture.sim.sam.cards import card_from_dict
from idcapture.station.card_fingerprint import CardFingerprintChecker, card_fingers

FIELDS = {"name": "测试", "sex": "1", "ethnicity": "01", "birth_date": "20080315",
          "address": "北京市海淀区", "id_number": "110108200803151231",
          "issuing_authority": "北京市公安局海淀分局", "valid_from": "20230501",
          "valid_until": "20330501"}
RT, LT = FingerPosition.RIGHT_THUMB, FingerPosition.LEFT_THUMB


def _block(*records: dict[str, object]) -> bytes:
    return card_from_dict({"fields": FIELDS, "fingerprints": list(records)}).fingerprint


THUMBS = _block({"finger": 11, "source": "synthetic:seed=61"},
                {"finger": 16, "source": "synthetic:seed=62"})



@pytest.fixture()
def scanner(native_build: Path) -> Iterator[tuple[LiveScanSimulator, LiveScanSensor]]:
    lib = native_build / "libID_FprCap.so"
    if not lib.is_file():
        pytest.skip("libID_FprCap.so simulator not built; ./run.sh setup builds it")
    sim = LiveScanSimulator(lib)
    sim.reset()
    with LiveScanSensor(f"livescan:0?lib={lib}&poll=0.01") as dev:
        yield sim, dev


def _capture(scanner: tuple[LiveScanSimulator, LiveScanSensor], source: str) -> np.ndarray:
    sim, dev = scanner
    sim.script([{"no_finger": 1}, {"present": source}])
    return dev.capture(timeout=3).image


def test_the_holders_thumbs_pass(alg: FingerAlgorithm, scanner: tuple[LiveScanSimulator,
                                                                      LiveScanSensor]) -> None:
    live = {RT: [_capture(scanner, "synthetic:seed=61,impression=2")],
            LT: [_capture(scanner, "synthetic:seed=62,impression=3")]}
    check = CardFingerprintChecker(alg).check(THUMBS, live)
    assert check.outcome is CheckOutcome.PASSED, check.message
    assert check.details["similarity"] >= 0.4 and check.details["finger_code"] == 11
    assert check.details["attempts"] == 1


def test_another_students_fingers_fail_retry_then_operator(
        alg: FingerAlgorithm, scanner: tuple[LiveScanSimulator, LiveScanSensor]) -> None:
    checker = CardFingerprintChecker(alg, attempts=2)
    impostor = [_capture(scanner, "synthetic:seed=66"),
                _capture(scanner, "synthetic:seed=66,impression=1")]
    first = checker.check(THUMBS, {RT: impostor[:1]})
    assert first.outcome is CheckOutcome.FAILED and first.details["retry"] is True
    assert "take another impression" in first.message and first.details["similarity"] < 0.4
    second = checker.check(THUMBS, {RT: impostor})
    assert second.outcome is CheckOutcome.FAILED and "retry" not in second.details
    assert second.details["operator_decision_needed"] is True
    accepted = checker.check(THUMBS, {RT: impostor}, operator="accept",
                             operator_note="scar on the thumb")
    assert accepted.outcome is CheckOutcome.OVERRIDDEN and "scar" in accepted.message
    rejected = checker.check(THUMBS, {RT: impostor}, operator="reject")
    assert rejected.outcome is CheckOutcome.FAILED
    assert rejected.details["operator_decision"] == "reject"


def test_not_applicable_with_the_reason(alg: FingerAlgorithm) -> None:
    checker = CardFingerprintChecker(alg)
    thumb = [np.full((360, 256), 200, np.uint8)]
    none = checker.check(b"", {RT: thumb})
    assert none.outcome is CheckOutcome.NOT_CHECKED and none.details["applicable"] is False
    assert "carries no fingerprints" in none.message
    failed = checker.check(_block({"finger": 11, "enrolment": 2},
                                  {"finger": 16, "enrolment": 3}), {RT: thumb})
    assert failed.outcome is CheckOutcome.NOT_CHECKED
    assert "right thumb: enrolment failed" in failed.message
    assert "left thumb: enrolment not enrolled" in failed.message


def test_card_of_other_fingers_says_which_to_present(alg: FingerAlgorithm) -> None:
    block = _block({"finger": 12, "source": "synthetic:seed=64"}, {"finger": 16, "enrolment": 2})
    assert card_fingers(block).positions == [FingerPosition.RIGHT_INDEX]
    check = CardFingerprintChecker(alg).check(block, {RT: [np.zeros((360, 256), np.uint8)]})
    assert check.outcome is CheckOutcome.NOT_CHECKED
    assert check.message.startswith("present the right index")
    assert check.details["present"] == ["right-index"]


def test_fit_window_crops_and_pads() -> None:
    big = np.arange(400 * 300, dtype=np.uint32).reshape(400, 300).astype(np.uint8)
    assert fit_window(big).shape == (360, 256)
    assert np.array_equal(fit_window(big), big[20:380, 22:278])
    small = np.zeros((100, 100), np.uint8)
    assert fit_window(small)[0, 0] == 0 and fit_window(small).shape == (360, 256)


def test_session_step_reads_the_card_block_from_the_record(
        alg: FingerAlgorithm, scanner: tuple[LiveScanSimulator, LiveScanSensor]) -> None:
    from idcapture.drivers.sam.document import document_from_blocks
    from idcapture.record import CaptureRecord
    from idcapture.station.card_fingerprint import CardFingerprintStep, card_block_of

    card = card_from_dict({"fields": FIELDS, "fingerprints": [
        {"finger": 11, "source": "synthetic:seed=61"},
        {"finger": 16, "source": "synthetic:seed=62"}]})
    rec = CaptureRecord()
    rec.identity = document_from_blocks(card.text, card.photo, card.fingerprint)
    assert card_block_of(rec) == THUMBS
    step = CardFingerprintStep(CardFingerprintChecker(alg, attempts=2))
    first = step.on_finger(rec, RT, _capture(scanner, "synthetic:seed=66"))
    assert first.outcome is CheckOutcome.FAILED and first.details["retry"] is True
    second = step.on_finger(rec, RT, _capture(scanner, "synthetic:seed=61,impression=4"))
    assert second.outcome is CheckOutcome.PASSED and second.details["attempts"] == 2
    assert card_block_of(CaptureRecord()) is None
    other = CardFingerprintStep(CardFingerprintChecker(alg, attempts=1))
    other.on_finger(rec, LT, _capture(scanner, "synthetic:seed=66,impression=2"))
    assert other.decide(rec, accept=False).details["operator_decision"] == "reject"
