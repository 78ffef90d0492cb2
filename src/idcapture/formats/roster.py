"""Reading school rosters from .xlsx and .csv files.

A roster is a table with one student a row. Schools name their columns in Chinese and
not all alike, so a :class:`ColumnMapping` lists, for every roster field, the header
texts that mean it. The default mapping (:data:`DEFAULT_MAPPING`) knows the headers
schools actually use:

=============  ==========================================================
field          headers recognised (after removing spaces, ``*`` and ``:``)
=============  ==========================================================
school_code    学校代码, 学校编码, 学校标识码, 学校编号, 学校识别码
school_name    学校名称, 学校, 学校全称
class_name     班级, 班级名称, 班别, 所在班级, 班级号
name           姓名, 学生姓名, 考生姓名
sex            性别
ethnicity      民族
id_number      身份证号, 身份证号码, 身份证件号, 身份证件号码, 公民身份号码, 证件号码
student_no     学籍号, 全国学籍号, 学籍辅号, 学生学籍号, 国家学籍号
birth_date     出生日期, 出生年月日 (optional: it is also derived from the ID number)
=============  ==========================================================

English headers (``school code``, ``name``, ``id number``...) are recognised too. A
province whose template differs ships a mapping file (JSON, see
:meth:`ColumnMapping.from_dict`); :data:`PROVINCE_MAPPINGS` holds the built-in ones.

The header row need not be the first: a title row above it ("XX中学2024级学生名单") is
common, so the first ten rows are searched for the one that names the most fields.
Reading is streamed (openpyxl read-only mode), so a 60,000-row workbook is read in a
few seconds. This module only reads and normalises text; the station checks each row
(:mod:`idcapture.station.roster`).

Hostile and careless files are refused before anything is stored:

- the file itself: a .csv over :data:`MAX_CSV_BYTES`, an .xlsx whose parts would
  unpack to more than :data:`MAX_XLSX_PART_BYTES` each (shared strings, a sheet) or
  :data:`MAX_XLSX_BYTES` together (read from the ZIP directory, before any XML is
  parsed; a part's real size cannot exceed what the directory says; the shared
  strings, which openpyxl reads whole, have :data:`MAX_SHARED_STRINGS_BYTES`), or more than
  :data:`MAX_ROWS` data rows (counted while streaming) raise :class:`RosterError`;
- a cell: text is NFKC-normalised (which includes NFC), tabs and line breaks become
  spaces; a control character, an unpaired surrogate, a bidirectional override or a
  value longer than its field's limit (:data:`FIELD_LIMITS`) puts a problem on the row
  (:attr:`RosterRow.problems`) naming the field and never the value;
- an ID-number or student-number cell that holds a *number* (Excel keeps 15
  significant digits, so an 18-digit number has lost its last ones) is refused with
  its own message: "stored as a number, digits lost: format the column as text".
"""

from __future__ import annotations

import csv
import datetime as _dt
import io
import json
import re
import unicodedata
import zipfile
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ConfigError, RosterError
from .cells import neutralise, text_cells

__all__ = [
    "DEFAULT_HEADER_TEXT",
    "DEFAULT_MAPPING",
    "FIELD_LIMITS",
    "MAX_CSV_BYTES",
    "MAX_ROWS",
    "MAX_SHARED_STRINGS_BYTES",
    "MAX_XLSX_BYTES",
    "MAX_XLSX_PART_BYTES",
    "NUMBER_STORED_AS_NUMBER",
    "PROVINCE_MAPPINGS",
    "REQUIRED_FIELDS",
    "ROSTER_FIELDS",
    "ColumnMapping",
    "RosterRow",
    "RosterTable",
    "column_letter",
    "field_text",
    "get_mapping",
    "normalise_header",
    "read_roster",
    "write_roster",
]

#: every field a roster row can carry, in the order of the documented layout
ROSTER_FIELDS: tuple[str, ...] = ("school_code", "school_name", "class_name", "name", "sex",
                                  "ethnicity", "id_number", "student_no", "birth_date")
#: fields without which a roster file is refused
REQUIRED_FIELDS: tuple[str, ...] = ("school_code", "name", "sex", "id_number")

#: longest text (characters, after normalisation) each field may hold
FIELD_LIMITS: dict[str, int] = {
    "school_code": 32, "school_name": 100, "class_name": 64, "name": 64, "sex": 8,
    "ethnicity": 32, "id_number": 32, "student_no": 32, "birth_date": 32,
}
#: data rows a roster may have (a school's roster has a few thousand)
MAX_ROWS = 100_000
#: largest .csv roster read
MAX_CSV_BYTES = 64 << 20
#: largest unpacked part (a sheet's XML) of an .xlsx roster
MAX_XLSX_PART_BYTES = 128 << 20
#: largest unpacked shared-string table (read whole by openpyxl, so kept smaller)
MAX_SHARED_STRINGS_BYTES = 32 << 20
#: largest unpacked .xlsx roster, all parts together
MAX_XLSX_BYTES = 256 << 20
#: the message for an ID-number or student-number cell that holds a number
NUMBER_STORED_AS_NUMBER = "stored as a number, digits lost: format the column as text"
#: fields whose cells must be text (numbers lose digits in a spreadsheet)
_TEXT_ONLY = frozenset({"id_number", "student_no"})
#: a number Excel wrote into a CSV in scientific notation (4.40106E+17)
_SCIENTIFIC = re.compile(r"[0-9](?:\.[0-9]+)?[eE]\+?[0-9]+")
#: longest header cell considered when looking for the header row
_MAX_HEADER = 200
#: bidirectional embeddings, overrides and isolates (they make text read differently)
_BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
#: invisible characters copy-and-paste leaves behind, dropped (zero-width space, BOM)
_DROP = {0x200B: None, 0xFEFF: None}
_SPACES = re.compile(r"[\t\r\n\v\f\x85\u2028\u2029]+")

_DEFAULT_HEADERS: dict[str, tuple[str, ...]] = {
    "school_code": ("学校代码", "学校编码", "学校标识码", "学校编号", "学校识别码",
                    "school code", "schoolcode"),
    "school_name": ("学校名称", "学校", "学校全称", "school name", "school"),
    "class_name": ("班级", "班级名称", "班别", "所在班级", "班级号", "class", "class name"),
    "name": ("姓名", "学生姓名", "考生姓名", "name"),
    "sex": ("性别", "sex", "gender"),
    "ethnicity": ("民族", "ethnicity"),
    "id_number": ("身份证号", "身份证号码", "身份证件号", "身份证件号码", "公民身份号码",
                  "证件号码", "id number", "id"),
    "student_no": ("学籍号", "全国学籍号", "学籍辅号", "学生学籍号", "国家学籍号",
                   "student number", "student no"),
    "birth_date": ("出生日期", "出生年月日", "birth date", "date of birth"),
}


def normalise_header(text: object) -> str:
    """A header cell as compared with the mapping: NFKC, no spaces, ``*`` or ``:``, lower."""
    s = "" if text is None else str(text)
    if len(s) > _MAX_HEADER:
        return ""
    s = unicodedata.normalize("NFKC", s)
    s = re.sub(r"[\s*:：()（）]", "", s)
    return s.lower()


@dataclass(frozen=True)
class ColumnMapping:
    """Which header texts name which roster field; one per province template."""

    name: str
    headers: Mapping[str, tuple[str, ...]]
    required: tuple[str, ...] = REQUIRED_FIELDS
    #: worksheet to read (``None``: the first)
    sheet: str | None = None
    #: default school code for templates that carry it in the file name, not a column
    school_code: str | None = None

    def __post_init__(self) -> None:
        unknown = set(self.headers) - set(ROSTER_FIELDS)
        if unknown:
            raise ConfigError(f"column mapping {self.name!r} names unknown fields: "
                              f"{', '.join(sorted(unknown))}")

    def lookup(self) -> dict[str, str]:
        """Normalised header text -> field."""
        out: dict[str, str] = {}
        for fld, texts in self.headers.items():
            for t in texts:
                out[normalise_header(t)] = fld
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], base: ColumnMapping | None = None
                  ) -> ColumnMapping:
        """A mapping from JSON: ``{"name": "...", "headers": {"id_number": ["证件号"]},
        "required": [...], "sheet": "...", "school_code": "...", "extend": true}``.

        With ``"extend": true`` the headers are added to ``base`` (default mapping).
        """
        if not isinstance(data, Mapping) or not isinstance(data.get("headers", {}), Mapping):
            raise ConfigError("a column mapping must be an object with a 'headers' object")
        headers: dict[str, tuple[str, ...]] = {}
        if data.get("extend", True):
            headers.update((base or DEFAULT_MAPPING).headers)
        for fld, texts in data.get("headers", {}).items():
            if isinstance(texts, str):
                texts = [texts]
            headers[fld] = tuple(texts) + (headers.get(fld, ()) if data.get("extend", True)
                                           else ())
        return cls(name=str(data.get("name", "custom")), headers=headers,
                   required=tuple(data.get("required", REQUIRED_FIELDS)),
                   sheet=data.get("sheet"), school_code=data.get("school_code"))

    @classmethod
    def load(cls, path: str | Path) -> ColumnMapping:
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ConfigError(f"cannot read column mapping {Path(path).name!r}: "
                              f"{exc.__class__.__name__}") from None
        return cls.from_dict(data)


DEFAULT_MAPPING = ColumnMapping("default", _DEFAULT_HEADERS)

#: built-in province templates (the key is the GB/T 2260 province prefix or a name)
PROVINCE_MAPPINGS: dict[str, ColumnMapping] = {
    "default": DEFAULT_MAPPING,
    # Guangdong's template labels the ID column 证件号 and the class 行政班.
    "44": ColumnMapping.from_dict({"name": "guangdong",
                                   "headers": {"id_number": ["证件号"],
                                               "class_name": ["行政班"]}}),
}


def get_mapping(name: str | Path | None) -> ColumnMapping:
    """A built-in mapping by key, or a mapping file by path; ``None`` is the default."""
    if name is None or name == "":
        return DEFAULT_MAPPING
    if str(name) in PROVINCE_MAPPINGS:
        return PROVINCE_MAPPINGS[str(name)]
    path = Path(name)
    if path.suffix.lower() == ".json":
        return ColumnMapping.load(path)
    raise ConfigError(f"unknown column mapping {str(name)!r}; built-in: "
                      f"{', '.join(sorted(PROVINCE_MAPPINGS))}, or a .json file")


def column_letter(index: int) -> str:
    """Spreadsheet column name of a 0-based index (0 -> A, 26 -> AA)."""
    n = index + 1
    out = ""
    while n:
        n, r = divmod(n - 1, 26)
        out = chr(65 + r) + out
    return out


@dataclass(frozen=True)
class RosterRow:
    """One data row: its 1-based row number in the file and its normalised values.

    ``problems`` maps a field to why its cell was refused (its value is then ``""``);
    the message never contains the cell's text.
    """

    row: int
    values: dict[str, str]
    problems: dict[str, str] = field(default_factory=dict)


@dataclass
class RosterTable:
    """A roster being read: where each field is, and the rows (an iterator)."""

    source: str
    header_row: int
    columns: dict[str, int]
    rows: Iterator[RosterRow]
    unmapped_headers: list[str] = field(default_factory=list)

    def column(self, fld: str) -> str:
        """The spreadsheet column letter of ``fld`` (``""`` if the file has none)."""
        idx = self.columns.get(fld)
        return column_letter(idx) if idx is not None else ""


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, _dt.datetime):
        return value.date().isoformat()
    if isinstance(value, _dt.date):
        return value.isoformat()
    text = unicodedata.normalize("NFKC", str(value)).strip()
    # drop the apostrophe or tab that forces Excel to keep a number as text
    return text.lstrip("'\t").strip()


def _text_problem(text: str) -> str | None:
    """Why normalised cell text cannot be stored (never quoting it), or ``None``."""
    for ch in text:
        cat = unicodedata.category(ch)
        if cat == "Cc":
            return f"holds the control character U+{ord(ch):04X}"
        if cat == "Cs":
            return "holds an unpaired surrogate (broken Unicode text)"
        if ch in _BIDI:
            return f"holds the text-direction control U+{ord(ch):04X}"
    return None


def field_text(fld: str, value: object) -> tuple[str, str | None]:
    """A roster cell as stored: ``(text, None)``, or ``("", why)`` when refused.

    Applies the cell rules of the module docstring: numbers in text-only fields,
    length, whitespace, NFKC, control characters and surrogates.
    """
    limit = FIELD_LIMITS.get(fld, 100)
    if fld in _TEXT_ONLY and isinstance(value, (int, float)) and not isinstance(value, bool):
        return "", NUMBER_STORED_AS_NUMBER
    raw = "" if value is None else value if isinstance(value, str) else None
    if raw is not None and len(raw) > 4 * limit:  # checked before normalising it
        return "", f"is {len(raw)} characters long, more than the limit of {limit}"
    text = _cell_text(value)
    text = _SPACES.sub(" ", text.translate(_DROP)).strip()
    if len(text) > limit:
        return "", f"is {len(text)} characters long, more than the limit of {limit}"
    problem = _text_problem(text)
    if problem is not None:
        return "", problem
    if fld in _TEXT_ONLY and _SCIENTIFIC.fullmatch(text):
        return "", NUMBER_STORED_AS_NUMBER
    return text, None


def _find_header(rows: list[tuple[object, ...]], mapping: ColumnMapping
                 ) -> tuple[int, dict[str, int], list[str]]:
    lookup = mapping.lookup()
    best = (-1, {}, [])  # type: tuple[int, dict[str, int], list[str]]
    best_hits = 0
    for n, row in enumerate(rows):
        cols: dict[str, int] = {}
        unmapped: list[str] = []
        for i, cell in enumerate(row):
            key = normalise_header(cell)
            if not key:
                continue
            fld = lookup.get(key)
            if fld is not None and fld not in cols:
                cols[fld] = i
            elif fld is None:
                unmapped.append(_cell_text(cell))
        if len(cols) > best_hits:
            best_hits = len(cols)
            best = (n, cols, unmapped)
    return best


def _table(source: str, rows: Iterator[tuple[object, ...]], mapping: ColumnMapping
           ) -> RosterTable:
    head: list[tuple[object, ...]] = []
    for row in rows:
        head.append(tuple(row))
        if len(head) >= 10:
            break
    idx, cols, unmapped = _find_header(head, mapping)
    if mapping.school_code and "school_code" not in cols:
        cols_required = [f for f in mapping.required if f != "school_code"]
    else:
        cols_required = list(mapping.required)
    missing = [f for f in cols_required if f not in cols]
    if idx < 0 or missing:
        raise RosterError(f"roster {source!r}: no header row names the required column(s) "
                          f"{', '.join(missing or cols_required)} (mapping {mapping.name!r})",
                          "roster-columns")

    def gen() -> Iterator[RosterRow]:
        def make(n: int, row: tuple[object, ...]) -> RosterRow | None:
            values: dict[str, str] = {}
            problems: dict[str, str] = {}
            for f, i in cols.items():
                text, problem = field_text(f, row[i] if i < len(row) else None)
                values[f] = text
                if problem is not None:
                    problems[f] = problem
            if not any(values.values()) and not problems:
                return None
            if mapping.school_code and not values.get("school_code") and \
                    "school_code" not in problems:
                values["school_code"] = mapping.school_code
            return RosterRow(n, values, problems)

        count = 0

        def counted(r: RosterRow | None) -> Iterator[RosterRow]:
            nonlocal count
            if r is None:
                return
            count += 1
            if count > MAX_ROWS:
                raise RosterError(f"roster {source!r} has more than {MAX_ROWS} data rows; "
                                  "split it by school or class", "roster-size")
            yield r

        for n, row in enumerate(head[idx + 1:], start=idx + 2):
            yield from counted(make(n, row))
        n = len(head)
        for row in rows:
            n += 1
            yield from counted(make(n, tuple(row)))

    return RosterTable(source, idx + 1, cols, gen(), unmapped)


def _read_csv_text(data: bytes) -> str:
    for enc in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    raise RosterError("roster CSV is neither UTF-8 nor GB18030 text", "roster-encoding")


def _csv_rows(source: str, text: str) -> Iterator[tuple[object, ...]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        for r in reader:
            yield tuple(r)
    except csv.Error as exc:
        raise RosterError(f"roster {source!r}: line {reader.line_num} is not valid CSV "
                          f"({str(exc).split('(')[0].strip()})", "roster-file") from None


#: how .xlsx text escapes a character XML cannot carry (ECMA-376 ST_Xstring: _x0001_)
_XML_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")


def _unescape(m: re.Match[str]) -> str:
    return chr(int(m.group(1), 16))


def _check_xlsx_size(p: Path) -> None:
    """Refuse an .xlsx whose parts would unpack too large (before any XML is parsed)."""
    try:
        with zipfile.ZipFile(p) as zf:
            infos = zf.infolist()
    except (OSError, RuntimeError, zipfile.BadZipFile) as exc:
        raise RosterError(f"cannot read roster {p.name!r}: not a readable .xlsx file "
                          f"({exc.__class__.__name__})", "roster-file") from None
    def limit(info: zipfile.ZipInfo) -> int:
        shared = info.filename.lower().endswith("sharedstrings.xml")
        return MAX_SHARED_STRINGS_BYTES if shared else MAX_XLSX_PART_BYTES

    big = [(i.filename, limit(i)) for i in infos if i.file_size > limit(i)]
    if not big and sum(i.file_size for i in infos) > MAX_XLSX_BYTES:
        big = [("all parts together", MAX_XLSX_BYTES)]
    if big:
        raise RosterError(f"roster {p.name!r}: {big[0][0]} would unpack to more than "
                          f"{big[0][1] >> 20} MiB; a roster is far smaller (is a cell filled "
                          "with junk?)", "roster-size")


def read_roster(path: str | Path, mapping: ColumnMapping | None = None) -> RosterTable:
    """Open a roster (.xlsx or .csv) and locate its columns; rows are read lazily.

    CSV files may be UTF-8 (with or without BOM) or GB18030, as Excel writes them
    on Chinese Windows. Raises :class:`RosterError` when the file cannot be read or a
    required column is missing.
    """
    mapping = mapping or DEFAULT_MAPPING
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix == ".csv":
        try:
            if p.stat().st_size > MAX_CSV_BYTES:
                raise RosterError(f"roster {p.name!r} is larger than {MAX_CSV_BYTES >> 20} MiB",
                                  "roster-size")
            data = p.read_bytes()
        except OSError as exc:
            raise RosterError(f"cannot read roster {p.name!r}: {exc.strerror}",
                              "roster-file") from None
        text = _read_csv_text(data)
        return _table(p.name, _csv_rows(p.name, text), mapping)
    if suffix in (".xlsx", ".xlsm"):
        import openpyxl
        from openpyxl.utils.exceptions import InvalidFileException

        _check_xlsx_size(p)
        # what openpyxl raises on a damaged file, while opening it and while streaming it
        # (RuntimeError: an encrypted part; NotImplementedError, one of its kind: an
        # unknown compression method)
        damaged = (OSError, InvalidFileException, KeyError, ValueError, IndexError, TypeError,
                   AttributeError, EOFError, SyntaxError, RuntimeError, zipfile.BadZipFile,
                   zlib.error)

        def refuse(exc: BaseException) -> RosterError:
            return RosterError(f"cannot read roster {p.name!r}: not a readable .xlsx file "
                               f"({exc.__class__.__name__})", "roster-file")

        try:
            wb = openpyxl.load_workbook(p, read_only=True, data_only=True)
        except damaged as exc:
            raise refuse(exc) from None
        if mapping.sheet is not None:
            if mapping.sheet not in wb.sheetnames:
                wb.close()
                raise RosterError(f"roster {p.name!r} has no sheet {mapping.sheet!r}",
                                  "roster-sheet")
            ws = wb[mapping.sheet]
        elif not wb.worksheets:
            wb.close()
            raise RosterError(f"roster {p.name!r} has no worksheet", "roster-sheet")
        else:
            ws = wb.worksheets[0]

        def rows() -> Iterator[tuple[object, ...]]:
            try:
                for row in ws.iter_rows(values_only=True):
                    yield tuple(_XML_ESCAPE.sub(_unescape, v) if isinstance(v, str) and "_x" in v
                                else v for v in row)
            except damaged as exc:
                raise refuse(exc) from None
            finally:
                wb.close()

        return _table(p.name, rows(), mapping)
    raise RosterError(f"roster {p.name!r}: unsupported file type {suffix or '(none)'!r}; "
                      "use .xlsx or .csv", "roster-file")


#: the documented default header text of each field, used when writing a roster
DEFAULT_HEADER_TEXT: dict[str, str] = {
    "school_code": "学校代码", "school_name": "学校名称", "class_name": "班级", "name": "姓名",
    "sex": "性别", "ethnicity": "民族", "id_number": "身份证号", "student_no": "学籍号",
    "birth_date": "出生日期",
}


def write_roster(path: str | Path, rows: list[dict[str, str]],
                 fields: tuple[str, ...] = ROSTER_FIELDS[:-1], title: str | None = None) -> Path:
    """Write ``rows`` (field -> text) as a roster with the default Chinese headers.

    ``.xlsx`` files are written in openpyxl's write-only mode with every cell a string
    cell (so ID numbers keep all 18 characters); ``.csv`` files as UTF-8 with a BOM, as
    Excel expects. In both, a value a spreadsheet would read as a formula is
    neutralised (:func:`~idcapture.formats.cells.neutralise`; :func:`read_roster`
    removes the quote again). ``title`` adds a title row above the headers, as schools
    often do.
    """
    p = Path(path)
    header = [DEFAULT_HEADER_TEXT[f] for f in fields]
    if p.suffix.lower() == ".csv":
        with p.open("w", encoding="utf-8-sig", newline="") as fh:
            w = csv.writer(fh)
            if title:
                w.writerow([neutralise(title)])
            w.writerow(header)
            for r in rows:
                w.writerow([neutralise(r.get(f, "")) for f in fields])
        return p
    if p.suffix.lower() != ".xlsx":
        raise RosterError(f"cannot write a roster as {p.suffix or '(none)'!r}; use .xlsx or "
                          ".csv", "roster-file")
    import openpyxl

    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("学生名单")
    if title:
        ws.append(text_cells(ws, [title]))
    ws.append(text_cells(ws, header))
    for r in rows:
        ws.append(text_cells(ws, (r.get(f, "") for f in fields)))
    wb.save(p)
    return p
