"""verify_package on packages broken in every way it names: each gives a failed report
with the problem stated, never an exception."""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path

import pytest

from idcapture.station.export import verify_package

PHOTO = bytes(range(256)) * 40


def _package(path: Path, files: dict[str, bytes], manifest: bytes | None) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            zf.writestr(name, data)
        if manifest is not None:
            zf.writestr("manifest.json", manifest)
    return path


def _manifest(files: dict[str, bytes], records: int = 1) -> bytes:
    return json.dumps({"records": records, "files": {
        n: {"sha256": hashlib.sha256(d).hexdigest(), "size": len(d)}
        for n, d in files.items()}}).encode()


def test_a_sound_handmade_package_verifies(tmp_path: Path) -> None:
    files = {"photos/1.jpg": PHOTO, "export.csv": b"a,b\n"}
    report = verify_package(_package(tmp_path / "ok.zip", files, _manifest(files, 3)))
    assert report.ok and report.files_checked == 2 and report.records == 3


@pytest.mark.parametrize(("case", "problem"), [
    ("no file", "not found"),
    ("not a zip", "not a readable ZIP"),
    ("no manifest", "manifest.json is missing"),
    ("manifest not json", "not a valid manifest"),
    ("manifest without files", "not a valid manifest"),
    ("listed but missing", "photos/2.jpg: listed in the manifest but missing"),
    ("size differs", "photos/1.jpg: content does not match"),
])
def test_each_broken_package_names_its_problem(tmp_path: Path, case: str,
                                               problem: str) -> None:
    files = {"photos/1.jpg": PHOTO}
    path = tmp_path / "pkg.zip"
    if case == "not a zip":
        path.write_bytes(b"PK\x03\x04 but then nothing a ZIP reader accepts" * 10)
    elif case == "no manifest":
        _package(path, files, None)
    elif case == "manifest not json":
        _package(path, files, b"{\"files\": ")
    elif case == "manifest without files":
        _package(path, files, b"{\"records\": 1}")
    elif case == "listed but missing":
        _package(path, files, _manifest({**files, "photos/2.jpg": b"x"}))
    elif case == "size differs":
        _package(path, files, json.dumps({"files": {"photos/1.jpg": {
            "sha256": hashlib.sha256(PHOTO).hexdigest(), "size": 1}}}).encode())
    report = verify_package(path)
    assert not report.ok
    assert any(problem in p for p in report.problems), report.problems


def test_an_unreadable_member_is_a_problem_not_an_exception(tmp_path: Path) -> None:
    files = {"photos/1.jpg": PHOTO, "photos/2.jpg": PHOTO[::-1]}
    path = _package(tmp_path / "pkg.zip", files, _manifest(files))
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo("photos/1.jpg")
    # damage the compressed bytes of the first member (past its local header)
    start = info.header_offset + 30 + len(info.filename) + 4
    data[start:start + 16] = bytes(16)
    path.write_bytes(bytes(data))
    report = verify_package(path)
    assert not report.ok
    assert any(p.startswith("photos/1.jpg: ") for p in report.problems), report.problems
    assert report.files_checked == 1  # the other member was still checked
