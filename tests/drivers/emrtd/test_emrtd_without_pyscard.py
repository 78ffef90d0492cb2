"""Without pyscard, idcapture imports and the pcsc driver is listed as unavailable."""

from __future__ import annotations

import json
import subprocess
import sys

SCRIPT = r"""
import importlib.abc, json, sys

class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "smartcard" or name.startswith("smartcard."):
            raise ImportError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, Block())
import idcapture
from idcapture.plugins import get_registry
import idcapture.drivers.emrtd.session  # the sans-IO parts need no pyscard
entry = [e for e in get_registry().entries() if e.name == "pcsc"][0]
print(json.dumps(entry.availability()))
"""


def test_import_without_pyscard_marks_driver_unavailable() -> None:
    out = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True,
                         timeout=60, env={"IDCAPTURE_NO_ENTRY_POINTS": "1", "PATH": ""})
    assert out.returncode == 0, out.stderr
    available, reason = json.loads(out.stdout.strip().splitlines()[-1])
    assert available is False
    assert "pyscard" in reason
