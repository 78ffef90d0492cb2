"""The idfpr algorithm driver against the compiled ID_Fpr simulator (build/native/libID_Fpr.so)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from idcapture.devices.base import DeviceKind
from idcapture.drivers.idfpr.driver import IdFprAlgorithm
from idcapture.drivers.idfpr.record import FingerRecord
from idcapture.errors import ConfigError, DeviceFault
from idcapture.plugins import get_registry
from idcapture.sim.finger.sources import SyntheticSource, fit_to_sensor
from idcapture.testing import FingerAlgorithmContract


@pytest.fixture()
def lib_path(native_build: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    lib = native_build / "libID_Fpr.so"
    if not lib.is_file():
        pytest.skip("libID_Fpr.so simulator not built; ./run.sh setup builds it")
    monkeypatch.setenv("IDCAPTURE_IDFPR_LIB", str(lib))
    return lib


def _img(seed: int, n: int) -> np.ndarray:
    return fit_to_sensor(SyntheticSource(seed).impression(n), 256, 360)


class TestIdFprContract(FingerAlgorithmContract):
    @pytest.fixture
    def device_address(self, lib_path: Path) -> str:
        return "idfpr:"

    @pytest.fixture
    def finger_images(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return _img(31, 0), _img(31, 1), _img(32, 0)


def test_opened_by_address_with_version_and_threshold(lib_path: Path) -> None:
    with get_registry().open(f"idfpr:?lib={lib_path}&threshold=0.3&scanner=23",
                             DeviceKind.FINGER_ALGORITHM) as alg:
        assert isinstance(alg, IdFprAlgorithm)
        assert alg.version == "9901" and alg.threshold == 0.3
        info = alg.info
        assert info.kind is DeviceKind.FINGER_ALGORITHM and info.extra["scanner_type"] == "23"
        failed = FingerRecord(alg.empty_template(13))
        not_enrolled = FingerRecord(alg.empty_template(18, enrolment_failed=False))
    assert (failed.enrol_result, failed.finger_code) == (2, 13)
    assert (not_enrolled.enrol_result, not_enrolled.finger_code) == (3, 18)
    with pytest.raises(ConfigError, match="threshold"):
        IdFprAlgorithm("idfpr:?threshold=2")


def test_library_codes_become_typed_errors(lib_path: Path) -> None:
    import cffi

    ffi = cffi.FFI()  # the simulator's control export, on the library the driver loads
    ffi.cdef("int FPSim_InjectNext(const char *name, int rc);")
    sim = ffi.dlopen(str(lib_path))
    with IdFprAlgorithm(f"idfpr:?lib={lib_path}") as alg:
        t = alg.extract(_img(31, 0), 11)
        bad = b"D" + t[1:]
        with pytest.raises(ConfigError, match="-1, parameter"):
            alg.match(bad, t)
        for rc, code in ((-2, "idfpr-memory"), (-3, "idfpr-not-implemented"),
                         (-4, "idfpr-compression"), (-17, "idfpr-unknown--17")):
            assert sim.FPSim_InjectNext(b"FP_FeatureMatch", rc) == 1
            with pytest.raises(DeviceFault) as err:
                alg.match(t, t)
            assert err.value.code == code
        assert sim.FPSim_InjectNext(b"FP_GetQualityScore", -9) == 1
        with pytest.raises(DeviceFault, match="-9, other"):
            alg.quality(_img(31, 0))
        assert alg.match(t, t) == pytest.approx(1.0)
    assert sim.FPSim_InjectNext(b"FP_Begin", -9) == 1
    with pytest.raises(DeviceFault, match="failed to start"):
        IdFprAlgorithm(f"idfpr:?lib={lib_path}").open()


def test_cli_lists_the_algorithm_and_why_it_is_unavailable(lib_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "IDCAPTURE_IDFPR_LIB"}
    env["IDCAPTURE_NO_ENTRY_POINTS"] = "1"
    run = lambda e: subprocess.run(  # noqa: E731
        [sys.executable, "-m", "idcapture", "drivers", "--kind", "algorithm", "--json"],
        capture_output=True, text=True, timeout=60, env=e)
    missing = json.loads(run(env).stdout)["drivers"]
    assert [d["name"] for d in missing] == ["idfpr"]
    assert not missing[0]["available"] and "IDCAPTURE_IDFPR_LIB" in missing[0]["reason"]
    found = json.loads(run({**env, "IDCAPTURE_IDFPR_LIB": str(lib_path)}).stdout)["drivers"]
    assert found[0]["available"] and found[0]["kind"] == "finger_algorithm"
