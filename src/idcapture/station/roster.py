"""Roster import: every row checked, good rows stored, bad rows reported by row and column.

Checks on each row: required fields present; the ID number valid (length, check
character, date, region: :mod:`idcapture.idnumbers`); sex and birth date (when the
roster gives one) agreeing with the number; no duplicate ID number or student-status
number within the file; no ID number already imported for another school. A bad row
never stops the good ones. Re-importing a school's roster updates its students in
place (their registration numbers stay as they are).
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..formats.roster import ColumnMapping, RosterRow, RosterTable, get_mapping, read_roster
from ..i18n import N_
from ..idnumbers import birth_date_from_number, sex_from_number, validate_id_number
from ..record import Sex
from .store import Store
from .store_rows import Student

__all__ = [
    "ImportReport",
    "RosterEntry",
    "RowProblem",
    "import_roster",
    "parse_sex",
    "validate_row",
]

log = logging.getLogger("idcapture.station.roster")

_SEX = {"男": Sex.MALE, "女": Sex.FEMALE, "1": Sex.MALE, "2": Sex.FEMALE, "m": Sex.MALE,
        "f": Sex.FEMALE, "male": Sex.MALE, "female": Sex.FEMALE, "男性": Sex.MALE,
        "女性": Sex.FEMALE}


def parse_sex(text: str) -> Sex | None:
    """Roster sex text (男/女, 1/2, M/F) -> :class:`Sex`; ``None`` if not understood."""
    return _SEX.get(text.strip().lower())


def _parse_date(text: str) -> _dt.date | None:
    t = text.strip().replace("/", "-").replace(".", "-").replace("年", "-").replace(
        "月", "-").replace("日", "")
    if len(t) == 8 and t.isdigit():
        t = f"{t[:4]}-{t[4:6]}-{t[6:]}"
    try:
        y, m, d = (int(p) for p in t.split("-"))
        return _dt.date(y, m, d)
    except (ValueError, TypeError):
        return None


@dataclass(frozen=True)
class RosterEntry:
    """One student as imported (validated and normalised)."""

    id_number: str
    name: str
    sex: Sex
    birth_date: _dt.date
    school_code: str
    school_name: str = ""
    class_name: str = ""
    ethnicity: str = ""
    student_no: str = ""


@dataclass(frozen=True)
class RowProblem:
    """Why a row was rejected: file row number, column letter and field, and a message.

    The message never contains the personal data itself.
    """

    row: int
    column: str
    field: str
    message: str

    def __str__(self) -> str:
        if self.column:
            return N_("row {row}, column {column} ({field}): {message}").format(
                row=self.row, column=self.column, field=self.field, message=self.message)
        return N_("row {row} ({field}): {message}").format(row=self.row, field=self.field,
                                                             message=self.message)


@dataclass
class ImportReport:
    """What an import did: counts and every rejected row with its problems."""

    source: str
    sha256: str
    header_row: int
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[RowProblem] = field(default_factory=list)
    rejected_rows: int = 0
    import_id: int | None = None

    @property
    def accepted(self) -> int:
        return self.added + self.updated + self.unchanged

    def as_dict(self) -> dict[str, Any]:
        return {"source": self.source, "sha256": self.sha256, "header_row": self.header_row,
                "added": self.added, "updated": self.updated, "unchanged": self.unchanged,
                "accepted": self.accepted, "rejected_rows": self.rejected_rows,
                "problems": [{"row": p.row, "column": p.column, "field": p.field,
                              "message": p.message} for p in self.rejected]}


def validate_row(row: RosterRow, table: RosterTable) -> tuple[RosterEntry | None,
                                                               list[RowProblem]]:
    """Check one row on its own (duplicates are checked by :func:`import_roster`)."""
    v = row.values
    problems: list[RowProblem] = []

    def bad(fld: str, message: str) -> None:
        problems.append(RowProblem(row.row, table.column(fld), fld, message))

    for fld, message in row.problems.items():  # refused cells (the reader says why)
        bad(fld, message)
    for fld, empty in (("id_number", N_("ID number is empty")), ("name", N_("name is empty")),
                       ("school_code", N_("school code is empty")), ("sex", N_("sex is empty"))):
        if not v.get(fld) and fld not in row.problems:
            bad(fld, empty)
    number = v.get("id_number", "").upper().replace(" ", "")
    sex = parse_sex(v.get("sex", "")) if v.get("sex") else None
    if v.get("sex") and sex is None:
        bad("sex", N_("sex must be 男 or 女 (or 1/2, M/F)"))
    birth: _dt.date | None = None
    if v.get("birth_date"):
        birth = _parse_date(v["birth_date"])
        if birth is None:
            bad("birth_date", N_("birth date is not a date (YYYY-MM-DD or YYYYMMDD)"))
    if number:
        for p in validate_id_number(number, check_region=True):
            if not p.is_error:
                continue
            bad("id_number", p.message)
        if not any(p.field == "id_number" for p in problems):
            if sex is not None and sex_from_number(number) not in (sex, Sex.UNKNOWN):
                bad("sex", N_("sex does not agree with the ID number"))
            encoded = birth_date_from_number(number)
            if birth is not None and encoded is not None and encoded != birth:
                bad("birth_date", N_("birth date does not agree with the ID number"))
            birth = birth or encoded
    if problems or birth is None or sex is None:
        return None, problems
    return RosterEntry(number, v["name"].strip(), sex, birth, v["school_code"].strip(),
                       v.get("school_name", ""), v.get("class_name", ""),
                       v.get("ethnicity", ""), v.get("student_no", "")), problems


def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def import_roster(store: Store, path: str | Path, mapping: ColumnMapping | str | None = None,
                  operator: str = "", progress: Callable[[int], None] | None = None
                  ) -> ImportReport:
    """Validate every row of the roster at ``path`` and store the good ones.

    Returns an :class:`ImportReport`; the import itself and its counts go to the
    audit log. ``progress`` is called with the number of rows read so far (every
    5,000 rows).
    """
    p = Path(path)
    if isinstance(mapping, ColumnMapping):
        cmap = mapping
    else:
        cmap = get_mapping(mapping if mapping is not None else
                           store.setting("config", {}).get("roster_mapping"))
    table = read_roster(p, cmap)
    report = ImportReport(p.name, _sha256_file(p), table.header_row)
    existing = store.students()
    seen_ids: dict[str, int] = {}
    seen_nos: dict[str, int] = {}
    rows_ok: list[tuple[RosterEntry, int]] = []
    for n, row in enumerate(table.rows, start=1):
        if progress is not None and n % 5000 == 0:
            progress(n)
        entry, problems = validate_row(row, table)
        if entry is not None:
            first = seen_ids.get(entry.id_number)
            if first is not None:
                problems.append(RowProblem(row.row, table.column("id_number"), "id_number",
                                           N_("ID number repeats row {row} of this roster"
                                              ).format(row=first)))
            if entry.student_no:
                first_no = seen_nos.get(entry.student_no)
                if first_no is not None:
                    problems.append(RowProblem(
                        row.row, table.column("student_no"), "student_no",
                        N_("student-status number repeats row {row} of this roster").format(
                            row=first_no)))
            old = existing.get(entry.id_number)
            if old is not None and old["school_code"] != entry.school_code:
                problems.append(RowProblem(
                    row.row, table.column("id_number"), "id_number",
                    N_("ID number is already on the roster of school {school}").format(
                        school=old["school_code"])))
        if entry is not None and not problems:
            seen_ids[entry.id_number] = row.row
            if entry.student_no:
                seen_nos[entry.student_no] = row.row
            rows_ok.append((entry, row.row))
        else:
            report.rejected.extend(problems)
            report.rejected_rows += 1
            if entry is not None:
                seen_ids.setdefault(entry.id_number, row.row)
    added: list[tuple[Student, int]] = []
    updated: list[tuple[Student, int]] = []
    for e, src_row in rows_ok:
        student = Student(id_number=e.id_number, name=e.name, sex=e.sex.value,
                          birth_date=e.birth_date.isoformat(), ethnicity=e.ethnicity,
                          school_code=e.school_code, school_name=e.school_name,
                          class_name=e.class_name, student_no=e.student_no)
        old = existing.get(e.id_number)
        if old is None:
            added.append((student, src_row))
        elif old == student:
            report.unchanged += 1
        else:
            updated.append((student, src_row))
    report.added, report.updated = len(added), len(updated)
    with store.batch():
        report.import_id = store.save_roster_import(report.source, report.sha256, operator,
                                                    len(rows_ok), report.rejected_rows,
                                                    added, updated)
        store.audit(operator or "operator", "roster-imported", subject=report.source,
                    detail=f"added {report.added}, updated {report.updated}, unchanged "
                           f"{report.unchanged}, rejected rows {report.rejected_rows}")
    log.info("roster %s: %d accepted, %d rows rejected", report.source, report.accepted,
             report.rejected_rows)
    for prob in report.rejected[:20]:
        log.debug("rejected %s", prob)
    return report
