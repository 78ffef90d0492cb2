"""The compiled ID_Fpr (FP_*) simulator and the 512-byte record codec."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from idcapture.drivers.idfpr.api import CDEF, SPEC
from idcapture.drivers.idfpr.record import (
    EnrolResult,
    FingerRecord,
    build_record,
    crc8,
    split_block,
)
from idcapture.errors import ProtocolError
from idcapture.record import FingerPosition
from idcapture.sim.finger.sources import SyntheticSource, fit_to_sensor
from idcapture.transports.native import NativeLibrary, load_library

ROOT = Path(__file__).resolve().parents[3]


def test_header_and_runtime_declarations_agree() -> None:
    header = (ROOT / "native" / "include" / "id_fpr.h").read_text(encoding="utf-8")
    strip = lambda t: " ".join(re.sub(r"/\*.*?\*/", "", t, flags=re.S).split())  # noqa: E731
    assert strip(header) == strip(CDEF)


def test_crc_is_crc8_dvb_s2_and_records_check_to_zero() -> None:
    assert crc8(b"123456789") == 0xBC  # the catalogue check value of CRC-8/DVB-S2
    rec = build_record(16, EnrolResult.SUCCESS, 86, b"\x01\x02")
    assert len(rec) == 512 and crc8(rec) == 0
    parsed = FingerRecord.parse(rec)
    assert (parsed.finger_code, parsed.quality, parsed.position) == (16, 86,
                                                                     FingerPosition.LEFT_THUMB)
    assert parsed.usable and parsed.crc_ok and parsed.problem() == ""
    failed = FingerRecord(build_record(12, EnrolResult.FAILED, 50))
    assert not failed.usable and failed.quality == 0
    assert failed.problem() == "right index: enrolment failed"
    assert FingerRecord(build_record(99, 3, 0)).problem() == "other finger: enrolment not enrolled"


def test_block_sizes() -> None:
    rec = build_record(11, 1, 80)
    assert [r.finger_code for r in split_block(rec + build_record(16, 1, 80))] == [11, 16]
    assert split_block(b"") == []
    with pytest.raises(ProtocolError, match="700 bytes"):
        split_block(rec + bytes(188))
    with pytest.raises(ProtocolError, match="3 bytes"):
        FingerRecord.parse(b"Cab")


@pytest.fixture(scope="module")
def fpr(native_build: Path) -> NativeLibrary:
    path = native_build / "libID_Fpr.so"
    if not path.is_file():
        pytest.skip("libID_Fpr.so simulator not built; ./run.sh setup builds it")
    lib = load_library(SPEC, path)
    assert lib.lib.FP_Begin() == 1
    return lib


def _img(seed: int, n: int) -> np.ndarray:
    return fit_to_sensor(SyntheticSource(seed).impression(n), 256, 360)


def _extract(fpr: NativeLibrary, img: np.ndarray, finger: int = 11) -> tuple[int, bytes]:
    out = fpr.ffi.new("unsigned char[512]")
    rc = fpr.lib.FP_FeatureExtract(0, finger, fpr.ffi.from_buffer(img), out)
    return int(rc), bytes(out)


def _match(fpr: NativeLibrary, a: Any, b: bytes, image: bool = False) -> tuple[int, float]:
    sim = fpr.ffi.new("float *")
    fn = fpr.lib.FP_ImageMatch if image else fpr.lib.FP_FeatureMatch
    rc = fn(fpr.ffi.from_buffer(a), fpr.ffi.from_buffer(b), sim)
    return int(rc), float(sim[0])


def test_templates_match_the_same_finger_and_not_another(fpr: NativeLibrary) -> None:
    rc, t1 = _extract(fpr, _img(21, 0), 16)
    assert rc == 1
    rec = FingerRecord(t1)
    assert rec.usable and rec.crc_ok and rec.finger_code == 16 and 1 <= rec.quality <= 100
    assert t1[1:4] == b"\x01\x8c\x12" and t1[19] > 10 and t1[20:31] == bytes.fromhex(
        "019a010000ffffffffffff")
    assert _extract(fpr, _img(21, 0), 16)[1] == t1  # deterministic
    _, t2 = _extract(fpr, _img(21, 1), 16)
    _, other = _extract(fpr, _img(22, 0), 16)
    genuine = _match(fpr, t1, t2)
    impostor = _match(fpr, t1, other)
    assert genuine[0] == impostor[0] == 1
    assert genuine[1] >= 0.6 and impostor[1] < 0.4
    assert _match(fpr, t1, t1)[1] == pytest.approx(1.0)
    img_genuine = _match(fpr, _img(21, 2), t1, image=True)
    img_impostor = _match(fpr, _img(22, 1), t1, image=True)
    assert img_genuine[0] == 1 and img_genuine[1] >= 0.6 and img_impostor[1] < 0.4


def test_quality_and_empty_records(fpr: NativeLibrary) -> None:
    ffi, lib = fpr.ffi, fpr.lib
    score = ffi.new("unsigned char *")
    assert lib.FP_GetQualityScore(ffi.from_buffer(_img(21, 0)), score) == 1 and score[0] > 30
    blank = np.full((360, 256), 0xFA, np.uint8)
    assert lib.FP_GetQualityScore(ffi.from_buffer(blank), score) == 1 and score[0] == 0
    assert _extract(fpr, blank)[0] == -9
    out = ffi.new("unsigned char[512]")
    assert lib.FP_GenFeatureFromEmpty1(0, 12, out) == 1
    failed = bytes(out)
    assert (failed[0], failed[4], failed[5], crc8(failed)) == (0x43, 2, 12, 0)
    assert lib.FP_GenFeatureFromEmpty2(17, out) == 1 and bytes(out)[4] == 3
    _, live = _extract(fpr, _img(21, 0))
    assert _match(fpr, live, failed) == (1, 0.0)  # not an enrolled finger: similarity 0
    version = ffi.new("unsigned char[4]")
    assert lib.FP_GetVersion(version) == 1 and bytes(version) == b"9901"


def test_return_codes(fpr: NativeLibrary) -> None:
    ffi, lib = fpr.ffi, fpr.lib
    img = ffi.from_buffer(_img(21, 0))
    out = ffi.new("unsigned char[512]")
    sim = ffi.new("float *")
    assert lib.FP_FeatureExtract(0, 11, ffi.NULL, out) == -1
    assert lib.FP_FeatureExtract(0, 42, img, out) == -1  # no such finger code
    bad = bytearray(build_record(11, 1, 80))
    bad[0] = 0x44
    assert lib.FP_FeatureMatch(ffi.from_buffer(bytes(bad)), ffi.from_buffer(bytes(bad)),
                               sim) == -1
    msg = ffi.new("unsigned char[256]")
    packed = ffi.new("unsigned char[20480]")
    assert lib.FP_Compress(0, 1, 11, img, 10, packed, msg) == -3
    assert b"not implemented" in ffi.string(ffi.cast("char *", msg))
    assert lib.FP_Decompress(packed, ffi.new("unsigned char[]", 92160), msg) == -3
    assert fpr.lib.FP_End() == 1
    try:
        assert lib.FP_FeatureExtract(0, 11, img, out) == -9  # before FP_Begin
    finally:
        assert lib.FP_Begin() == 1


@given(st.binary(max_size=1100))
@settings(max_examples=200, deadline=None)
def test_any_block_gives_records_or_a_protocol_error(block: bytes) -> None:
    try:
        records = split_block(block)
    except ProtocolError as exc:
        assert len(block) not in (0, 512, 1024) and exc.position is not None
        return
    for r in records:
        assert isinstance(r.usable, bool) and isinstance(r.problem(), str)
        assert r.usable == (r.problem() == "")
        assert 0 <= r.quality <= 255 and r.finger_name
