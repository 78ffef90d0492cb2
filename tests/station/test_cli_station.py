"""``idcapture station ...`` end to end, and the demo (the README's main command)."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import openpyxl
import pytest

from idcapture.cli import main
from idcapture.demo import GUIDED
from idcapture.formats.roster import write_roster
from idcapture.station import Store
from idcapture.station.checking import check_station
from idcapture.synth.students import sample_students


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    return code, capsys.readouterr().out


def test_station_commands(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                          monkeypatch: pytest.MonkeyPatch) -> None:
    st = str(tmp_path / "st")
    rows = sample_students(6, seed=9)
    rows[2]["id_number"] = rows[2]["id_number"][:-1] + (
        "1" if rows[2]["id_number"][-1] != "1" else "2")
    write_roster(tmp_path / "r.xlsx", rows)
    assert run(capsys, "station", "init", "--store", st, "--region", "440106",
               "--year", "2025")[0] == 0
    code, out = run(capsys, "station", "import-roster", str(tmp_path / "r.xlsx"), "--store", st,
                    "--json")
    rep = json.loads(out)
    assert code == 1 and rep["added"] == 5 and rep["problems"][0]["row"] == 4
    code, out = run(capsys, "station", "register", "--store", st, "--json")
    assert code == 0 and json.loads(out)["new"] == 5
    code, out = run(capsys, "station", "capture", "--store", st, "--reader", "sim:id-reader",
                    "--camera", "sim:camera", "--sensor", "sim:fingerprint", "--timeout", "2")
    assert code == 1 and "not on the roster" in out and "110108********1231" in out
    code, out = run(capsys, "station", "check", "--store", st, "--json")
    assert code == 1 and len(json.loads(out)["not_captured"]) == 5
    assert json.loads(out)["refused"][0]["code"] == "not-on-roster"
    code, out = run(capsys, "station", "sessions", "--store", st, "--json")
    assert code == 0 and json.loads(out) == []  # the refused session is finished
    from idcapture.station.session import CaptureSession

    with Store.open(st) as opened:
        left_open = CaptureSession.start(opened, "op9").session_id
    code, out = run(capsys, "station", "sessions", "--store", st, "--json")
    found = json.loads(out)
    assert code == 0 and [(o["session_id"], o["state"], o["operator"]) for o in found] == [
        (left_open, "card", "op9")] and found[0]["age_s"] >= 0
    code, out = run(capsys, "station", "sessions", "--store", st)
    assert "1 unfinished capture sessions" in out and left_open in out
    monkeypatch.setenv("PKG_PW", "s3cret")
    pkg = str(tmp_path / "p.zip.enc")
    assert run(capsys, "station", "export", pkg, "--store", st, "--passphrase-env",
               "PKG_PW")[0] == 0
    assert run(capsys, "station", "verify-export", pkg, "--passphrase-env", "PKG_PW")[0] == 0
    monkeypatch.setenv("PKG_PW", "wrong")
    code, out = run(capsys, "station", "verify-export", pkg, "--passphrase-env", "PKG_PW")
    assert code == 1 and "wrong passphrase" in out
    assert run(capsys, "station", "check", "--store", str(tmp_path / "none"))[0] == 1


@pytest.mark.slow
def test_demo_tells_the_whole_story(capsys: pytest.CaptureFixture[str],
                                    tmp_path: Path) -> None:
    code, out = run(capsys, "demo", "--out", str(tmp_path))
    assert code == 0, out
    assert "not on the roster" in out and "finger-retry" in out
    assert "card-roster-mismatch" in out and "finger-duplicate:left-thumb: failed" in out
    assert out.count("portrait-retry") == len(GUIDED)  # guided, then taken automatically
    # the default duplicate check is the minutiae comparator: it passes every thumb of the
    # 37 distinct students and catches the scripted second impression
    assert "fingerprint duplicate checks (minutiae-mcc): 76 thumbs, 75 passed, 1 failed" in out
    # only the scripted problems are left: the duplicate thumb (blocked) and the accepted
    # name mismatch (attention); every other record passes every check
    with Store.open(tmp_path / "station") as store:
        report = check_station(store)
        problems = {(r.registration_number, p.check, p.outcome)
                    for r in report.with_problems for p in r.problems}
        assert report.records == 38 and report.passed == 36, sorted(problems)
        assert {(c, o) for _, c, o in problems} == {
            ("finger-duplicate:left-thumb", "failed"), ("card-vs-roster", "overridden")}
        assert [r["code"] for r in report.refused] == ["not-on-roster"]
        assert [r["step"] for r in report.retried] == ["right-thumb"]
        outcomes: dict[str, set[str]] = {}
        for sr in store.current_records():
            rec = sr.record(store)
            for c in rec.checks:
                outcomes.setdefault(c.name, set()).add(c.outcome.value)
            assert rec.portrait is not None and rec.identity is not None
            assert rec.identity.photo is not None and rec.identity.photo.media_type == \
                "image/bmp"
            assert all(f.template is not None for f in rec.fingers)
            for c in rec.checks:
                if c.name.startswith("finger-duplicate:"):
                    assert c.details["method"] == "minutiae-mcc"
                    if c.outcome.value == "failed":              # a second impression
                        assert "identical_image" not in c.details and c.related_record
        assert outcomes["face-vs-card"] == {"passed"}
        assert outcomes["face-quality"] == {"passed"}
    pkg = next((tmp_path / "export").glob("*.zip"))
    with zipfile.ZipFile(pkg) as zf:
        wb = openpyxl.load_workbook(io.BytesIO(zf.read("export.xlsx")), read_only=True)
        rows = list(wb.worksheets[0].iter_rows(values_only=True))
        names = set(zf.namelist())
        report = json.loads(zf.read("export-report.json"))
    # 40 on the roster, 2 absent, 1 duplicate thumb left out
    assert len(rows) - 1 == 37 and report["exported"] == 37 and len(report["left_out"]) == 1
    for r in rows[1:]:
        assert len(str(r[5])) == 18 and r[10] in names and r[11] in names and r[12] in names
    assert run(capsys, "station", "verify-export", str(pkg))[0] == 0
    altered = tmp_path / "altered.zip"
    with zipfile.ZipFile(pkg) as src, zipfile.ZipFile(altered, "w") as dst:
        victim = next(n for n in src.namelist() if n.startswith("fingers/"))
        for info in src.infolist():
            data = src.read(info.filename)
            dst.writestr(info, data if info.filename != victim else data[:-1] + b"\x00")
    code, out = run(capsys, "station", "verify-export", str(altered))
    assert code == 1 and victim in out
    for s in sample_students(40, seed=2025):
        assert s["id_number"] not in out and s["name"] not in out


@pytest.mark.slow
def test_demo_with_the_card_fingerprint_check(capsys: pytest.CaptureFixture[str],
                                              tmp_path: Path, native_build: Path) -> None:
    lib = native_build / "libID_Fpr.so"
    if not lib.is_file():
        pytest.skip("libID_Fpr.so simulator not built; ./run.sh setup builds it")
    code, out = run(capsys, "demo", "--out", str(tmp_path), "--finger-algorithm",
                    f"idfpr:?lib={lib}")
    assert code == 0, out
    assert out.count("card-fingerprint-retry") == 2 and "card-fingerprint-decision" in out
    assert "the operator rejected the capture" in out
    assert "not applicable: the card carries no fingerprints" in out
    assert "card-fingerprint checks: 38 students, 36 passed, 1 not-checked, 1 rejected" in out
    with Store.open(tmp_path / "station") as store:
        report = check_station(store)
    assert report.card_fingerprint == {"passed": 36, "not-applicable": 1}
    assert sorted(r["code"] for r in report.refused) == ["card-fingerprint-rejected",
                                                         "not-on-roster"]
