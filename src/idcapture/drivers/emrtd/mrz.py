"""Machine-readable zones (ICAO Doc 9303 parts 4-6): parsing, check digits, BAC key seed.

:func:`parse_mrz` accepts a TD1 (3 x 30), TD2 (2 x 36) or TD3 (2 x 44) zone, as lines or as
one string, verifies every check digit and returns typed :class:`MrzFields`. Errors are
:class:`~idcapture.drivers.emrtd.errors.MrzError` naming the field, never its content.

:func:`mrz_information` builds the BAC password (document number, birth date and expiry
date, each with its check digit) from the three values an operator types;
:func:`bac_key_seed` hashes it into K_seed.
"""

from __future__ import annotations

import datetime as _dt
import enum
import hashlib
import re
from dataclasses import dataclass

from .errors import MrzError

__all__ = [
    "MrzFields",
    "MrzFormat",
    "bac_key_seed",
    "check_digit",
    "mrz_information",
    "parse_date",
    "parse_mrz",
]

_ALLOWED = re.compile(r"^[A-Z0-9<]*$")
_WEIGHTS = (7, 3, 1)


def _value(ch: str) -> int:
    if "0" <= ch <= "9":
        return ord(ch) - 48
    if "A" <= ch <= "Z":
        return ord(ch) - 55
    if ch == "<":
        return 0
    raise MrzError(f"character {ch!r} is not allowed in an MRZ (only A-Z, 0-9 and '<')",
                   "characters")


def check_digit(data: str) -> str:
    """The ICAO 7-3-1 check digit of ``data`` as one character."""
    return str(sum(_value(c) * _WEIGHTS[i % 3] for i, c in enumerate(data)) % 10)


def _verify(data: str, digit: str, field: str, filler_ok: bool = False) -> None:
    if filler_ok and digit == "<" and set(data) <= {"<"}:
        return
    if not digit.isdigit():
        raise MrzError(f"check digit must be a digit, found {digit!r}", field)
    if check_digit(data) != digit:
        raise MrzError("check digit does not match", field)


class MrzFormat(str, enum.Enum):
    """The three sizes of machine-readable zone."""

    TD1 = "TD1"
    TD2 = "TD2"
    TD3 = "TD3"


@dataclass(frozen=True)
class MrzFields:
    """Every field of a machine-readable zone, fillers removed where they are text.

    Dates are kept as the six MRZ characters (``YYMMDD``); :attr:`birth` and
    :attr:`expiry` give them as :class:`datetime.date`. ``document_number`` is the full
    number (long numbers of TD1/TD2 reassembled from the optional data).
    """

    format: MrzFormat
    document_code: str
    issuing_state: str
    document_number: str
    document_number_check: str
    birth_date: str
    birth_date_check: str
    sex: str
    expiry_date: str
    expiry_date_check: str
    nationality: str
    surname: str
    given_names: str
    optional_data: str
    optional_data_2: str
    composite_check: str
    lines: tuple[str, ...]

    @property
    def birth(self) -> _dt.date:
        """The birth date (the century is the latest one not in the future)."""
        return parse_date(self.birth_date, "birth_date", past=True)

    @property
    def expiry(self) -> _dt.date:
        """The expiry date (20YY unless that is more than 50 years ahead)."""
        return parse_date(self.expiry_date, "expiry_date", past=False)

    @property
    def text(self) -> str:
        """The zone as one string, lines concatenated (as stored in DG1)."""
        return "".join(self.lines)

    def mrz_information(self) -> str:
        """The BAC password: document number, birth and expiry dates with check digits."""
        return mrz_information(self.document_number, self.birth_date, self.expiry_date)

    def __repr__(self) -> str:  # never print personal data by accident
        return f"MrzFields(format={self.format.value}, document_code={self.document_code!r})"


def parse_date(text: str, field: str, past: bool, today: _dt.date | None = None) -> _dt.date:
    """Turn ``YYMMDD`` into a date; ``past`` picks the century for birth dates."""
    if not re.fullmatch(r"\d{6}", text):
        raise MrzError("must be six digits YYMMDD", field)
    yy, mm, dd = int(text[:2]), int(text[2:4]), int(text[4:])
    today = today or _dt.date.today()
    century = today.year // 100 * 100
    year = century + yy
    if past and year > today.year:
        year -= 100
    if not past and year > today.year + 50:
        year -= 100
    try:
        return _dt.date(year, mm, dd)
    except ValueError:
        raise MrzError("is not a valid calendar date", field) from None


def _text(field: str) -> str:
    return re.sub(r"<+", " ", field).strip()


def _names(field: str) -> tuple[str, str]:
    primary, _, secondary = field.partition("<<")
    return _text(primary), _text(secondary)


def _split(mrz: str | list[str] | tuple[str, ...]) -> tuple[str, ...]:
    if isinstance(mrz, str):
        parts = [p.strip() for p in mrz.replace("\r", "\n").split("\n") if p.strip()]
        if len(parts) == 1:
            flat = parts[0]
            for n, width in ((3, 30), (2, 36), (2, 44)):
                if len(flat) == n * width:
                    return tuple(flat[i * width:(i + 1) * width] for i in range(n))
            raise MrzError(f"has {len(flat)} characters; a TD1 zone has 90, TD2 72, TD3 88",
                           "length")
        return tuple(parts)
    return tuple(line.strip() for line in mrz)


def _long_number(number9: str, cd: str, optional: str, field: str) -> tuple[str, str, str]:
    """Reassemble a TD1/TD2 document number longer than 9 characters."""
    if cd != "<":
        return number9.rstrip("<"), cd, optional
    head = number9
    rest, _, tail = optional.partition("<")
    if len(rest) < 2 or "<" in head:
        raise MrzError("check digit is '<' but the optional data holds no continuation", field)
    return head + rest[:-1], rest[-1], "<" + tail if tail else ""


def parse_mrz(mrz: str | list[str] | tuple[str, ...]) -> MrzFields:
    """Parse and fully verify a TD1, TD2 or TD3 machine-readable zone.

    ``mrz`` is the lines (a sequence, or one string with newlines) or the zone as one
    string of 90, 72 or 88 characters. Lower case is accepted and upper-cased.
    """
    lines = tuple(line.upper() for line in _split(mrz))
    widths = tuple(len(line) for line in lines)
    for i, line in enumerate(lines):
        if not _ALLOWED.match(line):
            raise MrzError("holds characters other than A-Z, 0-9 and '<'", f"line {i + 1}")
    if widths == (30, 30, 30):
        return _parse_td1(lines)
    if widths == (36, 36):
        return _parse_td2_3(lines, MrzFormat.TD2)
    if widths == (44, 44):
        return _parse_td2_3(lines, MrzFormat.TD3)
    raise MrzError(f"line lengths {list(widths)} match no format (TD1 3x30, TD2 2x36, "
                   "TD3 2x44)", "length")


def _parse_td2_3(lines: tuple[str, ...], fmt: MrzFormat) -> MrzFields:
    l1, l2 = lines
    surname, given = _names(l1[5:])
    number9, ncd = l2[0:9], l2[9]
    birth, bcd = l2[13:19], l2[19]
    expiry, ecd = l2[21:27], l2[27]
    if fmt is MrzFormat.TD3:
        optional, ocd, composite = l2[28:42], l2[42], l2[43]
        _verify(optional, ocd, "optional_data", filler_ok=True)
        composite_data = l2[0:10] + l2[13:20] + l2[21:43]
        number, ncd_real, opt = number9.rstrip("<"), ncd, optional
        _verify(number9, ncd, "document_number")
    else:
        optional, ocd, composite = l2[28:35], "", l2[35]
        composite_data = l2[0:10] + l2[13:20] + l2[21:35]
        number, ncd_real, opt = _long_number(number9, ncd, optional, "document_number")
        _verify(number.ljust(9, "<"), ncd_real, "document_number")
    _verify(birth, bcd, "birth_date")
    _verify(expiry, ecd, "expiry_date")
    _verify(composite_data, composite, "composite")
    fields = MrzFields(fmt, _text(l1[0:2]), _text(l1[2:5]), number, ncd_real, birth, bcd,
                       l2[20], expiry, ecd, _text(l2[10:13]), surname, given, _text(opt),
                       ocd, composite, lines)
    fields.birth  # noqa: B018 - validates the calendar date
    fields.expiry  # noqa: B018
    return fields


def _parse_td1(lines: tuple[str, ...]) -> MrzFields:
    l1, l2, l3 = lines
    number9, ncd = l1[5:14], l1[14]
    number, ncd_real, opt1 = _long_number(number9, ncd, l1[15:30], "document_number")
    _verify(number.ljust(9, "<"), ncd_real, "document_number")
    birth, bcd = l2[0:6], l2[6]
    expiry, ecd = l2[8:14], l2[14]
    _verify(birth, bcd, "birth_date")
    _verify(expiry, ecd, "expiry_date")
    composite_data = l1[5:30] + l2[0:7] + l2[8:15] + l2[18:29]
    _verify(composite_data, l2[29], "composite")
    surname, given = _names(l3)
    fields = MrzFields(MrzFormat.TD1, _text(l1[0:2]), _text(l1[2:5]), number, ncd_real,
                       birth, bcd, l2[7], expiry, ecd, _text(l2[15:18]), surname, given,
                       _text(opt1), _text(l2[18:29]), l2[29], lines)
    fields.birth  # noqa: B018
    fields.expiry  # noqa: B018
    return fields


def mrz_information(document_number: str, birth_date: str, expiry_date: str) -> str:
    """The BAC password from the three values an operator types.

    ``document_number`` is the number as printed (filler ``<`` added up to 9
    characters; longer numbers are used whole); dates are ``YYMMDD``.
    """
    number = document_number.strip().upper().replace(" ", "")
    if not number or not _ALLOWED.match(number):
        raise MrzError("must be letters A-Z, digits and '<' only", "document_number")
    number = number.ljust(9, "<")
    parts = [number + check_digit(number)]
    for value, field in ((birth_date, "birth_date"), (expiry_date, "expiry_date")):
        value = value.strip()
        parse_date(value, field, past=field == "birth_date")
        parts.append(value + check_digit(value))
    return "".join(parts)


def bac_key_seed(information: str) -> bytes:
    """K_seed: the first 16 bytes of SHA-1 over the MRZ information (ASCII)."""
    if not _ALLOWED.match(information) or len(information) < 24:
        raise MrzError("must be at least 24 characters A-Z, 0-9 and '<'", "mrz_information")
    return hashlib.sha1(information.encode("ascii")).digest()[:16]
