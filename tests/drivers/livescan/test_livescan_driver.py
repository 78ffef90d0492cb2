"""The livescan driver against the compiled ID_FprCap simulator (build/native/libID_FprCap.so)."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest

from idcapture.devices.base import DeviceState
from idcapture.drivers.livescan.api import CDEF, SPEC
from idcapture.drivers.livescan.driver import LiveScanSensor, error_text
from idcapture.errors import (
    ConfigError,
    DeviceFault,
    DeviceNotFound,
    DeviceRemoved,
    DeviceTimeout,
    DriverUnavailable,
    RetryNeeded,
    RetryOutcome,
    RetryReason,
)
from idcapture.sim.finger.sources import SyntheticSource, fit_to_sensor
from idcapture.sim.livescan import LiveScanSimulator, write_feed_file
from idcapture.testing import FingerprintSensorContract
from idcapture.transports.native import load_library

ROOT = Path(__file__).resolve().parents[3]


def _strip(text: str) -> str:
    return " ".join(re.sub(r"/\*.*?\*/", "", text, flags=re.S).split())


def test_header_and_runtime_declarations_agree() -> None:
    header = (ROOT / "native" / "include" / "id_fprcap.h").read_text(encoding="utf-8")
    assert _strip(header) == _strip(CDEF)


def test_missing_library_names_the_files_tried(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "libID_FprCap.so"
    with pytest.raises(DriverUnavailable) as err:
        load_library(SPEC, missing)
    assert str(missing) in str(err.value) and "IDCAPTURE_LIVESCAN_LIB" in str(err.value)


@pytest.fixture()
def lib_path(native_build: Path) -> Path:
    lib = native_build / "libID_FprCap.so"
    if not lib.is_file():
        pytest.skip("libID_FprCap.so simulator not built; ./run.sh setup builds it")
    return lib


@pytest.fixture()
def ls(lib_path: Path) -> Iterator[tuple[LiveScanSimulator, str]]:
    sim = LiveScanSimulator(lib_path)
    sim.reset()
    yield sim, f"livescan:0?lib={lib_path}&poll=0.01"
    sim.reset()


class TestLiveScanContract(FingerprintSensorContract):
    @pytest.fixture
    def device_address(self, ls: tuple[LiveScanSimulator, str], lib_path: Path,
                       monkeypatch: pytest.MonkeyPatch) -> str:
        monkeypatch.setenv("IDCAPTURE_LIVESCAN_LIB", str(lib_path))
        return ls[1]

    @pytest.fixture
    def present_finger(self, ls: tuple[LiveScanSimulator, str]) -> Callable[[], None]:
        return lambda: ls[0].script({"events": [], "then": "synthetic:seed=4"}) and None

    @pytest.fixture
    def lift_finger(self, ls: tuple[LiveScanSimulator, str]) -> Callable[[], None]:
        return lambda: ls[0].script([{"no_finger": 1000}]) and None  # an empty glass

    @pytest.fixture
    def unplug_device(self, ls: tuple[LiveScanSimulator, str]) -> Callable[[bool], None]:
        def unplug(gone: bool) -> None:
            if gone:
                ls[0].script([{"unplug": True}])  # the next frame call finds it gone
            else:
                ls[0].plug()
        return unplug


def test_polls_until_a_finger_then_256x360(ls: tuple[LiveScanSimulator, str]) -> None:
    sim, address = ls
    sim.script([{"no_finger": 3}, {"present": "synthetic:seed=3"}])
    with LiveScanSensor(address) as dev:
        got = dev.capture(timeout=3)
        info = dev.info
        assert sim.capturing
    assert got.image.shape == (360, 256) and got.attempts == 4 and got.resolution_ppi == 500
    assert got.image.std() > 30 and sim.pending == 0
    assert "simulator" in info.model and info.extra["interface_version"] == "120"
    assert not sim.initialised and not sim.capturing  # EndCapture and Close ran


def test_bmp_frames_equal_raw_frames(ls: tuple[LiveScanSimulator, str]) -> None:
    sim, address = ls
    img = fit_to_sensor(SyntheticSource(7).impression(0), 256, 360)
    sim.push_image(img)
    sim.push_image(img)
    with LiveScanSensor(address) as raw_dev:
        raw = raw_dev.capture(timeout=2).image
    with LiveScanSensor(address + "&frame=bmp") as bmp_dev:
        bmp = bmp_dev.capture(timeout=2).image
    assert np.array_equal(raw, img) and np.array_equal(bmp, img)


def test_brightness_and_contrast_reach_the_image(ls: tuple[LiveScanSimulator, str]) -> None:
    sim, address = ls
    img = fit_to_sensor(SyntheticSource(7).impression(0), 256, 360)
    with LiveScanSensor(address + "&bright=150&accept=off") as dev:
        assert dev.levels() == (150, 128)
        sim.push_image(img)
        brighter = dev.capture(timeout=2).image
        dev.set_levels(brightness=128, contrast=100)
        assert dev.levels() == (128, 100)
        sim.push_image(img)
        flatter = dev.capture(timeout=2).image
        with pytest.raises(ConfigError):
            dev.set_levels(brightness=300)
        sim.inject_next("LIVESCAN_SetContrast", -3)
        with pytest.raises(ConfigError, match="cannot set the contrast"):
            dev.set_levels(contrast=90)
    assert brighter.mean() == pytest.approx(np.clip(img.astype(int) + 22, 0, 255).mean(), abs=0.01)
    assert flatter.std() < img.std()


@pytest.mark.parametrize(("script", "reason"), [
    ([{"present": "synthetic:seed=5,style=dry"}], RetryReason.TOO_LIGHT),
    ([{"present": "synthetic:seed=5,style=wet"}], RetryReason.TOO_DARK),
    ([{"present": "synthetic:seed=5,style=partial"}], RetryReason.AREA_TOO_SMALL),
    ([{"present": "synthetic:seed=5"}, {"lift_mid_capture": True}], RetryReason.AREA_TOO_SMALL),
])
def test_scripted_events_end_in_their_retry_outcome(ls: tuple[LiveScanSimulator, str],
                                                    script: list[dict[str, object]],
                                                    reason: RetryReason) -> None:
    sim, address = ls
    sim.script(script)
    with LiveScanSensor(address) as dev:
        if len(script) > 1:
            assert not isinstance(dev.try_capture(), RetryOutcome)
        with pytest.raises(RetryNeeded) as err:
            dev.capture(timeout=2)
    assert err.value.outcome.reason is reason


def test_empty_glass_times_out_naming_the_finger(ls: tuple[LiveScanSimulator, str]) -> None:
    _sim, address = ls
    with LiveScanSensor(address) as dev:
        assert isinstance(dev.try_capture(), RetryOutcome)
        with pytest.raises(DeviceTimeout) as err:
            dev.capture(timeout=0.3)
    assert err.value.awaited == "finger placement"


def test_unplug_then_reconnect(ls: tuple[LiveScanSimulator, str]) -> None:
    sim, address = ls
    sim.script([{"no_finger": 1}, {"unplug": True}])
    with LiveScanSensor(address) as dev:
        with pytest.raises(DeviceRemoved, match="-4, no-device: Device not connected"):
            dev.capture(timeout=2)
        assert dev.state is DeviceState.REMOVED
        with pytest.raises(DeviceRemoved, match="still gone"):
            dev.try_capture()
        sim.plug()
        sim.script([{"present": "synthetic:seed=2"}])
        assert dev.capture(timeout=2).image.shape == (360, 256)
        assert dev.state is DeviceState.OPEN


def test_not_initialised_mid_session_reinitialises(ls: tuple[LiveScanSimulator, str]) -> None:
    sim, address = ls
    with LiveScanSensor(address) as dev:
        sim.push_code(-5)
        with pytest.raises(DeviceRemoved, match="not-initialised"):
            dev.try_capture()
        sim.script([{"present": "synthetic:seed=2"}])
        assert not isinstance(dev.try_capture(), RetryOutcome)


def test_lost_frames_are_retried_then_a_fault(ls: tuple[LiveScanSimulator, str]) -> None:
    sim, address = ls
    for _ in range(2):
        sim.push_code(-9)
    sim.script([{"present": "synthetic:seed=2"}])
    with LiveScanSensor(address) as dev:
        assert dev.capture(timeout=2).attempts == 3
        for _ in range(5):
            sim.push_code(-9)
        with pytest.raises(DeviceFault, match=r"5 frames in a row.*-9, other: Other errors"):
            dev.capture(timeout=2)


@pytest.mark.parametrize(("rc", "code", "text"), [
    (-1, "livescan-parameter", "Invalid Parameter"),
    (-2, "livescan-memory", "Memory allocation failed"),
    (-3, "livescan-not-implemented", "Function not implemented"),
    (-6, "livescan-illegal-error-number", "Illegal error number"),
    (-101, "livescan-vendor-101", "Vendor error -101"),
    (-8, "livescan-unknown--8", ""),
])
def test_frame_errors_are_faults_naming_the_code(ls: tuple[LiveScanSimulator, str], rc: int,
                                                 code: str, text: str) -> None:
    sim, address = ls
    sim.push_code(rc)
    with LiveScanSensor(address) as dev, pytest.raises(DeviceFault) as err:
        dev.try_capture()
    assert err.value.code == code and text in str(err.value)


def test_licence_and_missing_device_at_start(ls: tuple[LiveScanSimulator, str], lib_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    sim, address = ls
    monkeypatch.setenv("IDCAPTURE_LIVESCAN_LIB", str(lib_path))
    sim.set_init_result(-7)
    with pytest.raises(DriverUnavailable, match="no licence"):
        LiveScanSensor(address).open()
    sim.set_init_result(-4)
    with pytest.raises(DeviceNotFound, match="no ID-card fingerprint scanner"):
        LiveScanSensor(address).open()
    assert LiveScanSensor.discover() == []
    sim.set_init_result(1)
    assert [d.address for d in LiveScanSensor.discover()] == ["livescan:0"]
    with pytest.raises(DeviceNotFound, match="channel 1 does not exist"):
        LiveScanSensor(address.replace("livescan:0", "livescan:1")).open()
    assert not sim.initialised  # the failed open released the library


def test_state_rules_of_the_simulator(ls: tuple[LiveScanSimulator, str], lib_path: Path) -> None:
    sim, _address = ls
    lib = load_library(SPEC, lib_path)
    raw = lib.ffi.new("unsigned char[]", 256 * 360)
    assert lib.lib.LIVESCAN_BeginCapture(0) == -5
    sim.set_uninit_code(-4)
    assert lib.lib.LIVESCAN_GetChannelCount() == -4
    assert lib.lib.LIVESCAN_Init() == 1 and lib.lib.LIVESCAN_Init() == 1
    assert lib.lib.LIVESCAN_GetFPRawData(0, raw) == -9  # outside Begin/EndCapture
    assert lib.lib.LIVESCAN_BeginCapture(1) == -1
    assert lib.lib.LIVESCAN_Setup() == -3 and lib.lib.LIVESCAN_IsSupportSetup() == 0
    assert lib.lib.LIVESCAN_SetCaptWindow(0, 0, 0, 200, 300) == -1
    info = lib.ffi.new("char[256]")
    assert lib.lib.LIVESCAN_GetErrorInfo(-42, info) == -6
    assert error_text(lib, -7) == "No licence"
    assert lib.lib.LIVESCAN_SetBufferEmpty(lib.ffi.NULL, 10) == -1
    assert lib.lib.LIVESCAN_Close() == 1


def test_feed_file_drives_a_separate_process(ls: tuple[LiveScanSimulator, str],
                                             lib_path: Path, tmp_path: Path) -> None:
    sim, _address = ls
    from idcapture.sim.finger.sources import parse_script

    events, then = parse_script([{"no_finger": 2}, {"present": "synthetic:seed=3"}])
    feed_file = tmp_path / "feed.bin"
    assert write_feed_file(feed_file, sim.new_feed(events, then)) == 3
    code = ("import idcapture; d = idcapture.open_fingerprint_sensor('livescan:0?poll=0.01');"
            "f = d.capture(timeout=3); print(f.width, f.height, f.attempts)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60, env={"IDCAPTURE_LSSIM_FEED": str(feed_file),
                                          "IDCAPTURE_LIVESCAN_LIB": str(lib_path),
                                          "PATH": "/usr/bin:/bin",
                                          "IDCAPTURE_NO_ENTRY_POINTS": "1"})
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["256", "360", "3"]


def test_library_named_in_the_address_opens_through_the_registry(
        ls: tuple[LiveScanSimulator, str], monkeypatch: pytest.MonkeyPatch,
        tmp_path: Path) -> None:
    import idcapture

    monkeypatch.delenv("IDCAPTURE_LIVESCAN_LIB", raising=False)
    sim, address = ls
    sim.script([{"present": "synthetic:seed=3"}])
    with idcapture.open_fingerprint_sensor(address) as dev:
        assert dev.capture(timeout=2).image.shape == (360, 256)
    missing = tmp_path / "libID_FprCap.so"
    with pytest.raises(DriverUnavailable, match=str(missing)):
        idcapture.open_fingerprint_sensor(f"livescan:0?lib={missing}")
