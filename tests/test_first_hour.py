"""The first hour of the library's three users, walked from the docs on the default
simulators, with nothing beyond what the docs show:

* an integrator runs the integrators' page (devices opened synchronously and from
  asyncio, events, a record saved, loaded and validated), then the station page (a
  capture session saved, checked and exported);
* a vendor builds the plugin package the vendors' page shows, installs it with pip into
  a folder of its own, sees it in ``idcapture drivers`` and passes the camera and
  fingerprint-sensor contracts with it;
* a tester runs the testers' scripted simulator session.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from test_docs_examples import DOCS, page_files, page_script


def _run(args: list[str], cwd: Path, env: dict[str, str] | None = None,
         timeout: float = 900) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=timeout,
                          env=env)


def test_integrator_first_hour(tmp_path: Path) -> None:
    script, reasons, _ = page_script("integrators/README.md")
    assert not reasons  # every example on the integrators' first page runs
    assert "asyncio.run(" in script and "wait_for_card" in script
    script += '''
import idcapture
from idcapture.formats import record_files

again = record_files.load("out/rec-0001.json")
idcapture.validate(again)
print("RECORD", again.identity.kind.value if again.identity else None)
'''
    (tmp_path / "first_hour.py").write_text(script, encoding="utf-8")
    out = _run([sys.executable, "first_hour.py"], tmp_path)
    assert out.returncode == 0, out.stderr[-3000:]
    assert "RECORD resident-id" in out.stdout
    assert (tmp_path / "out" / "rec-0001" / "record.json").exists()

    station, _, _ = page_script("integrators/station.md")   # then a station of one's own
    assert "run_capture(" in station and "export_package(" in station
    (tmp_path / "station_day.py").write_text(station, encoding="utf-8")
    out = _run([sys.executable, "station_day.py"], tmp_path)
    assert out.returncode == 0, out.stderr[-3000:]
    assert "saved record saved" in out.stdout and (tmp_path / "out.zip").stat().st_size > 0


def _pyproject() -> str:
    text = (DOCS / "vendors" / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"^```toml\n(.*?)^```", text, re.M | re.S)
    found = [b for b in blocks if "[project.entry-points.idcapture]" in b]
    assert found, "the vendors' page shows no pyproject.toml"
    return found[0]


def test_vendor_first_hour(tmp_path: Path) -> None:
    pkg = tmp_path / "acme-idcapture"
    pkg.mkdir()
    written = page_files("vendors/README.md", pkg)
    names = {p.relative_to(pkg).as_posix() for p in written}
    assert {"acme_idcapture/plugin.py", "acme_idcapture/sensor.py", "acme_idcapture/camera.py",
            "tests/test_acme.py"} <= names
    (pkg / "pyproject.toml").write_text(_pyproject(), encoding="utf-8")
    target = tmp_path / "site"
    out = _run([sys.executable, "-m", "pip", "install", "-q", "--no-deps",
                "--no-build-isolation", "--disable-pip-version-check", "--target",
                str(target), str(pkg)], tmp_path)
    assert out.returncode == 0, out.stderr[-3000:]
    assert (target / "acme_idcapture" / "sensor.py").exists()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(target), *filter(None, [os.environ.get("PYTHONPATH")])])}
    env.pop("IDCAPTURE_NO_ENTRY_POINTS", None)

    drivers = _run([sys.executable, "-m", "idcapture", "drivers", "--json"], tmp_path, env)
    assert drivers.returncode == 0, drivers.stderr[-2000:]
    listed = {(d["kind"], d["name"]): d for d in json.loads(drivers.stdout)["drivers"]}
    assert listed[("fingerprint_sensor", "acme-fp")]["available"] is True
    assert listed[("camera", "acme-cam")]["available"] is True

    tests = tmp_path / "vendor-tests"
    tests.mkdir()
    (tests / "test_acme.py").write_text((pkg / "tests" / "test_acme.py").read_text("utf-8"),
                                        encoding="utf-8")
    run = _run([sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "-p", "no:cacheprovider",
                "-rs", str(tests / "test_acme.py")], tests, env)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    summary = run.stdout.strip().splitlines()[-1]
    passed = int(re.search(r"(\d+) passed", summary).group(1))  # type: ignore[union-attr]
    assert passed >= 20 and "skipped" not in summary and "failed" not in summary, summary


def test_tester_first_hour(tmp_path: Path) -> None:
    script, _, _ = page_script("testers/README.md")
    assert "open_sim_id_reader" in script and "place_card" in script
    (tmp_path / "session.py").write_text(script, encoding="utf-8")
    out = _run([sys.executable, "session.py"], tmp_path)
    assert out.returncode == 0, out.stderr[-3000:]
    assert "reader gone" in out.stdout and "resident-id press harder" in out.stdout


@pytest.fixture(autouse=True)
def _no_user_addresses(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("IDCAPTURE_ID_READER", "IDCAPTURE_CAMERA", "IDCAPTURE_FINGERPRINT_SENSOR"):
        monkeypatch.delenv(var, raising=False)
