"""The idcapture command line: listings, JSON output, records, demo, exit statuses."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from idcapture import record as R
from idcapture.cli import main
from idcapture.formats import record_files as RF
from idcapture.formats import record_json as RJ


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    try:
        code = main(list(args))
    except SystemExit as exc:
        code = int(exc.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_drivers_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "drivers", "--json")
    assert code == 0
    data = json.loads(out)
    sims = [d for d in data["drivers"] if d["name"] == "sim"]
    assert {d["kind"] for d in sims} == {"id_reader", "camera", "fingerprint_sensor"}
    assert all(d["available"] for d in sims)


def test_devices_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "devices", "--json", "--kind", "camera")
    assert code == 0
    assert [d["address"] for d in json.loads(out)["devices"]] == ["sim:camera"]


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "no-such-command")[0] == 2
    assert run(capsys)[0] == 2
    assert run(capsys, "record")[0] == 2
    assert run(capsys, "drivers", "--help")[0] == 0


def test_demo_then_validate_and_show(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, _ = run(capsys, "demo", "--out", str(tmp_path))
    assert code == 0, out
    rec_dir = next(p.parent for p in tmp_path.rglob("record.json"))
    rec = RF.load(rec_dir)
    assert rec.identity is not None and len(rec.fingers) >= 2
    code, out, _ = run(capsys, "record", "validate", str(rec_dir), "--json")
    assert code == 0 and json.loads(out)["valid"] is True
    code, out, _ = run(capsys, "record", "show", str(rec_dir), "--json")
    shown = json.loads(out)
    assert code == 0
    assert "*" in shown["identity"]["id_number"]
    assert rec.identity.id_number not in out
    code, out, _ = run(capsys, "record", "show", str(rec_dir), "--unmask", "--json")
    assert json.loads(out)["identity"]["id_number"] == rec.identity.id_number


def test_validate_failure_names_path(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    rec = R.CaptureRecord()
    d = json.loads(RJ.dumps(rec))
    d["created_at"] = "yesterday"
    bad.write_text(json.dumps(d))
    code, out, _ = run(capsys, "record", "validate", str(bad), "--json")
    assert code == 1
    assert json.loads(out)["path"] == "created_at"
    code, _, err = run(capsys, "record", "show", str(tmp_path / "missing.json"))
    assert code == 1 and "cannot read" in err
