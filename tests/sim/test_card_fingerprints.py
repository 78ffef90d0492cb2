"""Card files whose fingerprint block holds templates of synthetic fingers, WLT-looking
photos, and a find after select keeping the selection (SAM simulator)."""

from __future__ import annotations

import pytest

from idcapture.drivers.idfpr.record import EnrolResult, crc8, split_block
from idcapture.drivers.sam import protocol as p
from idcapture.drivers.sam.document import document_from_blocks
from idcapture.errors import ConfigError
from idcapture.sim.finger.sources import SyntheticSource, fit_to_sensor
from idcapture.sim.idfpr import extract_record, match_records
from idcapture.sim.sam.cards import WLT_HEADER, card_from_dict, sample_cards, wlt_photo
from idcapture.sim.sam.device import SamDevice

FIELDS = {"name": "测试", "sex": "1", "ethnicity": "01", "birth_date": "20080315",
          "address": "北京市海淀区", "id_number": "110108200803151231",
          "issuing_authority": "北京市公安局海淀分局", "valid_from": "20230501",
          "valid_until": "20330501"}


def _live(seed: int, impression: int) -> bytes:
    img = fit_to_sensor(SyntheticSource(seed, first=impression).impression(0), 256, 360)
    rec = extract_record(img, 11)
    assert rec is not None
    return rec


def test_card_templates_match_the_holders_finger_only() -> None:
    card = card_from_dict({"fields": FIELDS, "fingerprints": [
        {"finger": 11, "source": "synthetic:seed=41"},
        {"finger": 17, "source": "synthetic:seed=42"}]})
    right_thumb, left_index = split_block(card.fingerprint)
    assert right_thumb.usable and right_thumb.crc_ok and right_thumb.finger_code == 11
    assert left_index.finger_code == 17 and left_index.finger_name == "left index"
    assert match_records(_live(41, 3), right_thumb.data) >= 0.4
    assert match_records(_live(43, 0), right_thumb.data) < 0.4
    assert match_records(_live(42, 2), left_index.data) >= 0.4


def test_failed_and_not_enrolled_records() -> None:
    card = card_from_dict({"fields": FIELDS, "fingerprints": [
        {"finger": 16, "enrolment": 2}, {"finger": 99, "enrolment": 3}]})
    failed, missing = split_block(card.fingerprint)
    assert (failed.enrol_result, missing.enrol_result) == (EnrolResult.FAILED,
                                                           EnrolResult.NOT_ENROLLED)
    assert not failed.usable and failed.problem() == "left thumb: enrolment failed"
    assert crc8(failed.data) == crc8(missing.data) == 0
    doc = document_from_blocks(card.text, card.photo, card.fingerprint)
    assert doc.extra["fingerprint_fingers"] == "16,99"
    with pytest.raises(ConfigError, match="fingerprint record 0"):
        card_from_dict({"fields": FIELDS, "fingerprints": [{"finger": "x"}]})


def test_sample_card_with_an_index_finger_and_a_failed_thumb() -> None:
    card = next(c for c in sample_cards() if c.source.startswith("resident-fingerprint-index"))
    index, thumb = split_block(card.fingerprint)
    assert index.usable and index.finger_code == 12
    assert not thumb.usable and thumb.finger_code == 16


def test_seeded_photos_start_like_wlt_photos() -> None:
    assert bytes.fromhex("574C66007E00320000FF85") == WLT_HEADER
    photo = wlt_photo(5)
    assert len(photo) == 1024 and photo.startswith(WLT_HEADER) and photo != wlt_photo(6)
    assert all(c.photo.startswith(WLT_HEADER) for c in sample_cards() if c.photo)


def _sw3(device: SamDevice, request: p.Request) -> int:
    (reply,) = device.receive(request.encode())
    return reply.data[9]


def test_find_after_select_keeps_the_selection() -> None:
    device = SamDevice()
    device.place_card(sample_cards()[0])
    assert _sw3(device, p.find_card()) == 0x9F
    assert _sw3(device, p.select_card()) == 0x90
    assert _sw3(device, p.find_card()) == 0x9F
    assert _sw3(device, p.read_base()) == 0x90  # still selected: the read goes through
    assert _sw3(device, p.find_card()) == 0x80  # read: not found again
