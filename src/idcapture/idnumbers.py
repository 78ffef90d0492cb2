"""Validation and construction of the identity numbers on Chinese chip cards.

Four number schemes share the card platform:

* citizen identity number (GB 11643-1999): 6-digit region code, birth date
  ``YYYYMMDD``, 3-digit sequence whose last digit is odd for men and even for women,
  and an ISO/IEC 7064 MOD 11-2 check character (``0``-``9`` or ``X``);
* the residence permit for Hong Kong, Macao and Taiwan residents: the same structure
  with the region code ``810000``, ``820000`` or ``830000``;
* the foreigner permanent residence card, 2017 version: 15 characters, nationality
  (GB/T 2659 alpha-3), 4-digit acceptance place, birth date ``YYMMDD``, a sequence
  digit and a check digit (weights 7, 3, 1, letters A=10 ... Z=35, sum mod 10);
* the foreigner permanent residence card, 2023 version: 18 digits, ``9``, 2-digit
  province, 3-digit GB/T 2659 numeric nationality, birth date ``YYYYMMDD``, 3-digit
  sequence and a MOD 11-2 check character.

:func:`validate_id_number` returns a list of :class:`IdNumberProblem` (empty when the
number is valid); it never raises for a bad number. Problem messages never contain
the number itself. :func:`id_number_check` turns that into a
:class:`~idcapture.record.Check` for a :class:`~idcapture.record.CaptureRecord`.
The ``make_*`` functions build valid numbers (check character computed) for
rosters, simulators and test fixtures.
"""

from __future__ import annotations

import datetime as _dt
import enum
import re
from dataclasses import dataclass

from .i18n import N_
from .privacy import mask_id_number
from .record import Check, CheckOutcome, DocumentKind, IdentityDocument, Sex, utcnow

__all__ = [
    "HMT_REGION_CODES",
    "PROVINCE_CODES",
    "IdNumberKind",
    "IdNumberProblem",
    "Severity",
    "birth_date_from_number",
    "detect_kind",
    "foreigner_2017_check_digit",
    "id_number_check",
    "is_valid_id_number",
    "kind_for_document",
    "make_citizen_id",
    "make_foreigner_2017_number",
    "make_foreigner_2023_number",
    "make_hmt_permit_number",
    "mod11_2_check_char",
    "region_name",
    "sex_from_number",
    "validate_id_number",
]


class IdNumberKind(str, enum.Enum):
    """Which number scheme an identity number follows."""

    CITIZEN = "citizen"
    HMT_PERMIT = "hmt-permit"
    FOREIGNER_2017 = "foreigner-2017"
    FOREIGNER_2023 = "foreigner-2023"


class Severity(str, enum.Enum):
    """How bad a problem is: an ``error`` makes the number invalid, a ``warning`` does not."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class IdNumberProblem:
    """One thing wrong with an identity number.

    ``code`` is a stable identifier (``length``, ``format``, ``check-digit``,
    ``birth-date``, ``birth-date-mismatch``, ``sex-mismatch``, ``region``,
    ``kind``...). ``message`` is for the operator and never contains the number.
    """

    code: str
    message: str
    severity: Severity = Severity.ERROR

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR


#: First two digits of the GB/T 2260 province-level divisions (71 Taiwan, 81 Hong
#: Kong, 82 Macao included).
PROVINCE_CODES: frozenset[str] = frozenset({
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36",
    "37", "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62",
    "63", "64", "65", "71", "81", "82",
})

#: Region codes of the residence permit for Hong Kong, Macao and Taiwan residents.
HMT_REGION_CODES: dict[str, str] = {
    "810000": "Hong Kong",
    "820000": "Macao",
    "830000": "Taiwan",
}

_MOD11_WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))
_MOD11_CHARS = "10X98765432"
_RE_18 = re.compile(r"^\d{17}[\dX]$")
_RE_2017 = re.compile(r"^[A-Z]{3}\d{12}$")
_RE_2023 = re.compile(r"^9\d{17}$")


def mod11_2_check_char(first17: str) -> str:
    """The ISO/IEC 7064 MOD 11-2 check character of 17 digits (``0``-``9`` or ``X``)."""
    if len(first17) != 17 or not first17.isdigit() or not first17.isascii():
        raise ValueError("MOD 11-2 needs exactly 17 ASCII digits")
    total = sum(int(c) * w for c, w in zip(first17, _MOD11_WEIGHTS))
    return _MOD11_CHARS[total % 11]


def foreigner_2017_check_digit(first14: str) -> str:
    """The check digit of a 2017 permanent residence number from its first 14 characters.

    Weights 7, 3, 1 repeat; letters count A=10 ... Z=35; the digit is the sum mod 10.
    """
    if len(first14) != 14 or not first14.isascii() or not first14.isalnum():
        raise ValueError("the 2017 check digit needs 14 ASCII letters or digits")
    total = 0
    for i, c in enumerate(first14.upper()):
        value = int(c) if c.isdigit() else ord(c) - ord("A") + 10
        total += value * (7, 3, 1)[i % 3]
    return str(total % 10)


def _normalise(number: str) -> str:
    return str(number).strip().upper()


def detect_kind(number: str) -> IdNumberKind | None:
    """Guess the scheme of ``number`` from its shape; ``None`` when none fits."""
    n = _normalise(number)
    if _RE_2017.match(n):
        return IdNumberKind.FOREIGNER_2017
    if _RE_2023.match(n):
        return IdNumberKind.FOREIGNER_2023
    if _RE_18.match(n):
        return IdNumberKind.HMT_PERMIT if n[:6] in HMT_REGION_CODES else IdNumberKind.CITIZEN
    return None


_DOC_KINDS = {
    DocumentKind.RESIDENT_ID: IdNumberKind.CITIZEN,
    DocumentKind.HMT_RESIDENCE_PERMIT: IdNumberKind.HMT_PERMIT,
    DocumentKind.FOREIGNER_PERMANENT_2017: IdNumberKind.FOREIGNER_2017,
    DocumentKind.FOREIGNER_PERMANENT_2023: IdNumberKind.FOREIGNER_2023,
}


def kind_for_document(kind: DocumentKind) -> IdNumberKind | None:
    """The number scheme a document kind carries (``None`` for passports and others)."""
    return _DOC_KINDS.get(kind)


def _date(y: int, m: int, d: int) -> _dt.date | None:
    try:
        return _dt.date(y, m, d)
    except ValueError:
        return None


def birth_date_from_number(number: str, kind: IdNumberKind | None = None) -> _dt.date | None:
    """The birth date encoded in the number, or ``None`` when it is not a real date.

    2017 foreigner numbers carry only ``YYMMDD``; the century is chosen so that the
    date is not in the future.
    """
    n = _normalise(number)
    kind = kind or detect_kind(n)
    if kind in (IdNumberKind.CITIZEN, IdNumberKind.HMT_PERMIT) and len(n) == 18 \
            and n[6:14].isdigit():
        return _date(int(n[6:10]), int(n[10:12]), int(n[12:14]))
    if kind is IdNumberKind.FOREIGNER_2023 and len(n) == 18 and n[6:14].isdigit():
        return _date(int(n[6:10]), int(n[10:12]), int(n[12:14]))
    if kind is IdNumberKind.FOREIGNER_2017 and len(n) == 15 and n[7:13].isdigit():
        yy, mm, dd = int(n[7:9]), int(n[9:11]), int(n[11:13])
        today = _dt.date.today()
        year = 2000 + yy if 2000 + yy <= today.year else 1900 + yy
        found = _date(year, mm, dd)
        if found is not None and found > today:
            found = _date(year - 100, mm, dd)
        return found
    return None


def sex_from_number(number: str, kind: IdNumberKind | None = None) -> Sex:
    """Sex from the parity of the sequence (citizen and HMT numbers only).

    Returns :attr:`Sex.UNKNOWN` for schemes that do not encode it (the 2023 foreigner
    number's parity rule is not established).
    """
    n = _normalise(number)
    kind = kind or detect_kind(n)
    if kind in (IdNumberKind.CITIZEN, IdNumberKind.HMT_PERMIT) and len(n) == 18 \
            and n[16].isdigit():
        return Sex.MALE if int(n[16]) % 2 else Sex.FEMALE
    return Sex.UNKNOWN


def _county_info(code: str) -> dict[str, str] | None:
    """stdnum's GB/T 2260 entry for a 6-digit code, whatever the year it was in use."""
    from stdnum import numdb

    results = numdb.get("cn/loc").info(code[:6])
    info = {k: v for _part, props in results for k, v in props.items()}
    if "county" not in info:
        return None
    # historical names are listed as "[start-end]name,..."; keep the latest name
    counties = [c.split("]", 1)[-1] for c in info["county"].split(",") if c]
    info["county"] = counties[-1] if counties else ""
    return info


def region_name(number: str) -> str | None:
    """The province and county of a citizen number's region code (GB/T 2260), if known.

    The region code is the one in use when the number was first issued, which can be
    decades after birth, so any period of validity of the code is accepted.
    """
    n = _normalise(number)
    if n[:6] in HMT_REGION_CODES:
        return HMT_REGION_CODES[n[:6]]
    if len(n) < 6 or not n[:6].isdigit():
        return None
    info = _county_info(n)
    if info is None:
        return None
    return " ".join(v for v in (info.get("province"), info.get("prefecture"),
                                info.get("county")) if v)


def _coerce_sex(sex: Sex | str | None) -> Sex:
    if sex is None:
        return Sex.UNKNOWN
    if isinstance(sex, Sex):
        return sex
    s = str(sex).strip().lower()
    return {"1": Sex.MALE, "m": Sex.MALE, "male": Sex.MALE, "男": Sex.MALE,
            "2": Sex.FEMALE, "f": Sex.FEMALE, "female": Sex.FEMALE, "女": Sex.FEMALE,
            }.get(s, Sex.UNKNOWN)


def _check_citizen_like(n: str, kind: IdNumberKind, birth_date: _dt.date | None,
                        sex: Sex, check_region: bool) -> list[IdNumberProblem]:
    from stdnum.cn import ric

    problems: list[IdNumberProblem] = []
    if len(n) != 18:
        return [IdNumberProblem("length", f"{kind.value} number has {len(n)} characters, "
                                          "expected 18")]
    if not _RE_18.match(n):
        return [IdNumberProblem("format", f"{kind.value} number must be 17 digits and a "
                                          "digit or X")]
    if ric.calc_check_digit(n) != n[17]:
        problems.append(IdNumberProblem("check-digit", N_("check character does not match "
                                                          "(ISO/IEC 7064 MOD 11-2)")))
    encoded = birth_date_from_number(n, kind)
    if encoded is None:
        problems.append(IdNumberProblem("birth-date", N_("birth date in the number is not a "
                                                         "real date")))
    elif encoded > _dt.date.today():
        problems.append(IdNumberProblem("birth-date", N_("birth date in the number is in the "
                                                         "future")))
    elif birth_date is not None and encoded != birth_date:
        problems.append(IdNumberProblem("birth-date-mismatch", N_("birth date on the card "
                                                                  "differs from the number")))
    if sex in (Sex.MALE, Sex.FEMALE) and sex_from_number(n, kind) is not sex:
        problems.append(IdNumberProblem("sex-mismatch", N_("sex on the card differs from the "
                                                           "parity of the sequence code")))
    if kind is IdNumberKind.HMT_PERMIT:
        if n[:6] not in HMT_REGION_CODES:
            problems.append(IdNumberProblem("region", "residence permit number must start "
                                                      "with 810000, 820000 or 830000"))
    elif n[:6] in HMT_REGION_CODES:
        problems.append(IdNumberProblem("kind", "number starts with a Hong Kong/Macao/"
                                                "Taiwan permit code, not a citizen region"))
    elif n[:2] not in PROVINCE_CODES:
        problems.append(IdNumberProblem("region", N_("region code names no province")))
    elif check_region and _county_info(n) is None:
        problems.append(IdNumberProblem(
            "region", N_("region code is not a known county-level code (GB/T 2260)"),
            Severity.WARNING))
    return problems


def _check_foreigner_2017(n: str, birth_date: _dt.date | None,
                          nationality: str | None) -> list[IdNumberProblem]:
    if len(n) != 15:
        return [IdNumberProblem("length", f"2017 permanent residence number has {len(n)} "
                                          "characters, expected 15")]
    if not _RE_2017.match(n):
        return [IdNumberProblem("format", "2017 permanent residence number must be 3 "
                                          "letters and 12 digits")]
    problems: list[IdNumberProblem] = []
    if foreigner_2017_check_digit(n[:14]) != n[14]:
        problems.append(IdNumberProblem("check-digit", "check digit does not match "
                                                       "(weights 7, 3, 1)"))
    if n[3:5] not in PROVINCE_CODES:
        problems.append(IdNumberProblem("region", "acceptance-place code names no "
                                                  "province"))
    yy, mm, dd = n[7:9], n[9:11], n[11:13]
    if _date(2000, int(mm), int(dd)) is None and _date(1999, int(mm), int(dd)) is None:
        problems.append(IdNumberProblem("birth-date", N_("birth date in the number is not a "
                                                         "real date")))
    elif birth_date is not None and birth_date.strftime("%y%m%d") != yy + mm + dd:
        problems.append(IdNumberProblem("birth-date-mismatch", N_("birth date on the card "
                                                                  "differs from the number")))
    if nationality and nationality.strip().upper() != n[:3]:
        problems.append(IdNumberProblem("nationality-mismatch", "nationality on the card "
                                                                "differs from the number"))
    return problems


def _check_foreigner_2023(n: str, birth_date: _dt.date | None) -> list[IdNumberProblem]:
    if len(n) != 18:
        return [IdNumberProblem("length", f"2023 permanent residence number has {len(n)} "
                                          "characters, expected 18")]
    if not _RE_18.match(n) or n[0] != "9" or not n[:17].isdigit():
        return [IdNumberProblem("format", "2023 permanent residence number must be 9 "
                                          "followed by 16 digits and a digit or X")]
    problems: list[IdNumberProblem] = []
    if mod11_2_check_char(n[:17]) != n[17]:
        problems.append(IdNumberProblem("check-digit", N_("check character does not match "
                                                          "(ISO/IEC 7064 MOD 11-2)")))
    if n[1:3] not in PROVINCE_CODES:
        problems.append(IdNumberProblem("region", "acceptance-place code names no "
                                                  "province"))
    encoded = birth_date_from_number(n, IdNumberKind.FOREIGNER_2023)
    if encoded is None:
        problems.append(IdNumberProblem("birth-date", N_("birth date in the number is not a "
                                                         "real date")))
    elif birth_date is not None and encoded != birth_date:
        problems.append(IdNumberProblem("birth-date-mismatch", N_("birth date on the card "
                                                                  "differs from the number")))
    return problems


def validate_id_number(number: str, kind: IdNumberKind | DocumentKind | str | None = None, *,
                       birth_date: _dt.date | None = None, sex: Sex | str | None = None,
                       nationality: str | None = None,
                       check_region: bool = True) -> list[IdNumberProblem]:
    """Every problem found in ``number``; an empty list means it is valid.

    ``kind`` is an :class:`IdNumberKind`, a :class:`~idcapture.record.DocumentKind`
    or their string values; when omitted it is guessed from the number's shape.
    ``birth_date`` and ``sex`` (the card's own fields) are compared with what the
    number encodes; ``nationality`` (alpha-3) with the 2017 foreigner prefix. A
    region code that stdnum's GB/T 2260 table does not know is a *warning* (the
    table lags new and renamed counties); a province prefix that does not exist is
    an error.
    """
    n = _normalise(number)
    resolved: IdNumberKind | None
    if isinstance(kind, IdNumberKind) or kind is None:
        resolved = kind
    elif isinstance(kind, DocumentKind):
        resolved = kind_for_document(kind)
        if resolved is None:
            return [IdNumberProblem("kind", f"no number rules for {kind.value} documents")]
    else:
        try:
            resolved = IdNumberKind(kind)
        except ValueError:
            try:
                resolved = kind_for_document(DocumentKind(kind))
            except ValueError:
                resolved = None
            if resolved is None:
                return [IdNumberProblem("kind", f"unknown number kind {kind!r}")]
    if not n:
        return [IdNumberProblem("empty", N_("no identity number"))]
    if resolved is None:
        resolved = detect_kind(n)
        if resolved is None:
            if len(n) == 18:
                return [IdNumberProblem("format", "number must be 17 digits and a digit "
                                                  "or X")]
            return [IdNumberProblem("length", f"number has {len(n)} characters; none of "
                                              "the card number schemes fits")]
    s = _coerce_sex(sex)
    if resolved in (IdNumberKind.CITIZEN, IdNumberKind.HMT_PERMIT):
        return _check_citizen_like(n, resolved, birth_date, s, check_region)
    if resolved is IdNumberKind.FOREIGNER_2017:
        return _check_foreigner_2017(n, birth_date, nationality)
    return _check_foreigner_2023(n, birth_date)


def is_valid_id_number(number: str, kind: IdNumberKind | DocumentKind | str | None = None,
                       **kwargs: object) -> bool:
    """``True`` when :func:`validate_id_number` finds no error (warnings allowed)."""
    problems = validate_id_number(number, kind, **kwargs)  # type: ignore[arg-type]
    return not any(p.is_error for p in problems)


def id_number_check(doc: IdentityDocument) -> Check:
    """The ``id-number`` check of a record: number valid and consistent with the card.

    FAILED when an error is found, WARNING when only warnings are, PASSED otherwise,
    NOT_CHECKED for document kinds without number rules. The message names the
    number masked; ``details["problems"]`` lists the problem codes.
    """
    kind = kind_for_document(doc.kind)
    masked = mask_id_number(doc.id_number)
    if kind is None:
        return Check("id-number", CheckOutcome.NOT_CHECKED,
                     N_("no number rules for {kind} documents").format(kind=doc.kind.value),
                     utcnow())
    problems = validate_id_number(doc.id_number, kind, birth_date=doc.birth_date,
                                  sex=doc.sex, nationality=(
                                      doc.nationality_code if kind is
                                      IdNumberKind.FOREIGNER_2017 else None))
    details: dict[str, object] = {"kind": kind.value,
                                  "problems": [p.code for p in problems]}
    if not problems:
        return Check("id-number", CheckOutcome.PASSED,
                     N_("ID number {number}: check digit, birth date and sex agree").format(
                         number=masked),
                     utcnow(), details)
    text = "; ".join(p.message for p in problems)
    outcome = (CheckOutcome.FAILED if any(p.is_error for p in problems)
               else CheckOutcome.WARNING)
    return Check("id-number", outcome,
                 N_("ID number {number}: {problems}").format(number=masked, problems=text),
                 utcnow(), details)


def _seq3(sequence: int) -> str:
    if not 0 <= int(sequence) <= 999:
        raise ValueError("sequence must be 0-999")
    return f"{int(sequence):03d}"


def make_citizen_id(region: str | int, birth_date: _dt.date, sequence: int) -> str:
    """A citizen number for ``region`` (6 digits), ``birth_date`` and ``sequence`` (0-999).

    The sequence's last digit sets the sex: odd for men, even for women. The check
    character is computed.
    """
    reg = f"{int(region):06d}" if isinstance(region, int) else str(region)
    if len(reg) != 6 or not reg.isdigit():
        raise ValueError("region code must be 6 digits")
    body = reg + birth_date.strftime("%Y%m%d") + _seq3(sequence)
    return body + mod11_2_check_char(body)


def make_hmt_permit_number(region: str, birth_date: _dt.date, sequence: int) -> str:
    """A residence-permit number; ``region`` is ``810000``, ``820000`` or ``830000``."""
    if str(region) not in HMT_REGION_CODES:
        raise ValueError("permit region must be 810000, 820000 or 830000")
    return make_citizen_id(str(region), birth_date, sequence)


def make_foreigner_2017_number(nationality: str, place: str, birth_date: _dt.date,
                               sequence: int) -> str:
    """A 2017 permanent residence number (``nationality`` alpha-3, ``place`` 4 digits)."""
    nat = nationality.strip().upper()
    if len(nat) != 3 or not nat.isascii() or not nat.isalpha():
        raise ValueError("nationality must be a 3-letter code")
    if len(place) != 4 or not place.isdigit():
        raise ValueError("acceptance place must be 4 digits")
    if not 0 <= sequence <= 9:
        raise ValueError("sequence must be 0-9")
    body = nat + place + birth_date.strftime("%y%m%d") + str(sequence)
    return body + foreigner_2017_check_digit(body)


def make_foreigner_2023_number(province: str, nationality_numeric: str | int,
                               birth_date: _dt.date, sequence: int) -> str:
    """A 2023 permanent residence number (``province`` 2 digits, nationality numeric)."""
    nat = f"{int(nationality_numeric):03d}" if isinstance(nationality_numeric, int) \
        else str(nationality_numeric)
    if len(province) != 2 or not province.isdigit():
        raise ValueError("province must be 2 digits")
    if len(nat) != 3 or not nat.isdigit():
        raise ValueError("nationality must be a 3-digit numeric code")
    body = "9" + province + nat + birth_date.strftime("%Y%m%d") + _seq3(sequence)
    return body + mod11_2_check_char(body)
