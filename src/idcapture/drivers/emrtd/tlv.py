"""BER-TLV as used by ISO/IEC 7816-4 and the eMRTD logical data structure.

Tags of one to three bytes, lengths in short or long form (up to four length bytes).
Every decoding failure is a :class:`~idcapture.errors.ProtocolError` with the offset.
"""

from __future__ import annotations

from collections.abc import Iterator

from ...errors import ProtocolError

__all__ = ["encode_length", "encode_tlv", "find", "iter_tlv", "read_header", "read_tlv"]


def encode_length(n: int) -> bytes:
    """The BER encoding of length ``n``."""
    if n < 0:
        raise ValueError("negative length")
    if n < 0x80:
        return bytes([n])
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def encode_tlv(tag: int, value: bytes) -> bytes:
    """Tag (as an integer: ``0x5F1F``) || length || value."""
    tag_bytes = tag.to_bytes(max(1, (tag.bit_length() + 7) // 8), "big")
    return tag_bytes + encode_length(len(value)) + value


def read_header(data: bytes, offset: int = 0) -> tuple[int, int, int]:
    """Decode the tag and length at ``offset``: ``(tag, length, value_offset)``."""
    pos = offset
    if pos >= len(data):
        raise ProtocolError("BER-TLV: tag expected, data ended", pos)
    tag = data[pos]
    pos += 1
    if tag & 0x1F == 0x1F:
        for _ in range(2):
            if pos >= len(data):
                raise ProtocolError("BER-TLV: multi-byte tag is cut short", pos)
            tag = (tag << 8) | data[pos]
            pos += 1
            if not data[pos - 1] & 0x80:
                break
        else:
            raise ProtocolError("BER-TLV: tag longer than 3 bytes", offset)
    if pos >= len(data):
        raise ProtocolError("BER-TLV: length expected, data ended", pos)
    first = data[pos]
    pos += 1
    if first < 0x80:
        length = first
    elif first == 0x80 or first > 0x84:
        raise ProtocolError(f"BER-TLV: unsupported length byte {first:02X}", pos - 1)
    else:
        n = first & 0x7F
        if pos + n > len(data):
            raise ProtocolError("BER-TLV: length bytes are cut short", pos)
        length = int.from_bytes(data[pos:pos + n], "big")
        pos += n
    return tag, length, pos


def read_tlv(data: bytes, offset: int = 0) -> tuple[int, bytes, int]:
    """Decode one TLV at ``offset``: ``(tag, value, next_offset)``."""
    tag, length, pos = read_header(data, offset)
    end = pos + length
    if end > len(data):
        raise ProtocolError(f"BER-TLV: value of tag {tag:X} needs {length} bytes, "
                            f"{len(data) - pos} left", pos)
    return tag, data[pos:end], end


def iter_tlv(data: bytes) -> Iterator[tuple[int, bytes]]:
    """Every TLV in ``data`` in order (one level)."""
    pos = 0
    while pos < len(data):
        tag, value, pos = read_tlv(data, pos)
        yield tag, value


def find(data: bytes, tag: int) -> bytes | None:
    """The value of the first TLV with ``tag`` at this level, or None."""
    for t, value in iter_tlv(data):
        if t == tag:
            return value
    return None
