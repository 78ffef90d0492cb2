"""idcapture's device-contract tests, run against the example drivers."""

from collections.abc import Callable

import pytest

from idcapture.testing import CameraContract, IdReaderContract


class TestPatternCamera(CameraContract):
    @pytest.fixture
    def device_address(self) -> str:
        return "example-pattern:64x48"


class TestExampleReader(IdReaderContract):
    @pytest.fixture
    def device_address(self) -> str:
        return "example-reader:"

    @pytest.fixture
    def place_card(self, device) -> Callable[[], None]:
        return device.place

    @pytest.fixture
    def remove_card(self, device) -> Callable[[], None]:
        return device.remove
