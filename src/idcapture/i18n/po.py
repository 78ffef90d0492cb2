"""Reading gettext ``.po`` catalogues and compiling them to ``.mo`` (pure Python).

The ``.po`` files under ``idcapture/locale/<language>/LC_MESSAGES/`` are the source;
``python -m idcapture.i18n`` (run by ``./run.sh setup``) writes the ``.mo`` files beside
them, and a missing or stale ``.mo`` is compiled in memory when a catalogue is loaded,
so a checkout works before set-up too. The ``.mo`` layout is GNU gettext's (the one
:class:`gettext.GNUTranslations` reads): a header, two tables of (length, offset) for
the original and translated strings, then the strings, each NUL-terminated.
"""

from __future__ import annotations

import ast
import struct
from dataclasses import dataclass, field

__all__ = ["Entry", "PoError", "mo_bytes", "parse_po"]

#: what separates a context from its message id inside a ``.mo`` file
CONTEXT_SEPARATOR = "\x04"


class PoError(ValueError):
    """A ``.po`` file that cannot be read (the line is named)."""


@dataclass
class Entry:
    """One message: context, id (and plural id), translations, flags."""

    msgid: str
    msgstr: list[str] = field(default_factory=list)
    msgctxt: str | None = None
    msgid_plural: str | None = None
    flags: set[str] = field(default_factory=set)
    line: int = 0

    @property
    def key(self) -> str:
        """The id as a ``.mo`` file stores it (``context\\x04id``)."""
        return self.msgid if self.msgctxt is None else \
            f"{self.msgctxt}{CONTEXT_SEPARATOR}{self.msgid}"

    @property
    def translated(self) -> bool:
        return any(self.msgstr) and "fuzzy" not in self.flags


def _string(text: str, line: int) -> str:
    text = text.strip()
    if len(text) < 2 or text[0] != '"' or text[-1] != '"':
        raise PoError(f"line {line}: expected a quoted string, got {text[:40]!r}")
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError):
        raise PoError(f"line {line}: bad string {text[:40]!r}") from None
    if not isinstance(value, str):
        raise PoError(f"line {line}: expected a string")
    return value


def parse_po(text: str) -> list[Entry]:
    """Every entry of a ``.po`` file (the header entry, with id ``""``, included)."""
    entries: list[Entry] = []
    fields: dict[str, str] = {}
    flags: set[str] = set()
    current: str | None = None
    start = 0

    def flush() -> None:
        nonlocal fields, flags, current
        if "msgid" in fields:
            strs = [v for k, v in sorted(fields.items()) if k.startswith("msgstr")]
            entries.append(Entry(fields["msgid"], strs, fields.get("msgctxt"),
                                 fields.get("msgid_plural"), flags, start))
        elif fields:
            raise PoError(f"line {start}: an entry without msgid")
        fields, flags, current = {}, set(), None

    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line:
            flush()
            continue
        if line.startswith("#,"):
            flags |= {f.strip() for f in line[2:].split(",") if f.strip()}
            continue
        if line.startswith("#"):
            continue
        if line.startswith('"'):
            if current is None:
                raise PoError(f"line {n}: a continued string without a keyword")
            fields[current] += _string(line, n)
            continue
        keyword, _, rest = line.partition(" ")
        if keyword.startswith("msgstr["):
            keyword = f"msgstr[{int(keyword[7:-1]):03d}]"
        elif keyword not in ("msgctxt", "msgid", "msgid_plural", "msgstr"):
            raise PoError(f"line {n}: unknown keyword {keyword!r}")
        if keyword in ("msgctxt", "msgid") and ("msgstr" in fields or any(
                k.startswith("msgstr[") for k in fields)):
            flush()  # entries not separated by a blank line
        if not fields:
            start = n
        if keyword in fields:
            raise PoError(f"line {n}: {keyword} twice in one entry")
        fields[keyword] = _string(rest, n)
        current = keyword
    flush()
    return entries


def mo_bytes(entries: list[Entry]) -> bytes:
    """The GNU ``.mo`` file of the translated entries (and the header)."""
    pairs: dict[bytes, bytes] = {}
    for e in entries:
        if e.msgid and not e.translated:
            continue  # gettext falls back to the id itself
        key = e.key if e.msgid_plural is None else f"{e.key}\x00{e.msgid_plural}"
        pairs[key.encode("utf-8")] = "\x00".join(e.msgstr).encode("utf-8")
    keys = sorted(pairs)
    ids = b""
    strs = b""
    offsets: list[tuple[int, int, int, int]] = []
    for k in keys:
        offsets.append((len(ids), len(k), len(strs), len(pairs[k])))
        ids += k + b"\x00"
        strs += pairs[k] + b"\x00"
    n = len(keys)
    header_size = 7 * 4
    ids_start = header_size + 16 * n
    strs_start = ids_start + len(ids)
    out = [struct.pack("<7I", 0x950412DE, 0, n, header_size, header_size + 8 * n, 0, 0)]
    out += [struct.pack("<2I", length, ids_start + off) for off, length, _, _ in offsets]
    out += [struct.pack("<2I", length, strs_start + off) for _, _, off, length in offsets]
    return b"".join(out) + ids + strs
