"""Encryption at rest: nothing personal readable in the database file or the blob files of
an encrypted store; the store works the same; a clear store is migrated in place."""

from __future__ import annotations

import sqlite3
import zipfile
from pathlib import Path

import pytest
from station_helpers import capture_and_save, enrol

from idcapture.errors import ConfigError
from idcapture.station import StationConfig, Store
from idcapture.station.export import export_package
from idcapture.station.session import CaptureSession
from idcapture.station.store_crypto import PASSPHRASE_ENV

PW = "correct horse battery staple"


def _config() -> dict[str, str]:
    return {"config": StationConfig(station_id="t-1", year=2025, region="440106").to_json()}


def _all_bytes(folder: Path) -> bytes:
    """Every byte of the store folder: database (after a checkpoint), WAL, blobs."""
    return b"".join(p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file())


def _personal(students: list[dict[str, str]]) -> list[bytes]:
    out: list[bytes] = []
    for st in students:
        out += [st["id_number"].encode(), st["name"].encode("utf-8")]
    return out


def _fill(store: Store, students: list[dict[str, str]], tmp: Path) -> None:
    enrol(store, students, tmp)
    capture_and_save(store, students[0])
    capture_and_save(store, students[1], thumbs=(3, 4))
    CaptureSession.start(store, "op1")  # an open session too


def test_an_encrypted_store_holds_nothing_personal_in_clear(
        tmp_path: Path, students: list[dict[str, str]]) -> None:
    folder = tmp_path / "enc"
    with Store.create(folder, _config(), passphrase=PW) as store:
        assert store.encrypted
        _fill(store, students[:4], tmp_path)
        clear_pkg = export_package(store, tmp_path / "a.zip", force=True)
        roster = store.roster_status()
        record = store.current_record(students[0]["id_number"])
        assert record is not None and record.id_number == students[0]["id_number"]
        assert [r.name for r in roster if r.id_number == students[1]["id_number"]] == [
            students[1]["name"]]
        assert len(store.current_fingers()) == 4 and store.orphan_blobs() == []
        images = [store.read_blob(p.name) for p in (folder / "blobs").glob("*/*")]
    raw = _all_bytes(folder)
    for value in _personal(students[:4]):
        assert value not in raw
    assert len(images) >= 6
    for image in images:  # no image or template in clear (first 24 bytes: headers)
        assert image[:24] not in raw and image[-24:] not in raw
    assert b'"fingers"' not in raw  # nor any record JSON
    # a reader of the database file without the key sees tokens, not numbers
    con = sqlite3.connect(folder / "station.sqlite3")
    ids = [r[0] for r in con.execute("SELECT id_number FROM students")]
    con.close()
    assert all(i.startswith("det1:") for i in ids)
    # the export holds the same content as ever (clear inside the package)
    with zipfile.ZipFile(clear_pkg.package) as z:
        assert any(n.endswith(".jpg") for n in z.namelist())
        assert clear_pkg.exported == 2


def test_the_passphrase_is_needed_and_checked(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "enc"
    Store.create(folder, _config(), passphrase=PW).close()
    from idcapture.station import store as store_module

    store_module._UNLOCKED.clear()  # a fresh process: no key in memory
    monkeypatch.delenv(PASSPHRASE_ENV, raising=False)
    with pytest.raises(ConfigError) as err:
        Store.open(folder)
    assert err.value.code == "passphrase-needed"
    with pytest.raises(ConfigError) as err:
        Store.open(folder, passphrase="wrong")
    assert err.value.code == "wrong-passphrase"
    monkeypatch.setenv(PASSPHRASE_ENV, PW)
    with Store.open(folder) as store:
        assert store.encrypted
    # no key material beside the data: the settings hold only the wrapped key
    con = sqlite3.connect(folder / "station.sqlite3")
    text = " ".join(str(r) for r in con.execute("SELECT * FROM settings"))
    con.close()
    assert PW not in text and "wrapped_key" in text


def test_a_clear_store_is_migrated_in_place(tmp_path: Path,
                                            students: list[dict[str, str]]) -> None:
    folder = tmp_path / "st"
    with Store.create(folder, _config()) as store:
        _fill(store, students[:4], tmp_path)
        before = {r.id_number: (r.name, r.record_id) for r in store.roster_status()}
        sessions = store.unfinished_sessions()
        blobs = {sha: store.read_blob(sha) for sha in
                 (p.name for p in (folder / "blobs").glob("*/*"))}
    assert students[0]["name"].encode() in _all_bytes(folder)
    with Store.open(folder, writer=True) as store:
        assert store.encrypt(PW) == len(blobs)
        assert store.encrypt(PW) == 0  # idempotent
    raw = _all_bytes(folder)
    for value in _personal(students[:4]):
        assert value not in raw
    from idcapture.station import store as store_module

    store_module._UNLOCKED.clear()
    with Store.open(folder, passphrase=PW) as store:
        assert {r.id_number: (r.name, r.record_id) for r in store.roster_status()} == before
        assert store.unfinished_sessions() == sessions
        assert {sha: store.read_blob(sha) for sha in blobs} == blobs
        assert CaptureSession.resume(store, sessions[0]).session_id == sessions[0]
        assert store.integrity_check() == "ok"
        assert store.audit_log("store-encrypted")


def test_station_commands_on_an_encrypted_store(tmp_path: Path,
                                                students: list[dict[str, str]],
                                                monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    from idcapture.cli import main
    from idcapture.formats.roster import write_roster
    from idcapture.station import store as store_module

    st = str(tmp_path / "st")
    write_roster(tmp_path / "r.xlsx", students[:5])
    assert main(["station", "init", "--store", st, "--region", "440106", "--year",
                 "2025"]) == 0
    assert main(["station", "import-roster", str(tmp_path / "r.xlsx"), "--store", st]) == 0
    monkeypatch.setenv(PASSPHRASE_ENV, PW)
    assert main(["station", "encrypt-store", "--store", st]) == 0
    assert "encrypted at rest" in capsys.readouterr().out
    store_module._UNLOCKED.clear()
    assert main(["station", "register", "--store", st]) == 0
    assert main(["station", "check", "--store", st, "--json"]) == 1  # nobody captured yet
    assert students[0]["id_number"][-4:] in capsys.readouterr().out  # masked, decrypted
    for value in _personal(students[:5]):
        assert value not in _all_bytes(Path(st))
    store_module._UNLOCKED.clear()
    monkeypatch.setenv(PASSPHRASE_ENV, "wrong")
    assert main(["station", "register", "--store", st]) == 1
    assert "wrong passphrase" in capsys.readouterr().err
    # a new store encrypted from the start
    monkeypatch.setenv(PASSPHRASE_ENV, PW)
    assert main(["station", "init", "--store", str(tmp_path / "new"), "--encrypt-store"]) == 0
    store_module._UNLOCKED.clear()
    with Store.open(tmp_path / "new") as store:
        assert store.encrypted
