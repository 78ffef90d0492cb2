"""The zkfinger driver against the compiled ZKFinger ABI simulator (build/native/libzkfp.so)."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from idcapture.drivers.zkfinger.api import CDEF, SPEC
from idcapture.drivers.zkfinger.driver import ZkFingerSensor
from idcapture.errors import (
    DeviceNotFound,
    DeviceRemoved,
    DeviceTimeout,
    DriverUnavailable,
    RetryNeeded,
    RetryOutcome,
    RetryReason,
)
from idcapture.sim.finger.sources import parse_script
from idcapture.sim.zkfinger.control import ZkSimulator, write_feed_file
from idcapture.transports.native import load_library
from setup_required import need_file

ROOT = Path(__file__).resolve().parents[3]


def _strip(text: str) -> str:
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    return " ".join(text.split())


def test_header_and_runtime_declarations_agree() -> None:
    header = (ROOT / "native" / "include" / "zkfinger.h").read_text(encoding="utf-8")
    assert _strip(header) == _strip(CDEF)


def test_missing_library_names_the_files_tried(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "libzkfp.so"
    with pytest.raises(DriverUnavailable) as err:
        load_library(SPEC, missing)
    assert str(missing) in str(err.value) and "IDCAPTURE_ZKFP_LIB" in str(err.value)


@pytest.fixture()
def zk(native_build: Path) -> tuple[ZkSimulator, str]:
    lib = need_file(native_build / "libzkfp.so",
                    "libzkfp.so simulator not built; ./run.sh setup builds it")
    sim = ZkSimulator(lib)
    sim.reset()
    return sim, f"zkfinger:0?lib={lib}&poll=0.01"


def _script(sim: ZkSimulator, script: list[dict[str, object]]) -> None:
    events, then = parse_script(script)
    sim.feed(sim.new_feed(events, then))


def test_capture_after_no_finger_polls(zk: tuple[ZkSimulator, str]) -> None:
    sim, address = zk
    _script(sim, [{"no_finger": 4}, {"present": "synthetic:seed=3"}])
    with ZkFingerSensor(address) as dev:
        got = dev.capture(timeout=3)
        info = dev.info
    assert got.image.shape == (400, 300) and got.attempts == 5 and got.resolution_ppi == 500
    assert info.model == "ZK9500 simulator" and info.serial == "ZKSIM0000"
    assert got.image.std() > 30 and sim.pending == 0


@pytest.mark.parametrize(("script", "reason"), [
    ([{"present": "synthetic:seed=5,style=dry"}], RetryReason.TOO_LIGHT),
    ([{"present": "synthetic:seed=5,style=wet"}], RetryReason.TOO_DARK),
    ([{"present": "synthetic:seed=5,style=partial"}], RetryReason.AREA_TOO_SMALL),
    ([{"lift_mid_capture": True}], RetryReason.FINGER_LIFTED),
])
def test_scripted_events_end_in_their_retry_outcome(zk: tuple[ZkSimulator, str],
                                                    script: list[dict[str, object]],
                                                    reason: RetryReason) -> None:
    sim, address = zk
    _script(sim, script)
    with ZkFingerSensor(address) as dev, pytest.raises(RetryNeeded) as err:
        dev.capture(timeout=2)
    assert err.value.outcome.reason is reason


def test_same_finger_twice_and_timeout(zk: tuple[ZkSimulator, str]) -> None:
    sim, address = zk
    _script(sim, [{"present": "synthetic:seed=9"}, {"present": "synthetic:seed=10"},
                  {"same_finger": True}])
    with ZkFingerSensor(address) as dev:
        a, other, b = (dev.try_capture() for _ in range(3))
        assert not any(isinstance(x, RetryOutcome) for x in (a, other, b))
        t0 = time.monotonic()
        with pytest.raises(DeviceTimeout):
            dev.capture(timeout=0.5)
        assert time.monotonic() - t0 >= 0.5  # it waited out the timeout
    ia, ib, io = (np.asarray(x.image, float).ravel() for x in (a, b, other))  # type: ignore[union-attr]
    assert np.corrcoef(io, ib)[0, 1] < np.corrcoef(ia, ib)[0, 1]


def test_unplug_is_device_removed_then_still_gone(zk: tuple[ZkSimulator, str]) -> None:
    sim, address = zk
    _script(sim, [{"no_finger": 1}, {"unplug": True}])
    with ZkFingerSensor(address) as dev:
        with pytest.raises(DeviceRemoved):
            dev.capture(timeout=2)
        with pytest.raises(DeviceRemoved):
            dev.try_capture()
    sim.reset()
    with pytest.raises(DeviceNotFound):
        ZkFingerSensor(address.replace("zkfinger:0", "zkfinger:3")).open()


def test_feed_file_drives_a_separate_process(zk: tuple[ZkSimulator, str], tmp_path: Path) -> None:
    sim, address = zk
    events, then = parse_script([{"no_finger": 2}, {"present": "synthetic:seed=3"}])
    feed_file = tmp_path / "feed.bin"
    assert write_feed_file(feed_file, sim.new_feed(events, then)) == 3
    code = ("import idcapture; d = idcapture.open_fingerprint_sensor('zkfinger:0?poll=0.01');"
            "f = d.capture(timeout=3); print(f.width, f.height, f.attempts)")
    lib = address.split("lib=")[1].split("&")[0]
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60, env={"IDCAPTURE_ZKSIM_FEED": str(feed_file),
                                          "IDCAPTURE_ZKFP_LIB": lib,
                                          "PATH": "/usr/bin:/bin",
                                          "IDCAPTURE_NO_ENTRY_POINTS": "1"})
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["300", "400", "3"]
