"""verify-export refuses packages whose member names would escape the folder they are
extracted into or read differently elsewhere, listed twice, or a manifest nested to
exhaust the parser."""

from __future__ import annotations

import hashlib
import json
import warnings
import zipfile
from pathlib import Path

import pytest

from idcapture.station import Store
from idcapture.station.export import export_package, verify_package


def _repack(src: Path, dst: Path, extra: list[tuple[str, bytes]],
            manifest_text: str | None = None) -> Path:
    """``src`` with ``extra`` members added and listed in the manifest (or the manifest
    replaced by ``manifest_text``)."""
    with zipfile.ZipFile(src) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    manifest = json.loads(members.pop("manifest.json"))
    for name, data in extra:
        manifest["files"][name] = {"sha256": hashlib.sha256(data).hexdigest(),
                                   "size": len(data)}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate we mean
        with zipfile.ZipFile(dst, "w") as zf:
            for name, data in [*members.items(), *extra]:
                zf.writestr(name, data)
            zf.writestr("manifest.json", manifest_text or json.dumps(manifest))
    return dst


@pytest.fixture
def package(store: Store, tmp_path: Path) -> Path:
    rep = export_package(store, tmp_path / "clean.zip")
    assert verify_package(rep.package).ok
    return rep.package


@pytest.mark.parametrize("name", ["../../../../tmp/x", "/tmp/x", "photos/../../x",
                                  "photos\\..\\..\\x", "C:/x", "photos//x", "./x",
                                  "photos/x\n.jpg"])
def test_unsafe_member_names_are_refused(package: Path, tmp_path: Path, name: str) -> None:
    bad = _repack(package, tmp_path / "bad.zip", [(name, b"payload")])
    report = verify_package(bad)
    assert not report.ok
    assert any("not a safe member name" in p for p in report.problems), report.problems


def test_a_member_twice_is_refused(package: Path, tmp_path: Path) -> None:
    bad = _repack(package, tmp_path / "bad.zip", [("photos/1.jpg", b"a"),
                                                  ("photos/1.jpg", b"a")])
    report = verify_package(bad)
    assert not report.ok
    assert any("more than once" in p for p in report.problems), report.problems


def test_a_name_twice_in_the_manifest_is_refused(package: Path, tmp_path: Path) -> None:
    with zipfile.ZipFile(package) as zf:
        text = zf.read("manifest.json").decode()
    dup = text.replace('"files": {', '"files": {"export.xlsx": {"sha256": "0", "size": 0}, ',
                       1)
    assert dup != text
    report = verify_package(_repack(package, tmp_path / "bad.zip", [], dup))
    assert not report.ok
    assert report.problems == ["manifest.json lists the name 'export.xlsx' twice"]


def test_deeply_nested_manifest_is_a_problem_not_a_crash(package: Path,
                                                         tmp_path: Path) -> None:
    nested = "[" * 100_000 + "]" * 100_000
    report = verify_package(_repack(package, tmp_path / "bad.zip", [], nested))
    assert report.problems == ["manifest.json is not a valid manifest"]
