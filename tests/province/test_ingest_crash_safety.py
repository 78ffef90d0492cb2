"""The ingesting process killed (SIGKILL) at random instants: every package it reported
ingested is in the registry with all its records, the registry passes SQLite's integrity
check, and a rerun ingests the rest without duplicating anything."""

from __future__ import annotations

import json
import os
import random
import re
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

from idcapture.province import Registry
from idcapture.province.synthetic import synth_province

#: a package ingested by this run (not one found already there)
FRESH = re.compile(rb"(^|\n)ingested ")


def _expected(packages: list[Path]) -> dict[str, int]:
    out = {}
    for p in packages:
        with zipfile.ZipFile(p) as zf:
            out[p.name] = int(json.loads(zf.read("manifest.json"))["records"])
    return out


def test_sigkill_mid_ingest_never_loses_a_reported_package(tmp_path: Path) -> None:
    sp = synth_province(tmp_path / "pk", students=3000, duplicates=0, stations=30, seed=5)
    expected = _expected(sp.packages)
    registry = tmp_path / "reg"
    cmd = [sys.executable, "-m", "idcapture", "province", "ingest",
           *map(str, sp.packages), "--registry", str(registry), "--jobs", "1"]
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    rng = random.Random(11)
    reported: set[str] = set()
    kills = 0
    for _attempt in range(40):
        out = tmp_path / f"run-{_attempt}.out"
        with open(out, "wb") as fh:
            proc = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT, env=env)
            if kills < 6:
                # once it reports its first package, kill it a random instant later:
                # inside the next package's ingest or between two
                deadline = time.monotonic() + 120
                while proc.poll() is None and time.monotonic() < deadline and \
                        not FRESH.search(out.read_bytes()):
                    time.sleep(0.02)
                time.sleep(rng.uniform(0.0, 0.3))
                if proc.poll() is None:
                    proc.send_signal(signal.SIGKILL)
                    kills += 1
            proc.wait(timeout=300)
        lines = out.read_text(encoding="utf-8").splitlines()
        # "ingested X" and "already-ingested X" both say the registry holds X
        reported |= {ln.split()[1].rstrip(":") for ln in lines
                     if ln.startswith(("ingested ", "already-ingested "))}
        with Registry(registry) as reg:
            assert reg.integrity_ok()
            have = {p["name"]: p["records"] for p in reg.packages()}
            for name in reported:
                assert have.get(name) == expected[name], name
            assert reg.count() == sum(have.values())
        if proc.returncode == 0:
            break
    assert kills >= 3, "the ingest finished before it could be killed"
    with Registry(registry) as reg:
        assert {p["name"] for p in reg.packages()} == set(expected)
        assert reg.count() == sum(expected.values())
        assert len(reg.packages()) == len(expected)
