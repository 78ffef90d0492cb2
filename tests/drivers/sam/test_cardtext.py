"""Text-block layouts, code tables and the document built from card blocks."""

from __future__ import annotations

import datetime as dt

import pytest

from idcapture.drivers.sam.cardtext import build_text_block, parse_text_block
from idcapture.drivers.sam.codes import (
    ETHNIC_GROUPS,
    ethnic_code_for,
    ethnic_name,
    nationality_name,
)
from idcapture.drivers.sam.document import (
    attach_to_record,
    document_blobs,
    document_checks,
    document_from_blocks,
)
from idcapture.idnumbers import make_citizen_id
from idcapture.record import CaptureRecord, CheckOutcome, DocumentKind, PhotoStatus, Sex

RESIDENT = {"name": "欧阳娜娜", "sex": "2", "ethnicity": "06", "birth_date": "20050302",
            "address": "贵州省凯里市北京东路1号", "id_number": make_citizen_id(
                "522601", dt.date(2005, 3, 2), 122),
            "issuing_authority": "凯里市公安局", "valid_from": "20200101",
            "valid_until": "长期"}


def test_resident_block_offsets() -> None:
    block = build_text_block(DocumentKind.RESIDENT_ID, RESIDENT)
    assert len(block) == 256
    assert block[30:32] == "2".encode("utf-16-le")
    assert block[122:158].decode("utf-16-le") == RESIDENT["id_number"]
    assert block[248:250] == b" \x00"
    kind, fields = parse_text_block(block)
    assert kind is DocumentKind.RESIDENT_ID
    assert fields == RESIDENT


def test_every_kind_roundtrips() -> None:
    cases = {
        DocumentKind.HMT_RESIDENCE_PERMIT: {"name": "陈大文", "sex": "1",
                                            "pass_number": "H12345678", "issue_count": "01"},
        DocumentKind.FOREIGNER_PERMANENT_2017: {
            "name_en": "ZHANG, JOHN ALEXANDER WILLIAM", "sex": "1",
            "id_number": "KAZ110090123105", "nationality": "KAZ", "name": "张约翰",
            "birth_date": "19901231", "card_version": "01", "authority_code": "1100"},
        DocumentKind.FOREIGNER_PERMANENT_2023: {
            "name": "安娜", "sex": "2", "renewal_count": "00",
            "name_en": "MONTGOMERY-SMITHERSON, ANNABELLE CHRISTINA", "nationality": "SAU",
            "id_number": "932682198501010017", "previous_link": "001"},
    }
    for kind, fields in cases.items():
        block = build_text_block(kind, fields)
        assert chr(block[248]) == {"J": "J", "I": "I", "Y": "Y"}[chr(block[248])]
        got_kind, got = parse_text_block(block)
        assert got_kind is kind
        for k, v in fields.items():
            assert got[k] == v, k


def test_inner_spaces_kept_and_slot_overflow_rejected() -> None:
    block = build_text_block(DocumentKind.FOREIGNER_PERMANENT_2017,
                             {"name_en": "VAN DER BERG, ANNA MARIA"})
    assert parse_text_block(block)[1]["name_en"] == "VAN DER BERG, ANNA MARIA"
    with pytest.raises(ValueError, match="name"):
        build_text_block(DocumentKind.RESIDENT_ID, {"name": "x" * 16})
    with pytest.raises(ValueError, match="nationality"):
        build_text_block(DocumentKind.RESIDENT_ID, {"nationality": "CAN"})


def test_code_tables() -> None:
    assert len([c for c in ETHNIC_GROUPS if int(c) <= 56]) == 56
    assert ethnic_name("01") == "汉" and ethnic_name("01", short=False) == "汉族"
    assert ethnic_name("98") == "外国血统中国籍人士" and ethnic_name("57") is None
    assert ethnic_code_for("毛难") == "36" and ethnic_code_for("蒙古") == "02"
    assert nationality_name("682") == "Saudi Arabia"
    assert nationality_name("CAN", chinese=True) == "加拿大"


def test_document_from_blocks_resident() -> None:
    text = build_text_block(DocumentKind.RESIDENT_ID, RESIDENT)
    photo = bytes(range(256)) * 4
    fp = bytearray(1024)
    fp[0], fp[4], fp[5], fp[6] = 0x43, 1, 11, 88
    fp[512], fp[516], fp[517], fp[518] = 0x43, 1, 16, 70
    doc = document_from_blocks(text, photo, bytes(fp), source_driver="t")
    assert doc.kind is DocumentKind.RESIDENT_ID and doc.sex is Sex.FEMALE
    assert doc.ethnicity == "苗" and doc.long_term and doc.valid_until is None
    assert doc.birth_date == dt.date(2005, 3, 2)
    assert doc.photo_status is PhotoStatus.UNDECODED and doc.photo is None
    assert doc.extra["fingerprint_fingers"] == "11,16"
    blobs = document_blobs(doc)
    assert blobs[doc.raw_blocks["photo-wlt"].sha256] == photo
    assert blobs[doc.raw_blocks["text"].sha256] == text
    assert all(c.outcome is CheckOutcome.PASSED for c in document_checks(doc))
    rec = CaptureRecord()
    attach_to_record(rec, doc)
    assert rec.blob(doc.raw_blocks["fingerprint"]) == bytes(fp)


def test_document_with_decoder_and_bad_fields() -> None:
    fields = dict(RESIDENT, birth_date="20051302", sex="5")
    text = build_text_block(DocumentKind.RESIDENT_ID, fields)
    doc = document_from_blocks(text, bytes(1024), decoder=lambda wlt: b"BM" + bytes(38860))
    assert doc.photo_status is PhotoStatus.DECODED and doc.photo is not None
    assert doc.photo.width_px == 102 and doc.birth_date is None and doc.sex is Sex.UNKNOWN
    checks = {c.name: c for c in document_checks(doc)}
    assert checks["card-text"].outcome is CheckOutcome.FAILED
    assert set(checks["card-text"].details["fields"]) == {"birth_date", "sex"}


def test_foreigner_2023_document() -> None:
    text = build_text_block(DocumentKind.FOREIGNER_PERMANENT_2023, {
        "name": "安娜", "sex": "2", "birth_date": "19850101",
        "name_en": "MONTGOMERY-SMITHERSON, ANNABELLE CHRISTINA", "nationality": "SAU",
        "id_number": "932682198501010017", "valid_from": "20240101",
        "valid_until": "20340101"})
    doc = document_from_blocks(text)
    assert doc.name_en == "MONTGOMERY-SMITHERSON, ANNABELLE CHRISTINA"
    assert doc.nationality == "Saudi Arabia" and doc.photo_status is PhotoStatus.ABSENT
    assert document_checks(doc)[0].outcome is CheckOutcome.PASSED
