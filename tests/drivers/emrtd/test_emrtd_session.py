"""A whole eMRTD read against the in-process simulator (no PC/SC): data, PA and faults."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from idcapture.drivers.emrtd.errors import AccessDenied, SecureMessagingError, UnsupportedDocument
from idcapture.drivers.emrtd.lds import decode_dg2, decode_ef_com, encode_dg2
from idcapture.drivers.emrtd.passive_auth import PaOutcome, TrustStore, parse_sod, verify
from idcapture.drivers.emrtd.session import AccessKey, EmrtdSession
from idcapture.errors import DeviceTimeout
from idcapture.formats.record_json import dumps, loads
from idcapture.record import CheckOutcome, DocumentKind, PhotoStatus, Sex
from idcapture.sim.emrtd.card import EmrtdCard, Faults
from idcapture.sim.emrtd.config import card_from_config, synthetic_face
from idcapture.sim.emrtd.pki import SimPki

MRZ = ("P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<"
       "L898902C36UTO7408122F1204159ZE184226B<<<<<10")
KEY = AccessKey.from_fields("L898902C3", "740812", "120415")


@pytest.fixture(scope="module")
def pki() -> SimPki:
    return SimPki.generate()


def make_card(pki: SimPki, **faults: object) -> EmrtdCard:
    template = card_from_config({"mrz": MRZ, "face": {"width": 120, "height": 160},
                                 "data_groups": {"11": "6B055F0E024142"}})
    return EmrtdCard(MRZ, template.groups, pki, Faults(**faults))  # type: ignore[arg-type]


def test_full_read_matches_the_card(pki: SimPki) -> None:
    card = make_card(pki)
    session = EmrtdSession(card.apdu, KEY, TrustStore([pki.csca_cert]), groups=(1, 2, 11))
    reading = session.read()
    assert reading.mrz.text == MRZ
    assert reading.groups == card.groups
    assert decode_ef_com(reading.files["EF.COM"]).data_groups == (1, 2, 11)
    assert reading.passive_auth.outcome is PaOutcome.VALID
    assert reading.passive_auth.checked_groups == [1, 2, 11]
    assert not reading.pace_supported
    face = reading.faces[0]
    assert face.data == decode_dg2(card.groups[2])[0].data
    assert Image.open(io.BytesIO(face.data)).size == (120, 160)
    record = reading.to_record()
    doc = record.identity
    assert doc is not None
    assert doc.kind is DocumentKind.PASSPORT and doc.id_number == "L898902C3"
    assert doc.sex is Sex.FEMALE and doc.birth_date is not None
    assert doc.birth_date.isoformat() == "1974-08-12"
    assert doc.photo_status is PhotoStatus.DECODED and doc.photo is not None
    assert record.blob(doc.photo) == face.data
    check = record.check("passive-authentication")
    assert check is not None and check.outcome is CheckOutcome.PASSED
    assert loads(dumps(record)).check("passive-authentication") is not None


def test_mrz_typed_as_fields_equals_zone() -> None:
    assert AccessKey.from_mrz(MRZ) == KEY


def test_wrong_mrz_is_access_denied(pki: SimPki) -> None:
    card = make_card(pki)
    wrong = AccessKey.from_fields("L898902C3", "740813", "120415")
    with pytest.raises(AccessDenied) as err:
        EmrtdSession(card.apdu, wrong).read()
    assert err.value.code == "bac-failed"
    assert "L898902C3" not in str(err.value)


def test_card_keyed_to_other_mrz_refuses_right_one(pki: SimPki) -> None:
    card = make_card(pki, access_mrz="X12345678074081221204159")
    with pytest.raises(AccessDenied):
        EmrtdSession(card.apdu, KEY).read()


def test_bad_mac_and_6988_are_sm_outcomes(pki: SimPki) -> None:
    with pytest.raises(SecureMessagingError) as err:
        EmrtdSession(make_card(pki, bad_mac_after=3).apdu, KEY).read()
    assert err.value.code == "bad-mac"
    with pytest.raises(SecureMessagingError) as err:
        EmrtdSession(make_card(pki, sm_error_after=5).apdu, KEY).read()
    assert err.value.code == "sm-error" and err.value.sw == 0x6988


def test_pace_only_and_no_application_are_unsupported(pki: SimPki) -> None:
    with pytest.raises(UnsupportedDocument) as err:
        EmrtdSession(make_card(pki, pace_only=True).apdu, KEY).read()
    assert err.value.code == "pace-only"
    with pytest.raises(UnsupportedDocument) as err:
        EmrtdSession(make_card(pki, no_application=True).apdu, KEY).read()
    assert err.value.code == "no-emrtd-application"


def test_tampered_group_and_untrusted_signer(pki: SimPki) -> None:
    trust = TrustStore([pki.csca_cert])
    tampered = EmrtdSession(make_card(pki, tamper_dg=[2]).apdu, KEY, trust).read()
    assert tampered.passive_auth.outcome is PaOutcome.HASH_MISMATCH
    assert tampered.passive_auth.mismatched_groups == [2]
    check = tampered.passive_auth.to_check()
    assert check.outcome is CheckOutcome.FAILED and check.details["result"] == "hash-mismatch"
    other = TrustStore([SimPki.generate().csca_cert])
    untrusted = EmrtdSession(make_card(pki).apdu, KEY, other).read()
    assert untrusted.passive_auth.outcome is PaOutcome.UNTRUSTED_SIGNER
    unchecked = EmrtdSession(make_card(pki).apdu, KEY, None).read()
    assert unchecked.passive_auth.outcome is PaOutcome.NOT_CHECKED
    assert unchecked.passive_auth.to_check().outcome is CheckOutcome.NOT_CHECKED


def test_forged_signature_is_invalid(pki: SimPki) -> None:
    card = make_card(pki)
    sod = bytearray(card.sod)
    sod[-5] ^= 0x01  # inside the ECDSA signature
    result = verify(bytes(sod), card.groups, TrustStore([pki.csca_cert]))
    assert result.outcome is PaOutcome.INVALID_SIGNATURE
    assert parse_sod(card.sod).hashes.keys() == {1, 2, 11}


def test_deadline_is_a_typed_timeout(pki: SimPki) -> None:
    card = make_card(pki)
    budget = iter(range(20, -1000, -1))
    with pytest.raises(DeviceTimeout) as err:
        EmrtdSession(card.apdu, KEY, time_left=lambda: float(next(budget))).read()
    assert "eMRTD" in err.value.awaited


def test_jpeg2000_face_round_trips() -> None:
    image = synthetic_face(64, 80, fmt="jpeg2000")
    face = decode_dg2(encode_dg2(image, 64, 80, jpeg2000=True))[0]
    assert face.media_type == "image/jp2"
    assert Image.open(io.BytesIO(face.data)).size == (64, 80)


def test_response_chaining_in_simulator(pki: SimPki) -> None:
    card = make_card(pki, response_chunk=4)
    raw = card.apdu(bytes.fromhex("00A4040C07A0000002471001"))
    assert raw == b"\x90\x00"
    first = card.apdu(bytes.fromhex("0084000008"))
    assert first[-2] == 0x61 and len(first) == 6
    rest = card.apdu(bytes([0, 0xC0, 0, 0, first[-1]]))
    assert rest[-2:] == b"\x90\x00" and len(rest) == 6


def _big_image(fmt: str = "JPEG") -> bytes:
    """A flat 2100x2000 image (a hostile chip's DG2 must stay under 32 KB: JPEG 2000
    does)."""
    buf = io.BytesIO()
    Image.new("L", (2100, 2000), 128).save(buf, fmt)
    return buf.getvalue()


def test_an_oversized_chip_face_is_kept_undecoded(pki: SimPki) -> None:
    from idcapture.drivers.emrtd.session import MAX_FACE_PIXELS

    assert MAX_FACE_PIXELS < 2100 * 2000
    big = _big_image("JPEG2000")
    card = make_card(pki)
    groups = {**card.groups, 2: encode_dg2(big, 2100, 2000, jpeg2000=True)}
    card = EmrtdCard(MRZ, groups, pki, Faults())
    record = EmrtdSession(card.apdu, KEY, TrustStore([pki.csca_cert]),
                          groups=(1, 2)).read().to_record()
    doc = record.identity
    assert doc is not None and doc.photo_status is PhotoStatus.UNDECODED
    # the bytes read are kept as they came
    assert doc.photo is not None and record.blob(doc.photo) == big


def test_the_card_simulator_refuses_an_oversized_face_file(tmp_path: object) -> None:
    from pathlib import Path

    from idcapture.errors import ConfigError

    folder = Path(str(tmp_path))
    (folder / "face.jpg").write_bytes(_big_image())
    with pytest.raises(ConfigError, match="2100x2000: over"):
        card_from_config({"mrz": MRZ, "face": "face.jpg"}, folder)
