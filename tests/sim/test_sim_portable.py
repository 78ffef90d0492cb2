"""The in-process simulators need no pseudo-terminal, Unix socket or other POSIX-only
module, so they run on Windows: checked by running them in a process where those
modules cannot be imported and ``socket.AF_UNIX`` does not exist."""

from __future__ import annotations

import subprocess
import sys

WITHOUT_POSIX = r'''
import socket, sys
for name in ("pty", "termios", "tty", "fcntl"):
    sys.modules[name] = None          # importing any of them now raises ImportError
if hasattr(socket, "AF_UNIX"):
    del socket.AF_UNIX
import idcapture
from idcapture.record import FingerPosition
from idcapture.sim.devices import open_sim_camera, open_sim_fingerprint_sensor, open_sim_id_reader

with open_sim_id_reader() as reader:
    assert reader.wait_for_card(timeout=5).id_number
with open_sim_camera("sim:camera?fps=0") as camera:
    assert camera.read_frame().image.shape == (480, 640, 3)
with open_sim_fingerprint_sensor() as sensor:
    assert sensor.capture(FingerPosition.RIGHT_THUMB).image.ndim == 2
print("ok")
'''


def test_in_process_simulators_run_without_posix_modules() -> None:
    out = subprocess.run([sys.executable, "-c", WITHOUT_POSIX], capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr[-3000:]


def test_the_pty_simulator_does_need_them() -> None:
    """The check above is real: the wire-level SAM simulator cannot load that way."""
    code = WITHOUT_POSIX.split("import idcapture")[0] + "import idcapture.sim.sam.server\n"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=300)
    assert out.returncode != 0 and "import of termios halted" in out.stderr
