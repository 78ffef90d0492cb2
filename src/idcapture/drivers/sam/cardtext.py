"""The 256-byte text block of the card: layouts of the four card kinds.

Every field is UCS-2 little-endian, fixed width, padded with spaces. The character at
byte 248 tells the kind: space (resident ID card), ``J`` (HK/Macao/Taiwan residence
permit), ``I`` (foreigner permanent residence card 2017), ``Y`` (2023). Trailing spaces
and NULs are stripped, inner spaces kept (foreign names).

:func:`parse_text_block` gives the raw field strings by name; :func:`build_text_block`
is its inverse (used by the simulators and the tests). The field names are those of the
card data files (see docs/testers/card-files.md).
"""

from __future__ import annotations

from collections.abc import Mapping

from ...errors import ProtocolError
from ...record import DocumentKind

__all__ = ["LAYOUTS", "MARKERS", "TEXT_BLOCK_SIZE", "build_text_block", "kind_of_block",
           "parse_text_block"]

TEXT_BLOCK_SIZE = 256
MARKER_OFFSET = 248

#: card-type marker character -> document kind
MARKERS: dict[str, DocumentKind] = {
    " ": DocumentKind.RESIDENT_ID,
    "J": DocumentKind.HMT_RESIDENCE_PERMIT,
    "I": DocumentKind.FOREIGNER_PERMANENT_2017,
    "Y": DocumentKind.FOREIGNER_PERMANENT_2023,
}

_COMMON_HEAD = (("name", 0, 30), ("sex", 30, 2))
_COMMON_TAIL = (("birth_date", 36, 16), ("address", 52, 70), ("id_number", 122, 36),
                ("issuing_authority", 158, 30), ("valid_from", 188, 16),
                ("valid_until", 204, 16))

#: kind -> (field, byte offset, byte size); the marker at 248 is implied
LAYOUTS: dict[DocumentKind, tuple[tuple[str, int, int], ...]] = {
    DocumentKind.RESIDENT_ID: (*_COMMON_HEAD, ("ethnicity", 32, 4), *_COMMON_TAIL,
                               ("reserved", 220, 28), ("reserved_tail", 250, 6)),
    DocumentKind.HMT_RESIDENCE_PERMIT: (
        *_COMMON_HEAD, ("reserved_32", 32, 4), *_COMMON_TAIL, ("pass_number", 220, 18),
        ("issue_count", 238, 4), ("reserved", 242, 6), ("reserved_tail", 250, 6)),
    DocumentKind.FOREIGNER_PERMANENT_2017: (
        ("name_en", 0, 120), ("sex", 120, 2), ("id_number", 122, 30),
        ("nationality", 152, 6), ("name", 158, 30), ("valid_from", 188, 16),
        ("valid_until", 204, 16), ("birth_date", 220, 16), ("card_version", 236, 4),
        ("authority_code", 240, 8), ("reserved_tail", 250, 6)),
    DocumentKind.FOREIGNER_PERMANENT_2023: (
        ("name", 0, 30), ("sex", 30, 2), ("renewal_count", 32, 4), ("birth_date", 36, 16),
        ("name_en", 52, 70), ("id_number", 122, 36), ("issuing_authority", 158, 30),
        ("valid_from", 188, 16), ("valid_until", 204, 16), ("name_en_2", 220, 22),
        ("nationality", 242, 6), ("previous_link", 250, 6)),
}

_INTERNAL = ("name_en_2",)


def kind_of_block(block: bytes) -> DocumentKind:
    """The card kind of a text block (anything but I/J/Y is a resident card)."""
    if len(block) < MARKER_OFFSET + 2:
        raise ProtocolError(f"text block has {len(block)} bytes, expected 256", len(block),
                            "length")
    marker = block[MARKER_OFFSET:MARKER_OFFSET + 2].decode("utf-16-le", errors="replace")
    return MARKERS.get(marker, DocumentKind.RESIDENT_ID)


def _decode(raw: bytes) -> str:
    return raw.decode("utf-16-le", errors="replace")


def parse_text_block(block: bytes) -> tuple[DocumentKind, dict[str, str]]:
    """The kind and the fields of ``block`` (trailing padding stripped).

    For 2023 cards the two parts of the English name are joined into ``name_en``.
    Reserved areas are returned only when they hold something other than padding.
    """
    if len(block) != TEXT_BLOCK_SIZE:
        raise ProtocolError(f"text block has {len(block)} bytes, expected 256", 0, "length")
    kind = kind_of_block(block)
    fields: dict[str, str] = {}
    for name, off, size in LAYOUTS[kind]:
        fields[name] = _decode(block[off:off + size])
    if kind is DocumentKind.FOREIGNER_PERMANENT_2023:
        fields["name_en"] = fields["name_en"] + fields.pop("name_en_2")
    out = {k: v.rstrip(" \x00") for k, v in fields.items()}
    return kind, {k: v for k, v in out.items() if v or not k.startswith("reserved")}


def build_text_block(kind: DocumentKind, fields: Mapping[str, str]) -> bytes:
    """A 256-byte text block of ``kind`` from ``fields`` (unknown names are an error).

    A value longer than its slot raises :class:`ValueError` naming the field.
    """
    if kind not in LAYOUTS:
        raise ValueError(f"no text block layout for {kind.value}")
    known = {n for n, _, _ in LAYOUTS[kind]} | {"name_en"}
    unknown = set(fields) - known - {"marker"}
    if unknown:
        raise ValueError(f"fields {sorted(unknown)} do not exist on a {kind.value} card")
    values = dict(fields)
    if kind is DocumentKind.FOREIGNER_PERMANENT_2023:
        en = values.pop("name_en", "")
        values["name_en"], values["name_en_2"] = en[:35], en[35:]
    block = bytearray(" ".encode("utf-16-le") * (TEXT_BLOCK_SIZE // 2))
    for name, off, size in LAYOUTS[kind]:
        value = values.get(name, "")
        raw = value.encode("utf-16-le")
        if len(raw) > size:
            shown = "name_en" if name in _INTERNAL else name
            raise ValueError(f"field {shown!r} has {len(value)} characters; its slot holds "
                             f"{size // 2}")
        block[off:off + len(raw)] = raw
    marker = next(m for m, k in MARKERS.items() if k is kind)
    block[MARKER_OFFSET:MARKER_OFFSET + 2] = marker.encode("utf-16-le")
    return bytes(block)
