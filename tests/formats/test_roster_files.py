"""Roster files as schools send them: GB18030 text, cells typed as numbers, dates and
booleans by Excel, a named sheet that is not there, a broken mapping file."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import openpyxl
import pytest

from idcapture.errors import ConfigError, RosterError
from idcapture.formats.roster import (
    NUMBER_STORED_AS_NUMBER,
    ColumnMapping,
    get_mapping,
    read_roster,
)

HEADER = ["学校代码", "姓名", "性别", "身份证号", "学籍号", "出生日期", "班级"]
ID = "440106200805061234"


def test_gb18030_names_beyond_gbk_come_through(tmp_path: Path) -> None:
    # 䶮 (U+4DAE) and 𠀀 (U+20000) exist in GB18030 but not in GBK
    name = "刘䶮𠀀"
    text = "学校代码,姓名,性别,身份证号\n" + f"4401001,{name},1,{ID}\n"
    path = tmp_path / "r.csv"
    path.write_bytes(text.encode("gb18030"))
    with pytest.raises(UnicodeEncodeError):
        text.encode("gbk")  # so a GBK reader could not have read it
    (row,) = read_roster(path).rows
    assert row.values["name"] == name and row.values["id_number"] == ID and row.row == 2


def test_csv_that_is_neither_utf8_nor_gb18030_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    # 0x80 alone is invalid UTF-8, and 0xFF is no GB18030 lead byte
    path.write_bytes("学校代码,姓名\n".encode() + b"\x80\xff\xff\n")
    with pytest.raises(RosterError) as err:
        read_roster(path)
    assert err.value.code == "roster-encoding"


def test_cells_excel_typed_as_numbers_dates_and_booleans(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["2025 级新生名单"])  # a title row above the header
    ws.append(HEADER)
    ws.append([4401001, "张三", 1, ID, 20230001, dt.date(2008, 5, 6), 3])
    ws.append([4401001.0, "李四", 2.0, "'" + ID, 20230002.0,
               dt.datetime(2008, 5, 6, 0, 0), True])
    ws.append([None, None, None, None, None, None, None])  # an empty row is skipped
    ws.append(["４４０１００１", " 王五 ", "1", "\t" + ID, "20230003", "2008-05-06", "3班"])
    path = tmp_path / "r.xlsx"
    wb.save(path)
    table = read_roster(path)
    assert table.header_row == 2
    rows = list(table.rows)
    assert [r.row for r in rows] == [3, 4, 6]
    for r in rows:  # the same text whatever type Excel gave the cell
        assert r.values["school_code"] == "4401001"
        assert r.values["id_number"] == ID
        assert r.values["birth_date"] == "2008-05-06"
    # a student number Excel holds as a number is refused on its row (digits may be lost)
    assert [r.values["student_no"] for r in rows] == ["", "", "20230003"]
    for r in rows[:2]:
        assert r.problems == {"student_no": NUMBER_STORED_AS_NUMBER}
    assert not rows[2].problems
    assert [r.values["sex"] for r in rows] == ["1", "2", "1"]
    assert [r.values["class_name"] for r in rows] == ["3", "True", "3班"]
    assert rows[2].values["name"] == "王五"


def test_a_named_sheet_that_is_missing(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    wb.active.title = "Sheet1"
    wb.active.append(HEADER[:4])
    wb.active.append(["4401001", "张三", "1", ID])
    path = tmp_path / "r.xlsx"
    wb.save(path)
    mapping = ColumnMapping.from_dict({"name": "named", "sheet": "学生名单"})
    with pytest.raises(RosterError, match="学生名单") as err:
        read_roster(path, mapping)
    assert err.value.code == "roster-sheet"
    ok = ColumnMapping.from_dict({"name": "named", "sheet": "Sheet1"})
    assert [r.values["name"] for r in read_roster(path, ok).rows] == ["张三"]


@pytest.mark.parametrize(("content", "says"), [
    ("{\"headers\": {\"id_number\": [\"证件号\"]", "cannot read column mapping"),
    ("[1, 2, 3]", "must be an object"),
    ("{\"headers\": [\"证件号\"]}", "must be an object"),
    ("{\"headers\": {\"shoe_size\": [\"鞋码\"]}}", "unknown fields"),
])
def test_broken_mapping_files_are_config_errors(tmp_path: Path, content: str,
                                                says: str) -> None:
    path = tmp_path / "mapping.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError, match=says):
        get_mapping(path)


def test_missing_mapping_file_and_unknown_name(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"nowhere\.json"):
        get_mapping(tmp_path / "nowhere.json")
    with pytest.raises(ConfigError, match="built-in"):
        get_mapping("guangdong-2019")
    good = tmp_path / "gd.json"
    good.write_text(json.dumps({"name": "gd", "headers": {"id_number": ["证件号"]}}),
                    encoding="utf-8")
    assert get_mapping(good).lookup()["证件号"] == "id_number"
