"""Roster import: column mapping, row checks, the rejected-row report, re-imports."""

from __future__ import annotations

from pathlib import Path

import pytest

from idcapture.errors import RosterError
from idcapture.formats.roster import (
    ColumnMapping,
    get_mapping,
    normalise_header,
    read_roster,
    write_roster,
)
from idcapture.idnumbers import make_citizen_id
from idcapture.station import Store, import_roster


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_good_roster_is_imported_whole(store: Store, students: list[dict[str, str]],
                                       tmp_path: Path, suffix: str) -> None:
    path = write_roster(tmp_path / f"roster{suffix}", students, title="示范中学2025级学生名单")
    report = import_roster(store, path)
    assert report.header_row == 2
    assert report.added == len(students)
    assert report.rejected == []
    row = store.student(students[3]["id_number"])
    assert row is not None
    assert row["name"] == students[3]["name"]
    assert row["class_name"] == students[3]["class_name"]
    assert row["birth_date"] == "20" + students[3]["id_number"][8:10] + "-" + \
        students[3]["id_number"][10:12] + "-" + students[3]["id_number"][12:14]


def test_bad_rows_are_reported_by_row_and_column_and_do_not_stop_good_ones(
        store: Store, students: list[dict[str, str]], tmp_path: Path) -> None:
    rows = [dict(s) for s in students]
    good = rows[0]["id_number"]
    rows[1]["id_number"] = rows[1]["id_number"][:17] + (
        "0" if rows[1]["id_number"][17] != "0" else "1")          # wrong check character
    rows[2]["sex"] = "女" if rows[2]["sex"] == "男" else "男"      # sex disagrees with number
    rows[3]["id_number"] = good                                    # duplicate of row 0
    rows[3]["sex"] = rows[0]["sex"]
    rows[4]["name"] = ""                                           # missing name
    rows[5]["student_no"] = rows[6]["student_no"]                  # duplicate student number
    path = write_roster(tmp_path / "roster.xlsx", rows)
    report = import_roster(store, path)
    # header is row 1; data row i is file row i + 2
    by_row = {(p.row, p.field): p for p in report.rejected}
    assert (3, "id_number") in by_row and by_row[(3, "id_number")].column == "G"
    assert (4, "sex") in by_row and by_row[(4, "sex")].column == "E"
    assert (5, "id_number") in by_row and "row 2" in by_row[(5, "id_number")].message
    assert (6, "name") in by_row and by_row[(6, "name")].column == "D"
    assert (8, "student_no") in by_row and "row 7" in by_row[(8, "student_no")].message
    assert report.rejected_rows == 5
    assert report.added == len(rows) - 5
    for p in report.rejected:  # messages never carry the data itself
        assert not any(s["id_number"] in p.message or s["name"] in p.message for s in students)


def test_birth_date_column_is_checked_against_the_number(
        store: Store, students: list[dict[str, str]], tmp_path: Path) -> None:
    rows = [dict(s) for s in students[:3]]
    n = rows[0]["id_number"]
    rows[0]["birth_date"] = f"{n[6:10]}-{n[10:12]}-{n[12:14]}"
    rows[1]["birth_date"] = "2001-01-01"
    rows[2]["birth_date"] = "not a date"
    path = write_roster(tmp_path / "r.csv", rows, fields=(
        "school_code", "name", "sex", "id_number", "birth_date"))
    report = import_roster(store, path)
    assert report.added == 1
    assert {(p.row, p.field) for p in report.rejected} == {(3, "birth_date"), (4, "birth_date")}


def test_reimport_updates_in_place_and_other_school_duplicates_are_refused(
        store: Store, students: list[dict[str, str]], tmp_path: Path) -> None:
    first = write_roster(tmp_path / "a.xlsx", students)
    assert import_roster(store, first).added == len(students)
    changed = [dict(s) for s in students]
    changed[0]["class_name"] = "高一(9)班"
    again = import_roster(store, write_roster(tmp_path / "b.xlsx", changed))
    assert (again.added, again.updated, again.unchanged) == (0, 1, len(students) - 1)
    other = [dict(students[1], school_code="4401069999"),
             {**students[1], "id_number": make_citizen_id("440106", __import__(
                 "datetime").date(2008, 5, 5), 11), "student_no": "G1", "sex": "男",
              "school_code": "4401069999"}]
    rep = import_roster(store, write_roster(tmp_path / "c.xlsx", other))
    assert rep.added == 1
    assert [(p.row, p.field) for p in rep.rejected] == [(2, "id_number")]
    assert "already on the roster of school 4401060001" in rep.rejected[0].message


def test_missing_required_column_is_a_clear_error(tmp_path: Path,
                                                  students: list[dict[str, str]]) -> None:
    path = write_roster(tmp_path / "r.csv", students, fields=("school_code", "name", "sex"))
    with pytest.raises(RosterError, match="id_number"):
        read_roster(path)


def test_unsupported_and_unreadable_files(tmp_path: Path) -> None:
    (tmp_path / "r.txt").write_text("x")
    with pytest.raises(RosterError, match="unsupported"):
        read_roster(tmp_path / "r.txt")
    (tmp_path / "r.xlsx").write_bytes(b"not a zip")
    with pytest.raises(RosterError, match="not a readable"):
        read_roster(tmp_path / "r.xlsx")


def test_gb18030_csv_and_province_mapping(tmp_path: Path, students: list[dict[str, str]]
                                          ) -> None:
    s = students[0]
    text = ("学校代码,姓名,性别,证件号,行政班\n"
            f"{s['school_code']},{s['name']},{s['sex']},{s['id_number']},{s['class_name']}\n")
    path = tmp_path / "gd.csv"
    path.write_bytes(text.encode("gb18030"))
    with pytest.raises(RosterError):
        read_roster(path)  # the default mapping does not know 证件号
    table = read_roster(path, get_mapping("44"))
    rows = list(table.rows)
    assert rows[0].values["id_number"] == s["id_number"]
    assert rows[0].values["class_name"] == s["class_name"]


def test_mapping_from_json_and_header_normalisation(tmp_path: Path) -> None:
    assert normalise_header(" 身份证号 *") == normalise_header("身份证号（必填）".replace(
        "必填", ""))
    m = ColumnMapping.from_dict({"name": "x", "headers": {"student_no": ["考籍号"]}})
    assert m.lookup()["考籍号"] == "student_no"
    assert m.lookup()["学籍号"] == "student_no"
    from idcapture.errors import ConfigError
    with pytest.raises(ConfigError, match="unknown fields"):
        ColumnMapping.from_dict({"headers": {"shoe_size": ["鞋码"]}})
