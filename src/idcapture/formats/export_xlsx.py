"""The Excel workbook of an export package, laid out by a named export profile.

A profile is an ordered list of columns, each a header text and a *source* (a field
the station fills for every exported student). The default profile
(:data:`DEFAULT_PROFILE`, name ``default``) writes, in this order:

==========================  ====================  ====================================
header                      source                content
==========================  ====================  ====================================
报名号                      registration_number   exam registration number
姓名                        name                  name on the roster
性别                        sex                   男 / 女
民族                        ethnicity             as on the roster
出生日期                    birth_date            YYYY-MM-DD
身份证号                    id_number             18 characters, stored as text
学籍号                      student_no            student-status number
学校代码                    school_code
学校名称                    school_name
班级                        class_name
照片文件                    photo_file            path in the package, ``photos/<报名号>.jpg``
右手拇指指纹文件            right_thumb_file      ``fingers/<报名号>_right_thumb.png``
左手拇指指纹文件            left_thumb_file       ``fingers/<报名号>_left_thumb.png``
采集时间                    captured_at           ISO 8601 UTC
采集站                      station_id
检查结果                    check_summary         ``通过`` or the checks that did not pass
==========================  ====================  ====================================

Other sources: ``record_id``, ``card_valid_until``, ``right_thumb_quality``,
``left_thumb_quality``, ``portrait_quality``. A province's layout is a JSON file
``{"name": "...", "sheet": "...", "columns": [["报名号", "registration_number"], ...]}``
loaded with :meth:`ExportProfile.load`. Workbooks are written in openpyxl's
write-only mode (60,000 rows in seconds), every cell as text (a string cell), values
that a spreadsheet would read as a formula neutralised (:mod:`idcapture.formats.cells`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from ..errors import ConfigError
from .cells import text_cells

__all__ = ["DEFAULT_PROFILE", "EXPORT_PROFILES", "SOURCES", "ExportProfile", "get_profile",
           "write_workbook"]

#: every source a column can name
SOURCES: frozenset[str] = frozenset({
    "registration_number", "name", "sex", "ethnicity", "birth_date", "id_number",
    "student_no", "school_code", "school_name", "class_name", "photo_file",
    "right_thumb_file", "left_thumb_file", "captured_at", "station_id", "check_summary",
    "record_id", "card_valid_until", "right_thumb_quality", "left_thumb_quality",
    "portrait_quality",
})


@dataclass(frozen=True)
class ExportProfile:
    """A named column layout for the export workbook."""

    name: str
    columns: tuple[tuple[str, str], ...]
    sheet: str = "考生信息"

    def __post_init__(self) -> None:
        if not self.columns:
            raise ConfigError(f"export profile {self.name!r} has no columns")
        bad = [src for _h, src in self.columns if src not in SOURCES]
        if bad:
            raise ConfigError(f"export profile {self.name!r} names unknown source(s): "
                              f"{', '.join(bad)}; known: {', '.join(sorted(SOURCES))}")

    @property
    def headers(self) -> list[str]:
        return [h for h, _s in self.columns]

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ExportProfile:
        cols = data.get("columns") if isinstance(data, Mapping) else None
        if not isinstance(cols, list) or not all(
                isinstance(c, (list, tuple)) and len(c) == 2 for c in cols):
            raise ConfigError("an export profile needs 'columns': [[header, source], ...]")
        return cls(str(data.get("name", "custom")), tuple((str(h), str(s)) for h, s in cols),
                   str(data.get("sheet", "考生信息")))

    @classmethod
    def load(cls, path: str | Path) -> ExportProfile:
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ConfigError(f"cannot read export profile {Path(path).name!r}: "
                              f"{exc.__class__.__name__}") from None
        return cls.from_dict(data)


DEFAULT_PROFILE = ExportProfile("default", (
    ("报名号", "registration_number"), ("姓名", "name"), ("性别", "sex"), ("民族", "ethnicity"),
    ("出生日期", "birth_date"), ("身份证号", "id_number"), ("学籍号", "student_no"),
    ("学校代码", "school_code"), ("学校名称", "school_name"), ("班级", "class_name"),
    ("照片文件", "photo_file"), ("右手拇指指纹文件", "right_thumb_file"),
    ("左手拇指指纹文件", "left_thumb_file"), ("采集时间", "captured_at"),
    ("采集站", "station_id"), ("检查结果", "check_summary"),
))

#: built-in profiles by name
EXPORT_PROFILES: dict[str, ExportProfile] = {
    "default": DEFAULT_PROFILE,
    # a compact layout: number, name, ID number and the three files
    "compact": ExportProfile("compact", (
        ("报名号", "registration_number"), ("姓名", "name"), ("身份证号", "id_number"),
        ("照片", "photo_file"), ("右拇指", "right_thumb_file"), ("左拇指", "left_thumb_file"),
    )),
}


def get_profile(name: str | Path | None) -> ExportProfile:
    """A built-in profile by name, or a profile file (``.json``); ``None``: the default."""
    if not name:
        return DEFAULT_PROFILE
    if str(name) in EXPORT_PROFILES:
        return EXPORT_PROFILES[str(name)]
    if str(name).lower().endswith(".json"):
        return ExportProfile.load(name)
    raise ConfigError(f"unknown export profile {str(name)!r}; built-in: "
                      f"{', '.join(sorted(EXPORT_PROFILES))}, or a .json file")


def write_workbook(target: str | Path | IO[bytes], profile: ExportProfile,
                   rows: Iterable[Mapping[str, str]]) -> int:
    """Write one sheet: the profile's headers, then one row per mapping (source -> text).

    Every cell is a string cell, neutralised against formula injection
    (:func:`~idcapture.formats.cells.neutralise`). Returns the number of data rows
    written; a value no cell can hold raises :class:`~idcapture.errors.RecordError`
    naming the column, never the value (check rows first with
    :func:`~idcapture.formats.cells.cell_problem`).
    """
    import openpyxl
    from openpyxl.styles import Font

    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet(profile.sheet)
    bold = Font(bold=True)
    head = text_cells(ws, profile.headers)
    for c in head:
        c.font = bold
    ws.append(head)
    sources = [s for _h, s in profile.columns]
    n = 0
    for row in rows:
        ws.append(text_cells(ws, (row.get(s, "") for s in sources)))
        n += 1
    wb.save(target)
    return n
