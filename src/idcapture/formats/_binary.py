"""Big-endian byte reading with errors that name the field and the byte offset.

Every binary reader in :mod:`idcapture.formats` goes through :class:`ByteReader`, so a
truncated or malformed record always ends in a :class:`FormatError` (a
:class:`~idcapture.errors.RecordError`) and never in an ``IndexError`` or
``struct.error``.
"""

from __future__ import annotations

from ..errors import RecordError

__all__ = ["ByteReader", "FormatError", "check_uint"]


class FormatError(RecordError):
    """A binary record is malformed.

    ``path`` names the field (``iso19794-2.view[0].minutia[3].angle``) and ``offset``
    is the byte position in the record where the field starts.
    """

    default_code = "record-format"

    def __init__(self, message: str, path: str, offset: int, code: str | None = None) -> None:
        super().__init__(f"{message} (at byte {offset})", path, code)
        self.offset = offset
        self.field = path


class ByteReader:
    """Sequential big-endian reader over ``data`` that reports ``prefix.field`` paths."""

    def __init__(self, data: bytes, prefix: str) -> None:
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise FormatError(f"expected bytes, got {type(data).__name__}", prefix, 0)
        self.data = bytes(data)
        self.pos = 0
        self.prefix = prefix

    def path(self, field: str) -> str:
        return f"{self.prefix}.{field}" if field else self.prefix

    def error(self, message: str, field: str, offset: int | None = None) -> FormatError:
        return FormatError(message, self.path(field), self.pos if offset is None else offset)

    @property
    def remaining(self) -> int:
        return len(self.data) - self.pos

    def take(self, n: int, field: str) -> bytes:
        """The next ``n`` bytes; :class:`FormatError` if the data ends first."""
        if n < 0:
            raise self.error(f"negative length {n}", field)
        if self.remaining < n:
            raise self.error(f"truncated: needs {n} bytes, {self.remaining} left", field)
        out = self.data[self.pos:self.pos + n]
        self.pos += n
        return out

    def uint(self, n: int, field: str) -> int:
        return int.from_bytes(self.take(n, field), "big")

    def u8(self, field: str) -> int:
        return self.uint(1, field)

    def u16(self, field: str) -> int:
        return self.uint(2, field)

    def u32(self, field: str) -> int:
        return self.uint(4, field)

    def expect(self, value: bytes, field: str) -> None:
        """Read ``len(value)`` bytes and require them to equal ``value``."""
        start = self.pos
        got = self.take(len(value), field)
        if got != value:
            raise self.error(f"expected {value.hex(' ')}, found {got.hex(' ')}", field, start)

    def check_range(self, value: int, lo: int, hi: int, field: str, offset: int) -> int:
        """Require ``lo <= value <= hi``."""
        if not lo <= value <= hi:
            raise self.error(f"value {value} is outside {lo}..{hi}", field, offset)
        return value

    def check_in(self, value: int, allowed: frozenset[int] | set[int], field: str,
                 offset: int) -> int:
        """Require ``value`` to be one of ``allowed``."""
        if value not in allowed:
            raise self.error(f"value {value} is not one of {sorted(allowed)}", field, offset)
        return value

    def end(self) -> None:
        """Require every byte to have been consumed."""
        if self.remaining:
            raise self.error(f"{self.remaining} unexpected bytes after the record", "")


def check_uint(value: int, bits: int, field: str) -> int:
    """Writer-side check that ``value`` fits ``bits`` unsigned bits (``RecordError`` if not)."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise RecordError(f"expected an integer, got {type(value).__name__}", field)
    if not 0 <= value < (1 << bits):
        raise RecordError(f"value {value} does not fit {bits} unsigned bits", field)
    return value
