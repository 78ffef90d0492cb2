"""Ingest of station packages: verification, refusal, idempotence, supersession."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from idcapture.province import Registry, ingest, ingest_package
from idcapture.province.synthetic import SyntheticProvince
from idcapture.station.export import encrypt_package


def _rewrite(src: Path, dst: Path, change: dict[str, bytes]) -> None:
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for name in zin.namelist():
            zout.writestr(name, change.get(name, zin.read(name)))


def _manifest(path: Path) -> dict[str, object]:
    with zipfile.ZipFile(path) as zf:
        out: dict[str, object] = json.loads(zf.read("manifest.json"))
    return out


def test_ingest_imports_every_record_with_provenance(packages: list[Path],
                                                     province: SyntheticProvince,
                                                     tmp_path: Path) -> None:
    with Registry(tmp_path / "reg") as reg:
        res = ingest(reg, packages, jobs=1)
        assert [r.status for r in res] == ["ingested"] * len(packages)
        assert sum(r.records for r in res) == province.students == reg.count()
        rows = reg.records()
        assert {r.station_id for r in rows} == {f"ST{i:02d}" for i in range(1, 5)}
        assert {r.package_sha256 for r in rows} == {r.sha256 for r in res}
        # the rendered thumbs came with templates: nothing was extracted
        assert sum(r.extracted for r in res) == 0
        assert sum(1 for _ in reg.thumbs()) == 2 * province.students
        assert {p["station_id"] for p in reg.packages()} == {r.station_id for r in res}


def test_reingest_changes_nothing(packages: list[Path], tmp_path: Path) -> None:
    with Registry(tmp_path / "reg") as reg:
        ingest(reg, packages[:2], jobs=1)
        before = (reg.count(), reg.packages())
        again = ingest(reg, packages[:2], jobs=1)
        assert [r.status for r in again] == ["already-ingested"] * 2
        assert (reg.count(), reg.packages()) == before


def test_tampered_and_unknown_packages_are_refused_with_a_report(
        packages: list[Path], tmp_path: Path) -> None:
    src = packages[0]
    with zipfile.ZipFile(src) as zf:
        member = next(n for n in zf.namelist() if n.startswith("templates/"))
        data = bytearray(zf.read(member))
        manifest = json.loads(zf.read("manifest.json"))
    data[-1] ^= 0xFF
    tampered = tmp_path / "tampered.zip"
    _rewrite(src, tampered, {member: bytes(data)})
    manifest["format"] = "someone-elses-export"
    unknown = tmp_path / "unknown.zip"
    _rewrite(src, unknown, {"manifest.json": json.dumps(manifest).encode()})
    garbage = tmp_path / "garbage.zip"
    garbage.write_bytes(b"not a zip at all")
    with Registry(tmp_path / "reg") as reg:
        res = {r.package: r for r in ingest(reg, [tampered, unknown, garbage, packages[1]],
                                            jobs=1)}
        assert res["tampered.zip"].status == "refused"
        assert any(member in p and "SHA-256" in p for p in res["tampered.zip"].problems)
        assert res["unknown.zip"].status == "refused"
        assert "unknown package format" in res["unknown.zip"].problems[0]
        assert res["garbage.zip"].status == "refused"
        assert res[packages[1].name].status == "ingested"
        assert {r.package_sha256 for r in reg.records()} == {res[packages[1].name].sha256}


def test_encrypted_packages_need_the_right_passphrase(packages: list[Path],
                                                      tmp_path: Path) -> None:
    enc = tmp_path / "station.zip.enc"
    encrypt_package(packages[0], enc, "correct horse")
    with Registry(tmp_path / "reg") as reg:
        none = ingest_package(reg, enc, None, jobs=1)
        wrong = ingest_package(reg, enc, "wrong", jobs=1)
        assert none.status == wrong.status == "refused"
        assert "passphrase" in none.problems[0]
        assert "wrong passphrase" in wrong.problems[0]
        assert reg.count() == 0
        ok = ingest_package(reg, enc, "correct horse", jobs=1)
        assert ok.status == "ingested" and ok.records == reg.count() > 0


def test_a_newer_package_supersedes_and_keeps_history(packages: list[Path],
                                                      tmp_path: Path) -> None:
    src = packages[0]
    manifest = _manifest(src)
    manifest["created_at"] = "2099-01-01T00:00:00.000000Z"   # exported later
    newer = tmp_path / "newer.zip"
    _rewrite(src, newer, {"manifest.json": json.dumps(manifest).encode()})
    with Registry(tmp_path / "reg") as reg:
        first = ingest_package(reg, src, jobs=1)
        second = ingest_package(reg, newer, jobs=1)
        assert second.status == "ingested" and second.superseded == first.records
        assert reg.count() == 2 * first.records
        assert reg.count(current_only=True) == first.records
        old = [r for r in reg.records(current_only=False) if not r.current]
        assert len(old) == first.records
        assert all(r.package_sha256 == first.sha256 and r.superseded_by for r in old)
        assert {r.package_sha256 for r in reg.records()} == {second.sha256}
        # the older package arriving late does not displace the newer records
        manifest["created_at"] = "2000-01-01T00:00:00.000000Z"
        older = tmp_path / "older.zip"
        _rewrite(src, older, {"manifest.json": json.dumps(manifest).encode()})
        late = ingest_package(reg, older, jobs=1)
        assert late.status == "ingested" and late.superseded == 0
        assert {r.package_sha256 for r in reg.records()} == {second.sha256}


def test_a_registry_that_does_not_exist_is_a_clear_error(tmp_path: Path) -> None:
    from idcapture.errors import ConfigError

    with pytest.raises(ConfigError, match="no province registry"):
        Registry(tmp_path / "missing", create=False)


def test_packages_from_stations_not_listed_are_refused(packages: list[Path],
                                                       tmp_path: Path) -> None:
    from idcapture.cli import main
    from idcapture.errors import ConfigError

    reg_dir = tmp_path / "listed"
    assert main(["province", "stations", "add", "ST01=示范中学1", "ST02",
                 "--registry", str(reg_dir)]) == 0
    with Registry(reg_dir) as reg:
        assert reg.stations() == {"ST01": "示范中学1", "ST02": ""}
        res = {r.station_id or _manifest(packages[i])["station_id"]: r
               for i, r in enumerate(ingest(reg, packages, jobs=1))}
        assert [res[s].status for s in ("ST01", "ST02")] == ["ingested", "ingested"]
        for s in ("ST03", "ST04"):
            assert res[s].status == "refused"
            assert res[s].problems == [f"station '{s}' is not one of the province's "
                                       "stations (idcapture province stations add)"]
        assert {r.station_id for r in reg.records()} == {"ST01", "ST02"}
        assert not reg.has_package(res["ST03"].sha256)
        with pytest.raises(ConfigError, match="printable"):
            reg.add_stations([("bad\x00id", "")])
        # listing the station lets its package in
        reg.add_stations([("ST03", "")])
        assert ingest(reg, [packages[2]], jobs=1)[0].status == "ingested"
        assert reg.remove_station("ST04") is False
    # with no station listed, any station's package is ingested
    with Registry(tmp_path / "open") as reg:
        assert reg.stations() == {} and reg.station_known("anything")
