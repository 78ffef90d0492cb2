"""The LDS1 files a BAC reader uses: EF.COM, DG1 (the MRZ) and DG2 (the face), both ways.

Decoders turn file bytes into typed values and raise
:class:`~idcapture.errors.ProtocolError` naming the element; the ``encode_*`` builders
are what the card simulator serves. The face image inside DG2 is an ISO/IEC 19794-5
facial record holding a JPEG or JPEG 2000 image.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from ...errors import ProtocolError
from .mrz import MrzFields, parse_mrz
from .tlv import encode_tlv, find, iter_tlv, read_tlv

__all__ = [
    "DG_FID",
    "DG_TAG",
    "EF_COM_FID",
    "EF_SOD_FID",
    "EfCom",
    "FaceImage",
    "decode_dg1",
    "decode_dg2",
    "decode_ef_com",
    "encode_dg1",
    "encode_dg2",
    "encode_ef_com",
    "file_length",
]

EF_COM_FID = 0x011E
EF_SOD_FID = 0x011D
EF_CARD_ACCESS_SFI = 0x1C
#: file tag (first byte of the file) of each data group number
DG_TAG: dict[int, int] = {1: 0x61, 2: 0x75, 3: 0x63, 4: 0x76, 5: 0x65, 6: 0x66, 7: 0x67,
                          8: 0x68, 9: 0x69, 10: 0x6A, 11: 0x6B, 12: 0x6C, 13: 0x6D, 14: 0x6E,
                          15: 0x6F, 16: 0x70}
#: file identifier of each data group number
DG_FID: dict[int, int] = {n: 0x0100 + n for n in DG_TAG}
_DG_OF_TAG = {tag: n for n, tag in DG_TAG.items()}


def file_length(header: bytes) -> int:
    """Total length of a file from its first bytes (tag + BER length)."""
    from .tlv import read_header

    _tag, length, value_offset = read_header(header)
    return value_offset + length


@dataclass(frozen=True)
class EfCom:
    """EF.COM: LDS and Unicode versions and the data groups present."""

    lds_version: str
    unicode_version: str
    data_groups: tuple[int, ...]


def decode_ef_com(data: bytes) -> EfCom:
    tag, value, _ = read_tlv(data)
    if tag != 0x60:
        raise ProtocolError(f"EF.COM starts with tag {tag:02X}, expected 60", 0)
    lds = find(value, 0x5F01) or b""
    uni = find(value, 0x5F36) or b""
    tags = find(value, 0x5C)
    if tags is None:
        raise ProtocolError("EF.COM has no tag list (5C)", 0)
    groups = tuple(sorted(_DG_OF_TAG[t] for t in tags if t in _DG_OF_TAG))
    return EfCom(lds.decode("ascii", "replace"), uni.decode("ascii", "replace"), groups)


def encode_ef_com(data_groups: list[int], lds_version: str = "0107",
                  unicode_version: str = "040000") -> bytes:
    body = (encode_tlv(0x5F01, lds_version.encode()) +
            encode_tlv(0x5F36, unicode_version.encode()) +
            encode_tlv(0x5C, bytes(DG_TAG[n] for n in sorted(data_groups))))
    return encode_tlv(0x60, body)


def decode_dg1(data: bytes) -> MrzFields:
    """DG1 to typed, check-digit-verified MRZ fields."""
    tag, value, _ = read_tlv(data)
    if tag != 0x61:
        raise ProtocolError(f"DG1 starts with tag {tag:02X}, expected 61", 0)
    mrz = find(value, 0x5F1F)
    if mrz is None:
        raise ProtocolError("DG1 has no MRZ element (5F1F)", 0)
    try:
        text = mrz.decode("ascii")
    except UnicodeDecodeError:
        raise ProtocolError("DG1 MRZ is not ASCII", 0) from None
    return parse_mrz(text)


def encode_dg1(mrz: str) -> bytes:
    fields = parse_mrz(mrz)
    return encode_tlv(0x61, encode_tlv(0x5F1F, fields.text.encode("ascii")))


@dataclass(frozen=True)
class FaceImage:
    """The face image of DG2: its bytes, media type and the record's header fields."""

    data: bytes
    media_type: str
    width: int
    height: int
    gender: int = 0
    record: bytes = b""


_JPEG_SOI = b"\xff\xd8\xff"
_JP2_SIG = b"\x00\x00\x00\x0cjP  \r\n\x87\n"
_J2K_SOC = b"\xff\x4f\xff\x51"


def _media_type(image: bytes, image_data_type: int) -> str:
    if image.startswith(_JPEG_SOI):
        return "image/jpeg"
    if image.startswith(_JP2_SIG) or image.startswith(_J2K_SOC):
        return "image/jp2"
    raise ProtocolError(f"DG2 image is neither JPEG nor JPEG 2000 (data type "
                        f"{image_data_type})", 0)


def _parse_facial_record(rec: bytes) -> FaceImage:
    if len(rec) < 14 or rec[:4] != b"FAC\x00":
        raise ProtocolError("DG2 biometric data block is not an ISO/IEC 19794-5 record", 0)
    count = struct.unpack(">H", rec[12:14])[0]
    if count < 1:
        raise ProtocolError("DG2 facial record holds no face", 12)
    pos = 14
    if len(rec) < pos + 20:
        raise ProtocolError("DG2 facial information block is cut short", pos)
    block_len, n_points = struct.unpack(">IH", rec[pos:pos + 6])
    gender = rec[pos + 6]
    pos += 20 + 8 * n_points
    if len(rec) < pos + 12:
        raise ProtocolError("DG2 image information is cut short", pos)
    data_type = rec[pos + 1]
    width, height = struct.unpack(">HH", rec[pos + 2:pos + 6])
    pos += 12
    end = 14 + block_len
    if end > len(rec) or end <= pos:
        raise ProtocolError("DG2 facial record block length is wrong", 14)
    image = rec[pos:end]
    return FaceImage(image, _media_type(image, data_type), width, height, gender, rec)


def decode_dg2(data: bytes) -> list[FaceImage]:
    """Every face image in DG2 (usually one)."""
    tag, value, _ = read_tlv(data)
    if tag != 0x75:
        raise ProtocolError(f"DG2 starts with tag {tag:02X}, expected 75", 0)
    group = find(value, 0x7F61)
    if group is None:
        raise ProtocolError("DG2 has no biometric information group template (7F61)", 0)
    faces: list[FaceImage] = []
    for t, v in iter_tlv(group):
        if t != 0x7F60:
            continue
        block = find(v, 0x5F2E)
        if block is None:
            block = find(v, 0x7F2E)
        if block is None:
            raise ProtocolError("DG2 template has no biometric data block (5F2E/7F2E)", 0)
        faces.append(_parse_facial_record(block))
    if not faces:
        raise ProtocolError("DG2 holds no biometric information template (7F60)", 0)
    return faces


def encode_dg2(image: bytes, width: int, height: int, jpeg2000: bool = False,
               gender: int = 0) -> bytes:
    """DG2 holding one ISO/IEC 19794-5 facial record with ``image``."""
    info = struct.pack(">BBHHBBHH", 1, 1 if jpeg2000 else 0, width, height, 1, 2, 0, 0)
    facial = struct.pack(">IHBBB3sH3s3s", 20 + 12 + len(image), 0, gender, 0, 0, b"\0\0\0",
                         0, b"\0\0\0", b"\0\0\0")
    body = facial + info + image
    record = b"FAC\x00" + b"010\x00" + struct.pack(">IH", 14 + len(body), 1) + body
    header = encode_tlv(0xA1, encode_tlv(0x80, b"\x01\x01") + encode_tlv(0x87, b"\x01\x01") +
                        encode_tlv(0x88, b"\x00\x08"))
    bit = encode_tlv(0x7F60, header + encode_tlv(0x5F2E, record))
    return encode_tlv(0x75, encode_tlv(0x7F61, encode_tlv(0x02, b"\x01") + bit))
