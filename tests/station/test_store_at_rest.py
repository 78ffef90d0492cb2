"""At rest: the store is owner-only (database, WAL, shm, blob folders), and a killed
export's hidden package (personal data in clear) is removed by the next export."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from station_helpers import FixedPortraitMaker, card_for, enrol, finger

from idcapture.station import StationConfig, Store
from idcapture.station.export import export_package, remove_stale_exports
from idcapture.station.session import (
    CaptureSession,
    CardPresented,
    FingerPresented,
    FramePresented,
    Save,
)
from idcapture.station.steps import Steps

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX file modes and signals")


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_store_is_owner_only(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        store = Store.create(tmp_path / "s", {"config": StationConfig("t", 2025).to_json()})
        sha = store.put_blob(b"portrait bytes")
        folder = store.path
        assert (folder / "station.sqlite3-wal").exists()
        for name in ("station.sqlite3", "station.sqlite3-wal", "station.sqlite3-shm"):
            assert _mode(folder / name) == 0o600, name
        for d in (folder, folder / "blobs", store.blob_path(sha).parent):
            assert _mode(d) == 0o700, d
        assert _mode(store.blob_path(sha)) == 0o600
        store.close()
        # a store made world-readable by an older version or a copy is fixed on open
        for p in (folder / "station.sqlite3", folder / "blobs"):
            p.chmod(0o755)
        Store.open(folder).close()
        assert _mode(folder / "station.sqlite3") == 0o600
        assert _mode(folder / "blobs") == 0o700
    finally:
        os.umask(old)


KILLED_EXPORT = textwrap.dedent("""
    import os, signal, sys
    from idcapture.station import Store
    from idcapture.station.export import export_package
    store = Store.open(sys.argv[1])
    export_package(store, sys.argv[2],
                   progress=lambda done, total: os.kill(os.getpid(), signal.SIGKILL))
""")


def test_a_killed_exports_hidden_package_is_removed_by_the_next(
        store: Store, students: list[dict[str, str]], tmp_path: Path) -> None:
    enrol(store, students[:1], tmp_path)
    s = CaptureSession.start(store, "op1", Steps(portrait=FixedPortraitMaker()))
    s.handle(CardPresented(card_for(students[0])))
    s.handle(FramePresented(np.full((480, 640, 3), 190, np.uint8)))
    s.handle(FingerPresented(finger(90)))
    s.handle(FingerPresented(finger(91)))
    s.handle(Save())
    out = tmp_path / "out"
    out.mkdir()
    proc = subprocess.run([sys.executable, "-c", KILLED_EXPORT, str(store.path),
                           str(out / "pkg.zip")], capture_output=True, timeout=120)
    assert proc.returncode == -signal.SIGKILL, proc.stderr[-500:]
    left = list(out.glob(".export-*.zip"))
    assert len(left) == 1 and _mode(left[0]) == 0o600
    # an export running in another process holds its file: left alone
    running = out / ".export-running.zip"
    running.write_bytes(b"")
    holder = subprocess.Popen([sys.executable, "-c", (
        "import fcntl, os, sys, time; fd = os.open(sys.argv[1], os.O_RDWR); "
        "fcntl.flock(fd, fcntl.LOCK_EX); print('held', flush=True); time.sleep(60)"),
        str(running)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        rep = export_package(store, out / "pkg.zip")
        assert rep.exported == 1
        assert sorted(p.name for p in out.iterdir()) == [".export-running.zip", "pkg.zip"]
    finally:
        holder.kill()
        holder.wait()
    assert remove_stale_exports(out) == [".export-running.zip"]


def test_a_failed_export_leaves_nothing(store: Store, students: list[dict[str, str]],
                                        tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                        ) -> None:
    enrol(store, students[:1], tmp_path)
    from idcapture.station import export as export_mod

    def broken(*_a: object, **_k: object) -> int:
        raise OSError("disk full")

    monkeypatch.setattr(export_mod, "write_workbook", broken)
    out = tmp_path / "out"
    with pytest.raises(OSError):
        export_package(store, out / "pkg.zip")
    with pytest.raises(OSError):
        export_package(store, out / "pkg.zip.enc", passphrase="x")
    assert list(out.iterdir()) == []
