"""Check report, export package, encryption and verification."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pytest
from station_helpers import FixedPortraitMaker, card_for, enrol, finger

from idcapture.errors import ConfigError
from idcapture.formats.export_xlsx import DEFAULT_PROFILE, ExportProfile
from idcapture.i18n import localize
from idcapture.station import Store
from idcapture.station.checking import check_station
from idcapture.station.export import (
    decrypt_package,
    export_package,
    is_encrypted,
    verify_package,
)
from idcapture.station.session import (
    CaptureSession,
    CardPresented,
    FingerPresented,
    FramePresented,
    OperatorDecision,
    Save,
    SessionState,
)
from idcapture.station.steps import Steps

FRAME = np.full((480, 640, 3), 190, np.uint8)


def capture(store: Store, row: dict[str, str], right: np.ndarray, left: np.ndarray,
            keep: bool = False, **card: object) -> None:
    s = CaptureSession.start(store, "op1", Steps(portrait=FixedPortraitMaker()))
    if s.handle(CardPresented(card_for(row, **card))).state is SessionState.DECISION:
        s.handle(OperatorDecision(True, "ok"))
    s.handle(FramePresented(FRAME))
    s.handle(FingerPresented(right, keep_below_quality=keep))
    s.handle(FingerPresented(left))
    assert s.handle(Save()).state is SessionState.SAVED


@pytest.fixture
def station(store: Store, students: list[dict[str, str]], tmp_path: Path) -> Store:
    """Twelve registered students: 0-3 clean, 4 duplicate thumb, 5 low quality kept,
    6 expired card, 7 name mismatch accepted, 8-11 absent."""
    import datetime as _dt

    enrol(store, students, tmp_path)
    for i in range(4):
        capture(store, students[i], finger(10 + 2 * i), finger(11 + 2 * i))
    capture(store, students[4], finger(30), finger(10))
    capture(store, students[5], np.full((400, 300), 235, np.uint8), finger(31), keep=True)
    capture(store, students[6], finger(32), finger(33), valid_until=_dt.date(2020, 1, 1))
    capture(store, students[7], finger(34), finger(35), name=students[7]["name"] + "子")
    return store


def test_check_lists_failed_records_and_absent_students(
        station: Store, students: list[dict[str, str]]) -> None:
    rep = check_station(station)
    assert rep.records == 8
    blocked = {r.id_number_masked: r for r in rep.with_problems if r.blocking}
    masked = [s["id_number"][:6] + "********" + s["id_number"][-4:] for s in students]
    assert set(blocked) == {masked[4], masked[5], masked[6]}
    assert {p.check for p in blocked[masked[4]].problems if p.blocking} == {
        "finger-duplicate:left-thumb"}
    assert {p.check for p in blocked[masked[6]].problems if p.blocking} == {"card-validity"}
    attention = {r.id_number_masked for r in rep.with_problems if not r.blocking}
    assert masked[7] in attention  # accepted mismatch is listed, not blocking
    absent = rep.not_captured
    assert {s["id_number"] for s in absent} == set(masked[8:])
    assert [s["registration_number"] for s in absent] == sorted(
        s["registration_number"] for s in absent)
    text = "\n".join(rep.lines())
    assert not any(s["id_number"] in text or s["name"] in text for s in students)
    counts = next(line for line in rep.lines() if line.startswith("  attention: "))
    zh = localize(counts, "zh")
    assert zh.startswith("  需留意：证件与名单核对：人工确认（1），人证比对：未检查（8）"), zh


def test_check_lists_refused_cards_and_retried_fingers(
        station: Store, students: list[dict[str, str]]) -> None:
    import datetime as _dt

    from idcapture.errors import RetryOutcome, RetryReason
    from idcapture.idnumbers import make_citizen_id
    from idcapture.station.session import FingerRetry

    stranger = dict(students[0], id_number=make_citizen_id("440104", _dt.date(2008, 6, 1), 17))
    s = CaptureSession.start(station, "op1", Steps(portrait=FixedPortraitMaker()))
    assert s.handle(CardPresented(card_for(stranger))).code == "not-on-roster"
    again = CaptureSession.start(station, "op1", Steps(portrait=FixedPortraitMaker()))
    assert again.handle(CardPresented(card_for(students[0]))).code == "already-captured"
    s = CaptureSession.start(station, "op1", Steps(portrait=FixedPortraitMaker()))
    s.handle(CardPresented(card_for(students[8])))
    s.handle(FramePresented(FRAME))
    s.handle(FingerRetry(RetryOutcome(RetryReason.TOO_LIGHT, "too light")))
    s.handle(FingerPresented(finger(50)))
    s.handle(FingerPresented(finger(51)))
    s.handle(Save())
    rep = check_station(station)
    masked = [x["id_number"][:6] + "********" + x["id_number"][-4:]
              for x in (stranger, students[0])]
    assert [(r["id_number"], r["code"]) for r in rep.refused] == [
        (masked[0], "not-on-roster"), (masked[1], "already-captured")]
    assert rep.retried == [{"registration_number": station.registration(
        students[8]["id_number"]), "id_number": students[8]["id_number"][:6] + "********"
        + students[8]["id_number"][-4:], "step": "right-thumb", "attempts": 2}]
    text = "\n".join(rep.lines())
    assert "2 cards refused" in text and "1 finger needed more than one attempt" in text
    assert stranger["id_number"] not in text and students[8]["id_number"] not in text
    assert json.loads(json.dumps(rep.as_dict()))["refused"][0]["code"] == "not-on-roster"


def test_export_writes_rows_files_and_a_manifest(station: Store, tmp_path: Path,
                                                 students: list[dict[str, str]]) -> None:
    seen: list[tuple[int, int]] = []
    rep = export_package(station, tmp_path / "out" / "pkg.zip",
                         progress=lambda d, t: seen.append((d, t)))
    assert rep.exported == 5 and len(rep.left_out) == 3
    assert seen[-1] == (8, 8)
    reasons = " ".join(" ".join(x["reasons"]) for x in rep.left_out)
    assert "finger-duplicate" in reasons and "card-validity" in reasons
    zh = [localize(r, "zh") for x in rep.left_out for r in x["reasons"]]
    duplicate = ("指纹查重：左手拇指：未通过 - "
                 "左手拇指与另一名考生已登记的右手拇指是同一幅图像（记录 ")
    assert any(z.startswith(duplicate) for z in zh), zh
    assert any(z.startswith("证件有效期：") for z in zh), zh
    with zipfile.ZipFile(rep.package) as zf:
        wb = openpyxl.load_workbook(io.BytesIO(zf.read("export.xlsx")), read_only=True)
        rows = list(wb.worksheets[0].iter_rows(values_only=True))
        assert list(rows[0]) == DEFAULT_PROFILE.headers
        assert len(rows) == 6
        by_id = {r[5]: r for r in rows[1:]}
        for i in (0, 1, 2, 3, 7):
            r = by_id[students[i]["id_number"]]
            reg = station.registration(students[i]["id_number"])
            assert r[0] == reg and r[1] == students[i]["name"]
            assert r[10] == f"photos/{reg}.jpg" and r[10] in zf.namelist()
            assert r[11] == f"fingers/{reg}_right_thumb.png" and r[11] in zf.namelist()
        manifest = json.loads(zf.read("manifest.json"))
        assert set(manifest["files"]) == set(zf.namelist()) - {"manifest.json"}
    assert verify_package(rep.package).ok


def test_forced_export_includes_failed_records(station: Store, tmp_path: Path) -> None:
    rep = export_package(station, tmp_path / "pkg.zip", force=True)
    assert rep.exported == 8 and rep.forced == 3 and rep.left_out == []


def test_verify_fails_on_an_altered_image(station: Store, tmp_path: Path) -> None:
    rep = export_package(station, tmp_path / "pkg.zip")
    bad = tmp_path / "bad.zip"
    with zipfile.ZipFile(rep.package) as src, zipfile.ZipFile(bad, "w") as dst:
        victim = next(n for n in src.namelist() if n.startswith("photos/"))
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == victim:
                data = data[:-10] + bytes(10)
            dst.writestr(info, data)
    result = verify_package(bad)
    assert not result.ok and any(victim in p for p in result.problems)
    extra = tmp_path / "extra.zip"
    with zipfile.ZipFile(rep.package) as src, zipfile.ZipFile(extra, "w") as dst:
        for info in src.infolist():
            dst.writestr(info, src.read(info.filename))
        dst.writestr("photos/intruder.jpg", b"x")
    assert any("not in the manifest" in p for p in verify_package(extra).problems)


def test_encrypted_package_round_trip_and_tamper(station: Store, tmp_path: Path) -> None:
    rep = export_package(station, tmp_path / "pkg.zip.enc", passphrase="correct horse")
    assert is_encrypted(rep.package)
    assert b"PK\x03\x04" not in rep.package.read_bytes()[:4096]
    assert verify_package(rep.package, "correct horse").ok
    wrong = verify_package(rep.package, "wrong")
    assert not wrong.ok and "wrong passphrase" in wrong.problems[0]
    assert "passphrase" in verify_package(rep.package).problems[0]
    data = bytearray(rep.package.read_bytes())
    data[len(data) // 2] ^= 0x01
    (tmp_path / "t.enc").write_bytes(bytes(data))
    assert not verify_package(tmp_path / "t.enc", "correct horse").ok
    (tmp_path / "cut.enc").write_bytes(rep.package.read_bytes()[:-20])
    assert not verify_package(tmp_path / "cut.enc", "correct horse").ok
    buf = io.BytesIO()
    decrypt_package(rep.package, buf, "correct horse")
    assert zipfile.ZipFile(buf).testzip() is None


def test_multi_segment_encryption(tmp_path: Path) -> None:
    from idcapture.station.export import encrypt_package

    plain = np.random.default_rng(1).bytes((1 << 20) * 2 + 123)
    (tmp_path / "p").write_bytes(plain)
    encrypt_package(tmp_path / "p", tmp_path / "c", "pw")
    buf = io.BytesIO()
    decrypt_package(tmp_path / "c", buf, "pw")
    assert buf.getvalue() == plain
    data = (tmp_path / "c").read_bytes()
    seg = (1 << 20) + 16
    head = len(data) - 2 * seg - (123 + 16)
    swapped = data[:head] + data[head + seg:head + 2 * seg] + data[head:head + seg] + \
        data[head + 2 * seg:]
    (tmp_path / "s").write_bytes(swapped)
    from idcapture.station.export import PackageError
    with pytest.raises(PackageError):
        decrypt_package(tmp_path / "s", io.BytesIO(), "pw")


def test_export_profiles(station: Store, tmp_path: Path) -> None:
    prof = ExportProfile.from_dict({"name": "x", "columns": [["考号", "registration_number"],
                                                            ["相片", "photo_file"]]})
    rep = export_package(station, tmp_path / "p.zip", profile=prof)
    with zipfile.ZipFile(rep.package) as zf:
        wb = openpyxl.load_workbook(io.BytesIO(zf.read("export.xlsx")), read_only=True)
        rows = list(wb.worksheets[0].iter_rows(values_only=True))
    assert rows[0] == ("考号", "相片") and len(rows) == 6
    with pytest.raises(ConfigError, match="unknown source"):
        ExportProfile.from_dict({"columns": [["x", "shoe_size"]]})
