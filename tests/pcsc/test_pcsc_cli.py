"""``idcapture sim emrtd`` as a process and ``idcapture read-id pcsc:1`` against it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from pcsc_stack import MRZ, PORT, READER_PREFIX, wait_until

from idcapture.cli import main
from idcapture.transports.pcsc import card_present

pytestmark = pytest.mark.pcsc
READER1 = f"{READER_PREFIX} 00 01"


def test_sim_process_and_read_id_json(pcscd: Any, pki: Any, tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    pki.save(tmp_path / "pki")
    (tmp_path / "card.json").write_text(json.dumps(
        {"version": 1, "mrz": MRZ, "pki": "pki", "face": {"width": 90, "height": 120}}))
    sim = subprocess.Popen([sys.executable, "-m", "idcapture", "sim", "emrtd", "--config",
                            str(tmp_path / "card.json"), "--port", str(PORT + 1)],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        wait_until(lambda: card_present(READER1), 10, "the simulator process's card")
        rc = main(["read-id", "pcsc:1", "--doc", "L898902C3", "--birth", "740812",
                   "--expiry", "120415", "--trust", str(tmp_path / "pki" / "csca.pem"),
                   "--json"])
        out = json.loads(capsys.readouterr().out)
        assert rc == 0
        assert out["kind"] == "passport" and out["id_number"] != "L898902C3"  # masked
        assert out["checks"]["passive-authentication"]["result"] == "valid"
        assert out["photo"]["width_px"] == 90 and "mrz" not in out["extra"]
        rc = main(["read-id", "pcsc:1", "--mrz", MRZ, "--json", "--unmask"])
        out = json.loads(capsys.readouterr().out)
        assert rc == 0 and out["id_number"] == "L898902C3"
        assert out["checks"]["passive-authentication"]["result"] == "not-checked"
        assert main(["read-id", "pcsc:1", "--doc", "L898902C3"]) == 1
        assert "needs --mrz" in capsys.readouterr().err
    finally:
        sim.terminate()
        sim.wait(5)
    wait_until(lambda: not card_present(READER1), 5, "the card to leave with the process")
