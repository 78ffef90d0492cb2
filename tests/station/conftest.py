"""Fixtures for the station tests: a fresh store, made-up rosters, the in-process
simulators of a station and the simulated ID_Fpr algorithm.

(The scan of every test's log for unmasked personal data is in the top-level conftest.)
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import idcapture
from idcapture.devices.base import DeviceKind
from idcapture.devices.finger_algorithm import FingerAlgorithm
from idcapture.plugins import get_registry
from idcapture.station import StationConfig, Store
from idcapture.station.pump import Devices
from idcapture.synth.students import sample_students


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    cfg = StationConfig(station_id="t-1", year=2025, region="440106")
    s = Store.create(tmp_path / "store", {"config": cfg.to_json()})
    yield s
    s.close()


@pytest.fixture
def students() -> list[dict[str, str]]:
    return sample_students(12, seed=7)


@pytest.fixture
def sims() -> Iterator[Devices]:
    """The in-process reader, camera and fingerprint simulators, empty."""
    reader = idcapture.open_id_reader("sim:id-reader?card=none&poll=0.001")
    camera = idcapture.open_camera("sim:camera?fps=0")
    sensor = idcapture.open_fingerprint_sensor("sim:fingerprint?finger=none&poll=0.001")
    yield Devices(reader, camera, sensor)
    for d in (reader, camera, sensor):
        d.close()


@pytest.fixture
def alg(native_build: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FingerAlgorithm]:
    """``idfpr:`` on the simulated ID_Fpr library (compiled by ./run.sh)."""
    lib = native_build / "libID_Fpr.so"
    if not lib.is_file():
        pytest.skip("libID_Fpr.so simulator not built; ./run.sh setup builds it")
    monkeypatch.setenv("IDCAPTURE_IDFPR_LIB", str(lib))
    dev = get_registry().open("idfpr:", DeviceKind.FINGER_ALGORITHM)
    assert isinstance(dev, FingerAlgorithm)
    yield dev
    dev.close()
