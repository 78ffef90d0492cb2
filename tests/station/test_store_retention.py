"""Retention: after the exam authority confirms an export, `station purge` removes the
personal data of its records, keeps what it says it keeps, and touches nothing else."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from station_helpers import capture_and_save, enrol

from idcapture.cli import main
from idcapture.errors import RosterError
from idcapture.station import Store


def _bytes(folder: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file())


def test_purge_after_a_confirmed_export(tmp_path: Path, students: list[dict[str, str]],
                                        capsys: pytest.CaptureFixture[str]) -> None:
    from idcapture.station import StationConfig

    folder = tmp_path / "st"
    cfg = StationConfig(station_id="t-1", year=2025, region="440106")
    with Store.create(folder, {"config": cfg.to_json()}) as store:
        enrol(store, students[:4], tmp_path)
        for i in range(3):
            capture_and_save(store, students[i], thumbs=(2 * i + 1, 2 * i + 2))
    st = str(folder)
    pkg = tmp_path / "p.zip"
    assert main(["station", "export", str(pkg), "--store", st, "--force"]) == 0
    capsys.readouterr()
    # nothing is purged before the authority confirms
    assert main(["station", "purge", "--store", st, "--json"]) == 0
    rep = json.loads(capsys.readouterr().out)
    assert rep["records"] == 0 and rep["not_confirmed"] == 3
    # a student captured after the export stays whole
    with Store.open(folder) as store:
        capture_and_save(store, students[3], thumbs=(7, 8))
        late = store.current_record(students[3]["id_number"])
        assert late is not None
        late_blobs = [r.sha256 for r in late.record().refs()]
    # a damaged package is not confirmed
    bad = tmp_path / "bad.zip"
    raw = bytearray(pkg.read_bytes())
    raw[100] ^= 0xFF
    bad.write_bytes(bytes(raw))
    assert main(["station", "confirm-export", str(bad), "--store", st]) == 1
    capsys.readouterr()
    assert main(["station", "confirm-export", str(pkg), "--store", st, "--receipt",
                 "EA-2025-0042"]) == 0
    assert "3 records" in capsys.readouterr().out
    before = {p.name for p in (folder / "blobs").glob("*/*")}
    assert main(["station", "purge", "--store", st]) == 0
    out = capsys.readouterr().out
    assert "purged 3 students" in out and "kept:" in out and "ID numbers" in out
    after = {p.name for p in (folder / "blobs").glob("*/*")}
    assert after == set(late_blobs)  # every file of the purged records is gone
    assert len(before - after) >= 9
    raw_store = _bytes(folder)
    for st_row in students[:3]:
        assert st_row["name"].encode() not in raw_store
    assert students[3]["name"].encode() in raw_store
    with Store.open(folder) as store:
        for st_row in students[:3]:
            kept = store.current_record(st_row["id_number"])
            assert kept is not None and kept.body.get("portrait") is None
            assert kept.registration_number  # kept
            assert store.student(st_row["id_number"])["name"] == ""  # type: ignore[index]
        assert [r.id_number for r in store.current_records()] == [students[3]["id_number"]]
        assert store.orphan_blobs() == []
        line = store.audit_log("purged")[-1]
        assert line.subject == "3 students" and "1 records not confirmed kept" in line.detail
        assert store.audit_log("export-confirmed")[-1].detail.endswith("EA-2025-0042")
        # the purged students are still captured: a new capture is refused
        assert store.first_uncaptured() is None
    con = sqlite3.connect(folder / "station.sqlite3")
    assert con.execute("SELECT COUNT(*) FROM finger_hashes").fetchone()[0] == 2
    con.close()
    # purging again removes nothing more
    assert main(["station", "purge", "--store", st, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["records"] == 0


def test_an_unknown_package_cannot_be_confirmed(store: Store) -> None:
    with pytest.raises(RosterError) as err:
        store.confirm_export("0" * 64, "op")
    assert err.value.code == "unknown-package"


def test_purge_on_an_encrypted_store(tmp_path: Path, students: list[dict[str, str]]) -> None:
    from idcapture.station import StationConfig
    from idcapture.station.export import export_package, verify_package

    cfg = StationConfig(station_id="t-1", year=2025, region="440106")
    with Store.create(tmp_path / "enc", {"config": cfg.to_json()}, passphrase="pw") as store:
        enrol(store, students[:2], tmp_path)
        capture_and_save(store, students[0])
        export_package(store, tmp_path / "p.zip", force=True)
        capture_and_save(store, students[1], thumbs=(3, 4))
        store.confirm_export(verify_package(tmp_path / "p.zip").manifest_sha256, "op")
        rep = store.purge("op")
        assert (rep.students, rep.not_confirmed) == (1, 1) and rep.blob_files >= 3
        assert store.student(students[0]["id_number"])["name"] == ""  # type: ignore[index]
        assert store.student(students[1]["id_number"])["name"] == students[1]["name"]  # type: ignore[index]
        assert [r.id_number for r in store.current_records()] == [students[1]["id_number"]]
        assert store.orphan_blobs() == []
