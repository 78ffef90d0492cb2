"""The 512-byte fingerprint record of ID cards and ``FP_FeatureExtract`` (GA/T 1012).

Sans-IO: bytes in, a :class:`FingerRecord` out, and back. The fields every application
reads are fixed (see ``specs``: offset 0 ``0x43``, 4 the enrolment result, 5 the finger
code, 6 the quality 0-100, 511 a CRC-8 over bytes 0-510, polynomial 0xD5, initial 0); the
feature data in between is the algorithm vendor's own and is kept opaque here.

A card's fingerprint block holds 0, 1 or 2 records (0, 512 or 1024 bytes).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from ...errors import ProtocolError
from ...record import FingerPosition

__all__ = [
    "FINGER_CODES",
    "MAGIC",
    "RECORD_SIZE",
    "EnrolResult",
    "FingerRecord",
    "build_record",
    "crc8",
    "finger_code",
    "split_block",
]

RECORD_SIZE = 512
MAGIC = 0x43

#: finger codes of the record (byte 5) -> position; 97/98/99 (right hand, left hand,
#: finger not determined) have no ISO position
FINGER_CODES: dict[int, FingerPosition] = {
    11 + i: FingerPosition(1 + i) for i in range(5)} | {
    16 + i: FingerPosition(6 + i) for i in range(5)} | {
    97: FingerPosition.UNKNOWN, 98: FingerPosition.UNKNOWN, 99: FingerPosition.UNKNOWN}

_CODE_NAMES = {97: "right hand, finger undetermined", 98: "left hand, finger undetermined",
               99: "other finger"}


class EnrolResult(enum.IntEnum):
    """Byte 4: how the finger was enrolled when the card was issued."""

    SUCCESS = 1
    FAILED = 2
    NOT_ENROLLED = 3
    UNKNOWN = 9


def crc8(data: bytes) -> int:
    """CRC-8, polynomial 0xD5, initial 0, no reflection, no final xor (CRC-8/DVB-S2)."""
    crc = 0
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = ((crc << 1) ^ 0xD5) & 0xFF if crc & 0x80 else (crc << 1) & 0xFF
    return crc


def finger_code(position: FingerPosition) -> int:
    """The record's finger code for an ISO position (99 for UNKNOWN)."""
    if position is FingerPosition.UNKNOWN:
        return 99
    return 10 + int(position)


@dataclass(frozen=True)
class FingerRecord:
    """One parsed 512-byte record. ``data`` keeps every byte."""

    data: bytes

    @property
    def magic_ok(self) -> bool:
        return self.data[0] == MAGIC

    @property
    def crc_ok(self) -> bool:
        return crc8(self.data[:511]) == self.data[511]

    @property
    def enrol_result(self) -> int:
        return self.data[4]

    @property
    def finger_code(self) -> int:
        return self.data[5]

    @property
    def quality(self) -> int:
        """0-100; meaningful only when the enrolment succeeded."""
        return self.data[6] if self.enrol_result == EnrolResult.SUCCESS else 0

    @property
    def position(self) -> FingerPosition:
        return FINGER_CODES.get(self.finger_code, FingerPosition.UNKNOWN)

    @property
    def finger_name(self) -> str:
        code = self.finger_code
        if code in _CODE_NAMES:
            return _CODE_NAMES[code]
        if code in FINGER_CODES:
            return FINGER_CODES[code].slug.replace("-", " ")
        return f"finger code {code}"

    @property
    def usable(self) -> bool:
        """Usable for matching: starts with 0x43 and the enrolment succeeded (what
        applications test); the check byte is reported by :meth:`problem` only."""
        return self.magic_ok and self.enrol_result == EnrolResult.SUCCESS

    def problem(self) -> str:
        """Why the record cannot be matched ('' when it can)."""
        if not self.magic_ok:
            return f"record does not start with 0x43 (0x{self.data[0]:02X})"
        if self.enrol_result != EnrolResult.SUCCESS:
            try:
                what = EnrolResult(self.enrol_result).name.lower().replace("_", " ")
            except ValueError:
                what = f"result code {self.enrol_result}"
            return f"{self.finger_name}: enrolment {what}"
        return ""

    @classmethod
    def parse(cls, data: bytes) -> FingerRecord:
        """A record from exactly 512 bytes; :class:`ProtocolError` for another length."""
        if len(data) != RECORD_SIZE:
            raise ProtocolError(f"fingerprint record is {len(data)} bytes, expected "
                                f"{RECORD_SIZE}", len(data), "fp-record-size")
        return cls(bytes(data))


def split_block(block: bytes) -> list[FingerRecord]:
    """The records of a card's fingerprint block (0, 512 or 1024 bytes)."""
    if len(block) % RECORD_SIZE or len(block) > 2 * RECORD_SIZE:
        raise ProtocolError(f"fingerprint block is {len(block)} bytes, expected 0, 512 or "
                            "1024", len(block) - len(block) % RECORD_SIZE, "fp-block-size")
    return [FingerRecord(block[i:i + RECORD_SIZE]) for i in range(0, len(block), RECORD_SIZE)]


def build_record(finger: int, enrol_result: int, quality: int, body: bytes = b"",
                 header: bytes = b"\x01\x8c\x12") -> bytes:
    """A record: 0x43, ``header`` (bytes 1-3), result, finger code, quality, ``body``
    from byte 7 (zero-padded to byte 510), CRC-8."""
    if len(header) != 3 or len(body) > 504:
        raise ValueError("record header must be 3 bytes and the body at most 504")
    for name, v in (("enrolment result", enrol_result), ("finger code", finger),
                    ("quality", quality)):
        if not 0 <= v <= 255:
            raise ValueError(f"{name} must be 0-255, got {v}")
    rec = bytearray(RECORD_SIZE)
    rec[0] = MAGIC
    rec[1:4] = header
    rec[4], rec[5], rec[6] = enrol_result, finger, quality
    rec[7:7 + len(body)] = body
    rec[511] = crc8(bytes(rec[:511]))
    return bytes(rec)
