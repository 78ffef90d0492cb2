"""The process killed (SIGKILL) at random instants during 200 captures.

After every kill the store must open, pass SQLite's integrity check, hold every record
that was reported saved, and hold no half-record (each current record parses, is
complete and has every image on disk with the right hash).
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from station_helpers import enrol

from idcapture.record import RecordStatus
from idcapture.station import Store
from idcapture.station.samples import sample_students

WORKER = Path(__file__).with_name("fault_worker.py")
N = 200


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
@pytest.mark.timeout(240)
def test_sigkill_at_random_points_never_loses_a_saved_record(tmp_path: Path) -> None:
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
        [str(Path(__file__).parents[2] / "src"), os.environ.get("PYTHONPATH", "")]))
    deadline = time.monotonic() + 120
    done = False
    while not done and time.monotonic() < deadline:
        out = tmp_path / f"worker-{kills}.out"
        with out.open("wb") as fh:
            proc = subprocess.Popen([sys.executable, str(WORKER), str(tmp_path / "store"),
                                     str(roster)], stdout=fh, env=env)
            wait = rng.uniform(0.6, 1.6) if kills < 15 else 120.0
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
