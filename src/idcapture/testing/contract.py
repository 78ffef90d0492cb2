"""Device-contract tests that every driver must pass.

A driver author subclasses the class for the driver's family in a test module and
provides the ``device_address`` fixture (and, for readers and sensors, a way to put a
card or a finger on the device)::

    import pytest
    from idcapture.testing import CameraContract

    class TestMyCamera(CameraContract):
        @pytest.fixture
        def device_address(self):
            return "mycam:0"

The pytest plugin (entry point ``pytest11``, loaded automatically once idcapture is
installed) provides the ``idcapture_registry`` fixture, which sees entry-point plugins,
and the ``idcapture_open`` fixture, which opens a device and closes it after the test.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest

from ..devices.base import Device, DeviceInfo, DeviceKind, DeviceState
from ..devices.camera import Camera
from ..devices.fingerprint import FingerImage, FingerprintSensor
from ..devices.id_reader import IdReader
from ..errors import DeviceClosed, DeviceTimeout, RetryOutcome
from ..plugins import DriverRegistry
from ..record import FingerPosition, IdentityDocument

__all__ = ["CameraContract", "DeviceContract", "FingerprintSensorContract", "IdReaderContract"]


class DeviceContract:
    """What every device must do, whatever its family."""

    kind: DeviceKind

    @pytest.fixture
    def device_address(self) -> str:  # pragma: no cover - overridden by subclasses
        raise NotImplementedError("provide a device_address fixture")

    @pytest.fixture
    def exchange_time(self) -> float:
        """The longest single exchange with the device, in seconds (override for a slow
        line). A call with a timeout returns within it plus this."""
        return 3.0

    @pytest.fixture
    def device(self, idcapture_registry: DriverRegistry,
               device_address: str) -> Iterator[Device]:
        dev = idcapture_registry.open(device_address, self.kind)
        try:
            yield dev
        finally:
            dev.close()

    def test_registered_and_available(self, idcapture_registry: DriverRegistry,
                                      device_address: str) -> None:
        name = device_address.split(":", 1)[0]
        entry = idcapture_registry.find(name, self.kind, device_address.split(":", 1)[-1])
        ok, reason = entry.availability()
        assert ok, reason
        assert entry.load().kind is self.kind

    def test_opens_with_state_and_info(self, device: Device) -> None:
        assert device.state is DeviceState.OPEN
        info = device.info
        assert isinstance(info, DeviceInfo)
        assert info.kind is self.kind
        assert info.address

    def test_close_is_idempotent_and_final(self, device: Device) -> None:
        device.close()
        device.close()
        assert device.closed
        with pytest.raises(DeviceClosed):
            device.open()

    def test_context_manager_closes(self, idcapture_registry: DriverRegistry,
                                    device_address: str) -> None:
        with idcapture_registry.open(device_address, self.kind) as dev:
            assert dev.state is DeviceState.OPEN
        assert dev.closed

    def test_discover_returns_device_infos(self, idcapture_registry: DriverRegistry,
                                           device_address: str) -> None:
        name = device_address.split(":", 1)[0]
        cls = idcapture_registry.find(name, self.kind, device_address.split(":", 1)[-1]).load()
        found = cls.discover(timeout=2.0)
        assert isinstance(found, list)
        assert all(isinstance(d, DeviceInfo) and d.kind is self.kind for d in found)


class IdReaderContract(DeviceContract):
    """Contract for ID readers. Provide ``place_card`` and ``remove_card`` fixtures
    returning callables that put the driver's test card on the reader and take it off."""

    kind = DeviceKind.ID_READER

    @pytest.fixture
    def place_card(self, device: Device) -> Callable[[], None]:  # pragma: no cover
        raise NotImplementedError("provide a place_card fixture")

    @pytest.fixture
    def remove_card(self, device: Device) -> Callable[[], None]:  # pragma: no cover
        raise NotImplementedError("provide a remove_card fixture")

    def test_reads_a_card(self, device: IdReader, place_card: Callable[[], None]) -> None:
        place_card()
        doc = device.read(timeout=10)
        assert isinstance(doc, IdentityDocument)
        assert doc.id_number and doc.name

    def test_once_per_placement(self, device: IdReader, place_card: Callable[[], None],
                                remove_card: Callable[[], None]) -> None:
        place_card()
        device.wait_for_card(timeout=10)
        with pytest.raises(DeviceTimeout) as err:
            device.wait_for_card(timeout=0.3)
        assert err.value.awaited == "card placement"
        remove_card()
        assert not device.card_present()
        place_card()
        assert isinstance(device.wait_for_card(timeout=10), IdentityDocument)

    def test_timeout_without_card(self, device: IdReader, remove_card: Callable[[], None],
                                  exchange_time: float) -> None:
        remove_card()
        start = time.monotonic()
        with pytest.raises(DeviceTimeout) as err:
            device.wait_for_card(timeout=0.3)
        assert time.monotonic() - start < 0.3 + exchange_time
        assert "card" in str(err.value)

    def test_async_twin(self, device: IdReader, place_card: Callable[[], None]) -> None:
        place_card()
        doc = asyncio.run(device.aread(timeout=10))
        assert isinstance(doc, IdentityDocument)


class CameraContract(DeviceContract):
    """Contract for cameras."""

    kind = DeviceKind.CAMERA

    def test_frames_are_bgr_uint8(self, device: Camera) -> None:
        frame = device.read_frame(timeout=5)
        assert frame.image.dtype == np.uint8
        assert frame.image.ndim == 3 and frame.image.shape[2] == 3
        assert frame.width > 0 and frame.height > 0

    def test_frames_are_ordered(self, device: Camera) -> None:
        frames = list(device.frames(3, timeout=5))
        assert [f.index for f in frames] == sorted(f.index for f in frames)
        assert frames[0].timestamp <= frames[-1].timestamp

    def test_threads_share_the_device(self, device: Camera) -> None:
        got: list[int] = []
        errors: list[BaseException] = []

        def grab() -> None:
            try:
                for _ in range(3):
                    got.append(device.read_frame(timeout=5).index)
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)

        threads = [threading.Thread(target=grab) for _ in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert not errors
        assert len(got) == 9 and len(set(got)) == 9

    def test_async_twin(self, device: Camera) -> None:
        frame = asyncio.run(device.aread_frame(timeout=5))
        assert frame.image.size > 0


class FingerprintSensorContract(DeviceContract):
    """Contract for fingerprint sensors. Provide a ``present_finger`` fixture returning a
    callable that puts a finger on the sensor."""

    kind = DeviceKind.FINGERPRINT_SENSOR

    @pytest.fixture
    def present_finger(self, device: Device) -> Callable[[], None]:  # pragma: no cover
        raise NotImplementedError("provide a present_finger fixture")

    def test_capture(self, device: FingerprintSensor,
                     present_finger: Callable[[], None]) -> None:
        present_finger()
        img = device.capture(FingerPosition.RIGHT_THUMB, timeout=20)
        assert isinstance(img, FingerImage)
        assert img.image.dtype == np.uint8 and img.image.ndim == 2
        assert img.position is FingerPosition.RIGHT_THUMB
        assert img.resolution_ppi > 0
        assert img.duration_s >= 0

    def test_try_capture_gives_image_or_retry(self, device: FingerprintSensor,
                                              present_finger: Callable[[], None]) -> None:
        present_finger()
        result: Any = device.try_capture(FingerPosition.LEFT_THUMB)
        assert isinstance(result, (FingerImage, RetryOutcome))
