"""The fingerprint-sensor contract fails a driver that returns noise (it passed the
shallow contract before), and passes the simulator presenting a synthetic finger."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np
import pytest

from idcapture.devices import FingerprintSensor
from idcapture.errors import RetryOutcome
from idcapture.sim.devices import open_sim_fingerprint_sensor
from idcapture.testing import FingerprintSensorContract


class NoiseSensor(FingerprintSensor):
    """A broken driver: every capture is uniform random noise of a plausible size."""

    driver_name = "noise"

    def __init__(self) -> None:
        super().__init__("noise:0")
        self._rng = np.random.default_rng(1)

    def _try_capture(self, timeout: float) -> np.ndarray | RetryOutcome:
        return self._rng.integers(0, 256, (360, 256), dtype=np.uint8)


@pytest.fixture
def noise() -> Iterator[NoiseSensor]:
    with NoiseSensor() as dev:
        yield dev


def _nothing() -> None:
    return None


def test_noise_passes_the_shallow_checks_but_not_the_finger_check(noise: NoiseSensor) -> None:
    contract = FingerprintSensorContract()
    present: Callable[[], None] = _nothing
    contract.test_capture(noise, present)
    contract.test_try_capture_gives_image_or_retry(noise, present)
    contract.test_geometry_and_resolution(noise, present)
    contract.test_threads_share_the_device(noise, present)
    with pytest.raises(AssertionError, match="no usable finger"):
        contract.test_image_is_a_finger(noise, present)


def test_a_synthetic_finger_passes_the_finger_check() -> None:
    with open_sim_fingerprint_sensor(finger="none") as sensor:
        FingerprintSensorContract().test_image_is_a_finger(sensor, sensor.present)
