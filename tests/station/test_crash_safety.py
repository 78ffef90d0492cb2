"""The process killed (SIGKILL) at random instants during 200 captures.

After every kill the store must open, pass SQLite's integrity check, hold every record
that was reported saved, and hold no half-record (each current record parses, is
complete and has every image on disk with the right hash). The 200 students present 400
distinct synthetic fingers, checked by the default minutiae duplicate checker: every
duplicate check must pass (no false hit among 200 distinct students, across restarts).

The fingers are rendered once into a bank kept in build/test-cache. Each worker is killed
at a random instant after its start-up (imports, the saved thumbs enrolled in the
comparator's index) and 0-3 saved records, so every kill falls among the captures however
loaded the machine is.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from station_helpers import FINGER_BANK_ENV, enrol, make_finger_bank, render_finger

from idcapture.record import CheckOutcome, RecordStatus
from idcapture.station import Store
from idcapture.synth.students import sample_students

WORKER = Path(__file__).with_name("fault_worker.py")
N = 200


@pytest.fixture(scope="module")
def finger_bank() -> Path:
    """The 400 fingers of the test, rendered once (about 35 s on two idle cores) into
    build/test-cache, named by a hash of the first print (a changed generator makes a new
    bank)."""
    stamp = hashlib.sha256(render_finger(0).tobytes()).hexdigest()[:16]
    folder = Path(__file__).parents[2] / "build" / "test-cache"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"station-fingers-{2 * N}-{stamp}.npy"
    if not path.is_file():
        tmp = path.with_name(f"tmp-{os.getpid()}-{path.name}")
        make_finger_bank(tmp, [(i, 0) for i in range(2 * N)])
        os.replace(tmp.with_suffix(".keys.npy"), path.with_suffix(".keys.npy"))
        os.replace(tmp, path)
    return path


def wait_for(out: Path, proc: subprocess.Popen[bytes], word: bytes, count: int,
             limit: float) -> bool:
    """Wait until the worker printed ``word`` ``count`` times (or exited); False on timeout."""
    end = time.monotonic() + limit
    while time.monotonic() < end:
        if out.read_bytes().count(word) >= count or proc.poll() is not None:
            return True
        time.sleep(0.01)
    return False


def check_store(path: Path, reported: set[str]) -> int:
    with Store.open(path) as store:
        assert store.integrity_check() == "ok"
        current = list(store.current_records())
        ids = {r.record_id for r in current}
        missing = reported - ids
        assert not missing, f"{len(missing)} records reported saved are missing"
        for r in current:
            rec = r.record(store, validate=True)  # every blob read and hash-checked
            assert rec.status is RecordStatus.COMPLETE
            assert rec.portrait is not None and len(rec.fingers) == 2
        return len(current)


@pytest.mark.slow
@pytest.mark.timeout(720)
def test_sigkill_at_random_points_never_loses_a_saved_record(tmp_path: Path,
                                                             finger_bank: Path) -> None:
    rows = sample_students(N, seed=99, schools=2)
    with Store.create(tmp_path / "store", {"config": {"region": "440106", "year": 2025}}
                      ) as store:
        enrol(store, rows, tmp_path)
    roster = tmp_path / "roster.json"
    roster.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    rng = random.Random(1234)
    reported: set[str] = set()
    kills = 0
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(Path(__file__).parents[2] / "src"), os.environ.get("PYTHONPATH", "")]),
        **{FINGER_BANK_ENV: str(finger_bank)})
    deadline = time.monotonic() + 400
    done = False
    while not done and time.monotonic() < deadline:
        out = tmp_path / f"worker-{kills}.out"
        with out.open("wb") as fh:
            proc = subprocess.Popen([sys.executable, str(WORKER), str(tmp_path / "store"),
                                     str(roster)], stdout=fh, env=env)
            assert wait_for(out, proc, b"READY", 1, 60.0), "the worker did not start"
            if kills < 15:
                # let it save 0-3 records, then kill it a random instant later (a capture
                # takes 0.2-1 s: the kill falls inside the next one, or between two)
                wait_for(out, proc, b"SAVED", rng.randint(0, 3), 60.0)
                wait = rng.uniform(0.0, 0.6)
            else:
                wait = max(1.0, deadline - time.monotonic())
            try:
                proc.wait(timeout=wait)
            except subprocess.TimeoutExpired:
                proc.send_signal(signal.SIGKILL)
                kills += 1
                proc.wait()
        buf = out.read_text(encoding="utf-8")
        reported.update(line.split()[1] for line in buf.splitlines()
                        if line.startswith("SAVED"))
        done = "DONE" in buf
        assert proc.returncode in (0, -signal.SIGKILL), buf[-500:]
        check_store(tmp_path / "store", reported)
    assert done, f"captures did not finish in time ({len(reported)} saved, {kills} kills)"
    assert kills >= 8
    assert check_store(tmp_path / "store", reported) == N
    with Store.open(tmp_path / "store") as store:
        dups = [c for r in store.current_records() for c in r.record().checks
                if c.name.startswith("finger-duplicate:")]
    assert len(dups) == 2 * N
    assert all(c.details["method"] == "minutiae-mcc" for c in dups)
    fired = [c.message for c in dups if c.outcome is not CheckOutcome.PASSED]
    assert not fired, fired
