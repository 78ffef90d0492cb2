"""Contract tests for fingerprint-algorithm drivers (the ``finger_algorithm`` kind).

Provide ``device_address`` and a ``finger_images`` fixture returning three 360 x 256
uint8 images: two impressions of one finger and one of another finger::

    class TestMyAlgorithm(FingerAlgorithmContract):
        @pytest.fixture
        def device_address(self):
            return "myfpr:?lib=/opt/vendor/libID_Fpr.so"
"""

from __future__ import annotations

import numpy as np
import pytest

from ..devices.base import DeviceKind
from ..devices.finger_algorithm import TEMPLATE_SIZE, FingerAlgorithm
from ..errors import ConfigError, RetryNeeded
from .contract import DeviceContract

__all__ = ["FingerAlgorithmContract"]


class FingerAlgorithmContract(DeviceContract):
    """What every fingerprint algorithm must do."""

    kind = DeviceKind.FINGER_ALGORITHM

    @pytest.fixture
    def finger_images(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # pragma: no cover
        raise NotImplementedError("provide a finger_images fixture")

    def test_templates_are_records_that_match_their_finger(
            self, device: FingerAlgorithm,
            finger_images: tuple[np.ndarray, np.ndarray, np.ndarray]) -> None:
        a, b, other = finger_images
        ta, tb, to = (device.extract(img, 11) for img in (a, b, other))
        assert all(len(t) == TEMPLATE_SIZE and t[0] == 0x43 and t[5] == 11
                   for t in (ta, tb, to))
        genuine, impostor = device.match(ta, tb), device.match(ta, to)
        assert 0.0 <= impostor < device.default_threshold <= genuine <= 1.0
        assert device.match_image(b, ta) >= device.default_threshold
        assert device.match_image(other, ta) < device.default_threshold

    def test_quality_and_blank_images(self, device: FingerAlgorithm,
                                      finger_images: tuple[np.ndarray, ...]) -> None:
        assert 1 <= device.quality(finger_images[0]) <= 100
        blank = np.full(device.image_shape, 0xFA, np.uint8)
        assert device.quality(blank) == 0
        with pytest.raises(RetryNeeded):
            device.extract(blank, 11)

    def test_bad_arguments_are_config_errors(self, device: FingerAlgorithm) -> None:
        with pytest.raises(ConfigError, match="512 bytes"):
            device.match(b"C" * 100, b"C" * 512)
        with pytest.raises(ConfigError, match="image"):
            device.quality(np.zeros((10, 10), np.uint8))
