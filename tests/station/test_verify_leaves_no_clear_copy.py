"""Verifying an encrypted package never gives its decryption a name on disk: a verify
that is killed leaves no clear copy of the personal data behind."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import pytest

from idcapture.station import Store
from idcapture.station import export as export_module
from idcapture.station.export import export_package, verify_package


def test_verify_decrypts_into_a_nameless_file(store: Store, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    pkg = tmp_path / "p.zip.enc"
    export_package(store, pkg, passphrase="pw", force=True)
    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    seen: list[list[str]] = []
    real = export_module._verify_zip

    def watching(plain: Any, report: Any) -> None:
        seen.append(os.listdir(temp))  # what a kill at this moment would leave
        real(plain, report)

    monkeypatch.setattr(export_module, "_verify_zip", watching)
    rep = verify_package(pkg, "pw")
    assert rep.ok and rep.encrypted, rep.problems
    assert seen == [[]] and os.listdir(temp) == []
