"""``idcapture station decrypt-export``, and the container as documented for other software."""

from __future__ import annotations

import json
import os
import re
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from idcapture.cli import main
from idcapture.station.export import encrypt_package

DOC = Path(__file__).resolve().parents[2] / "docs" / "integrators" / "export-profiles.md"


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A plain ZIP of 2.5 MiB of incompressible data (three segments) and its encryption."""
    folder = tmp_path_factory.mktemp("pkg")
    plain = folder / "plain.zip"
    with zipfile.ZipFile(plain, "w") as zf:
        zf.writestr("photos/1.jpg", os.urandom(5 << 19))
        zf.writestr("manifest.json", "{}")
    enc = folder / "package.enc"
    encrypt_package(plain, enc, "s3cret")
    return plain, enc


def test_decrypt_export_writes_the_plain_zip(package: tuple[Path, Path], tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    plain, enc = package
    monkeypatch.setenv("PKG_PW", "s3cret")
    out = tmp_path / "out.zip"
    assert main(["station", "decrypt-export", str(enc), str(out), "--passphrase-env", "PKG_PW",
                 "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report == {"package": str(enc.resolve()), "path": str(out.resolve()),
                      "bytes": plain.stat().st_size}
    assert out.read_bytes() == plain.read_bytes()
    assert zipfile.ZipFile(out).namelist() == ["photos/1.jpg", "manifest.json"]
    if os.name == "posix":
        assert out.stat().st_mode & 0o077 == 0  # the students' data: owner only


def test_a_wrong_passphrase_leaves_no_file(package: tuple[Path, Path], tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("PKG_PW", "wrong")
    out = tmp_path / "out.zip"
    assert main(["station", "decrypt-export", str(package[1]), str(out),
                 "--passphrase-env", "PKG_PW"]) == 1
    assert "wrong passphrase" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def _documented_reader() -> Callable[[bytes, str], bytes]:
    """The Python block of the container's description, run as written."""
    text = DOC.read_text(encoding="utf-8")
    section = text.split("## The encrypted container", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S)
    assert code is not None, "the container description has lost its Python reading"
    namespace: dict[str, object] = {}
    exec(compile(code[1], str(DOC), "exec"), namespace)
    reader = namespace["open_package"]
    assert callable(reader)
    return reader  # type: ignore[return-value]


def test_the_documented_container_opens_a_station_package(package: tuple[Path, Path]) -> None:
    from cryptography.exceptions import InvalidTag

    plain, enc = package
    open_package = _documented_reader()
    data = enc.read_bytes()
    assert open_package(data, "s3cret") == plain.read_bytes()
    with pytest.raises(InvalidTag):
        open_package(data, "wrong")
    with pytest.raises(InvalidTag):  # the last segment dropped: the new last one fails
        open_package(data[:40 + (1 << 20) + 16], "s3cret")
    changed = bytearray(data)
    changed[100] ^= 1
    with pytest.raises(InvalidTag):
        open_package(bytes(changed), "s3cret")
