"""Typed simulator helpers: a tester's script that drives the simulators' controls
type-checks under ``mypy --strict`` and runs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from idcapture.errors import AddressError, DeviceTimeout, RetryOutcome, RetryReason
from idcapture.record import FingerPosition
from idcapture.sim.devices import (
    open_sim_camera,
    open_sim_fingerprint_sensor,
    open_sim_id_reader,
    sample_document,
)

TYPED = '''
from idcapture.sim.devices import open_sim_id_reader, sample_document
with open_sim_id_reader(card="none") as reader:
    reader.place_card(sample_document())
    reader.remove_card()
'''
UNTYPED = '''
import idcapture
from idcapture.sim.devices import sample_document
with idcapture.open_id_reader("sim:id-reader") as reader:
    reader.place_card(sample_document())
'''


def test_controls_run_on_the_typed_simulators() -> None:
    with open_sim_id_reader(card="none", poll=0.01) as reader:
        with pytest.raises(DeviceTimeout):
            reader.wait_for_card(timeout=0.1)
        reader.place_card(sample_document())
        assert reader.wait_for_card(timeout=5).id_number == sample_document().id_number
        reader.remove_card()
        assert not reader.card_present()
    with open_sim_camera("sim:camera?fps=0") as camera:
        camera.set_scene(np.full((48, 64, 3), 7, np.uint8))
        assert camera.read_frame().image.max() == 7
    with open_sim_fingerprint_sensor() as sensor:
        sensor.queue_outcome(RetryOutcome(RetryReason.TOO_LIGHT, "press harder"))
        assert isinstance(sensor.try_capture(), RetryOutcome)
        sensor.lift()
        with pytest.raises(DeviceTimeout):
            sensor.capture(FingerPosition.RIGHT_THUMB, timeout=0.1)


def test_typed_helpers_refuse_other_drivers_before_opening() -> None:
    with pytest.raises(AddressError, match="not an in-process simulator"):
        open_sim_id_reader("sam-serial:/dev/ttyUSB0")
    with pytest.raises(AddressError, match="camera"):
        open_sim_camera("sim:id-reader")
    with pytest.raises(AddressError, match="widht"):
        open_sim_camera(widht=320)


def test_mypy_strict_accepts_the_typed_controls_only(tmp_path: Path) -> None:
    pytest.importorskip("mypy")
    (tmp_path / "typed.py").write_text(TYPED, encoding="utf-8")
    (tmp_path / "untyped.py").write_text(UNTYPED, encoding="utf-8")
    out = subprocess.run([sys.executable, "-m", "mypy", "--strict", "--no-incremental",
                          "--cache-dir", str(tmp_path / ".mypy"), str(tmp_path / "typed.py"),
                          str(tmp_path / "untyped.py")],
                         capture_output=True, text=True, timeout=600)
    errors = [line for line in out.stdout.splitlines() if ": error:" in line]
    assert errors and all("untyped.py" in e and "place_card" in e for e in errors), out.stdout
