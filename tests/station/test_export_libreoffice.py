"""The export workbook opens in LibreOffice Calc as well as in openpyxl: converted to CSV
by ``soffice --headless``, every row and cell reads back as written (ID numbers as
18-character text, not numbers in scientific notation)."""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pytest
from station_helpers import FixedPortraitMaker, card_for, enrol, finger

from idcapture.formats.export_xlsx import DEFAULT_PROFILE
from idcapture.station import Store
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
# comma-separated, double quotes, UTF-8 (76), from row 1
CSV_FILTER = "csv:Text - txt - csv (StarCalc):44,34,76,1"


@pytest.mark.slow
@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice is not installed (./run.sh setup "
                    "installs libreoffice-calc-nogui)")
def test_export_workbook_converts_in_libreoffice(store: Store, students: list[dict[str, str]],
                                                 tmp_path: Path) -> None:
    assert SOFFICE is not None
    enrol(store, students[:4], tmp_path)
    frame = np.full((480, 640, 3), 190, np.uint8)
    for i, row in enumerate(students[:3]):
        s = CaptureSession.start(store, "op1", Steps(portrait=FixedPortraitMaker()))
        s.handle(CardPresented(card_for(row)))
        s.handle(FramePresented(frame))
        s.handle(FingerPresented(finger(40 + 2 * i)))
        s.handle(FingerPresented(finger(41 + 2 * i)))
        s.handle(Save())
    rep = export_package(store, tmp_path / "pkg.zip")
    assert rep.exported == 3
    book = tmp_path / "export.xlsx"
    with zipfile.ZipFile(rep.package) as zf:
        book.write_bytes(zf.read("export.xlsx"))
    wb = openpyxl.load_workbook(book, read_only=True)
    expected = [["" if v is None else str(v) for v in r]
                for r in wb.worksheets[0].iter_rows(values_only=True)]
    wb.close()
    out = tmp_path / "csv"
    profile = (tmp_path / "lo-profile").as_uri()
    proc = subprocess.run([SOFFICE, f"-env:UserInstallation={profile}", "--headless",
                           "--norestore", "--convert-to", CSV_FILTER, "--outdir", str(out),
                           str(book)], capture_output=True, text=True, timeout=240)
    converted = out / "export.csv"
    assert proc.returncode == 0 and converted.is_file(), proc.stderr[-500:]
    rows = list(csv.reader(io.StringIO(converted.read_text("utf-8"))))
    assert rows[0] == DEFAULT_PROFILE.headers
    assert rows == expected
    ids = {r[DEFAULT_PROFILE.headers.index("身份证号")] for r in rows[1:]}
    assert ids == {s["id_number"] for s in students[:3]}
