"""One writer per store: two real processes on one store, a killed writer, and a session
resumed after the same student was captured by another."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from station_helpers import FixedPortraitMaker, capture_and_save, enrol, finger

from idcapture.errors import StoreLocked
from idcapture.station import StationConfig, Store
from idcapture.station.session import CaptureSession, FingerPresented, Save
from idcapture.station.steps import Steps
from idcapture.station.store_lock import holder_of

HERE = Path(__file__).parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _cli(*argv: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "idcapture", *argv], capture_output=True,
                          text=True, timeout=120, env=env)


def _wait_for(proc: subprocess.Popen[str], text: str, timeout: float = 90.0) -> str:
    assert proc.stdout is not None
    seen = ""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        seen += line
        if text in line:
            return seen
    proc.kill()
    raise AssertionError(f"{text!r} never printed; output: {seen}")


def test_a_second_writer_process_is_refused_naming_the_holder(tmp_path: Path) -> None:
    st = tmp_path / "st"
    serve = subprocess.Popen(
        [sys.executable, "-m", "idcapture", "station", "serve", "--store", str(st), "--sim",
         "--sample-students", "4", "--port", str(_free_port())],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        _wait_for(serve, "access token")
        # a second frontend on the same store, and every other writing command, refused
        second = _cli("station", "serve", "--store", str(st), "--sim", "--port",
                      str(_free_port()))
        export = _cli("station", "export", str(tmp_path / "p.zip"), "--store", str(st))
        register = _cli("station", "register", "--store", str(st))
        for done in (second, export, register):
            assert done.returncode != 0, done.stdout
            assert f"in use by process {serve.pid} on {socket.gethostname()}" in done.stderr
            assert "Traceback" not in done.stderr
        assert not (tmp_path / "p.zip").exists()
        # reading is not writing: a report runs beside the frontend
        assert _cli("station", "sessions", "--store", str(st)).returncode == 0
        assert holder_of(st) == (serve.pid, socket.gethostname())
    finally:
        serve.send_signal(signal.SIGKILL)
        serve.wait(30)
        if serve.stdout:
            serve.stdout.close()
    # the killed frontend's lock went with it: the lock file still names it, no matter
    done = _cli("station", "export", str(tmp_path / "p.zip"), "--store", str(st), "--force")
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "p.zip").is_file()


def test_one_process_may_open_its_store_twice(tmp_path: Path) -> None:
    a = Store.create(tmp_path / "s", writer=True)
    b = Store.open(tmp_path / "s", writer=True)  # the web app's runtime and export job
    assert a.is_writer and b.is_writer
    a.close()
    assert b.is_writer
    b.close()
    assert not b.is_writer
    # after the last close another process may write
    code = ("import sys; from idcapture.station import Store; "
            "Store.open(sys.argv[1], writer=True).close(); print('ok')")
    done = subprocess.run([sys.executable, "-c", code, str(tmp_path / "s")],
                          capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "ok", done.stderr


def test_the_lock_error_is_typed(tmp_path: Path) -> None:
    Store.create(tmp_path / "s").close()
    code = ("import sys, time; from idcapture.station import Store; "
            "s = Store.open(sys.argv[1], writer=True); print('held', flush=True); "
            "time.sleep(60)")
    holder = subprocess.Popen([sys.executable, "-c", code, str(tmp_path / "s")],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(StoreLocked) as err:
            Store.open(tmp_path / "s", writer=True)
        assert err.value.pid == holder.pid and err.value.code == "store-locked"
        assert err.value.host == socket.gethostname()
        Store.open(tmp_path / "s").close()  # a reader is not refused
    finally:
        holder.kill()
        holder.wait(30)
        if holder.stdout:
            holder.stdout.close()


RESUME_WORKER = """
import sys
import numpy as np
sys.path.insert(0, sys.argv[3])
from station_helpers import FixedPortraitMaker, card_for
from idcapture.station import Store
from idcapture.station.session import CaptureSession, CardPresented, FramePresented
from idcapture.station.steps import Steps
import json, time
store = Store.open(sys.argv[1], writer=True)
row = json.loads(sys.argv[2])
s = CaptureSession.start(store, "op1", Steps(portrait=FixedPortraitMaker()))
s.handle(CardPresented(card_for(row)))
s.handle(FramePresented(np.full((480, 640, 3), 200, np.uint8)))
print(s.session_id, s.state.value, flush=True)
time.sleep(120)
"""


def test_a_resumed_session_does_not_save_a_second_record(tmp_path: Path,
                                                         students: list[dict[str, str]]
                                                         ) -> None:
    import json

    cfg = StationConfig(station_id="t-1", year=2025, region="440106")
    folder = tmp_path / "store"
    with Store.create(folder, {"config": cfg.to_json()}) as store:
        enrol(store, students[:2], tmp_path)
    worker = subprocess.Popen([sys.executable, "-c", RESUME_WORKER, str(folder),
                               json.dumps(students[0]), str(HERE)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert worker.stdout is not None
        session_id, state = worker.stdout.readline().split()
        assert state == "right-thumb"
    finally:
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(30)
        if worker.stdout:
            worker.stdout.close()
    with Store.open(folder, writer=True) as store:  # the killed capture's lock is gone
        capture_and_save(store, students[0])  # a new session captures the same student
        old = CaptureSession.resume(store, session_id, Steps(portrait=FixedPortraitMaker()))
        for seed in (1, 2):
            old.handle(FingerPresented(finger(seed)))
        prompt = old.handle(Save())
        assert prompt.code == "captured-since" and old.state.value == "refused"
        history = store.record_history(students[0]["id_number"])
        assert [h.version for h in history] == [1]
        assert store.unfinished_sessions() == []
        assert "captured-since" in store.audit_log("capture-refused")[-1].detail


def test_a_correction_of_a_replaced_version_is_refused(store: Store, tmp_path: Path,
                                                       students: list[dict[str, str]]) -> None:
    enrol(store, students[:1], tmp_path)
    capture_and_save(store, students[0])
    steps = Steps(portrait=FixedPortraitMaker())
    first = CaptureSession.correction(store, students[0]["id_number"], "right-thumb", "op1",
                                      "smudged", steps)
    second = CaptureSession.correction(store, students[0]["id_number"], "right-thumb", "op2",
                                       "smudged", steps)
    for s in (first, second):
        s.handle(FingerPresented(finger(5)))
    assert first.handle(Save()).details["version"] == 2
    assert second.handle(Save()).code == "captured-since"
    assert [h.version for h in store.record_history(students[0]["id_number"])] == [1, 2]
