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
from ..errors import DeviceClosed, DeviceRemoved, DeviceTimeout, RetryOutcome, RetryReason
from ..plugins import DriverRegistry
from ..record import FingerPosition, IdentityDocument

__all__ = ["CameraContract", "DeviceContract", "FingerprintSensorContract", "IdReaderContract"]


def _in_threads(work: Callable[[], None], count: int, join_s: float) -> list[BaseException]:
    """Run ``work`` in ``count`` threads at once; the errors they raised."""
    errors: list[BaseException] = []

    def run() -> None:
        try:
            work()
        except BaseException as exc:  # pragma: no cover - returned to the test
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(join_s)
    return errors


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

        def grab() -> None:
            for _ in range(3):
                got.append(device.read_frame(timeout=5).index)

        errors = _in_threads(grab, 3, 30)
        assert not errors, errors
        assert len(got) == 9 and len(set(got)) == 9

    def test_async_twin(self, device: Camera) -> None:
        frame = asyncio.run(device.aread_frame(timeout=5))
        assert frame.image.size > 0


class FingerprintSensorContract(DeviceContract):
    """Contract for fingerprint sensors, as deep as the reader and camera contracts.

    Fixtures a driver's test class provides:

    ``present_finger`` (required)
        a callable that puts a real finger (or, on a simulator, a synthetic print) on
        the sensor and leaves it there until ``lift_finger``; the captured image must be
        a finger the library's own pipeline finds (quality and minutiae), so a driver
        that returns noise fails.
    ``lift_finger``
        a callable that takes the finger off; without it the "no finger" tests skip,
        saying so.
    ``unplug_device``
        a callable ``unplug_device(True)`` that disconnects the sensor and
        ``unplug_device(False)`` that connects it again; without it the removal test
        skips, saying so.
    """

    kind = DeviceKind.FINGERPRINT_SENSOR

    #: the least minutiae the pipeline must find in a presented finger
    min_minutiae = 12

    @pytest.fixture
    def present_finger(self, device: Device) -> Callable[[], None]:  # pragma: no cover
        raise NotImplementedError("provide a present_finger fixture")

    @pytest.fixture
    def lift_finger(self, device: Device) -> Callable[[], None]:
        pytest.skip("no lift_finger fixture: the 'no finger' tests need a way to take the "
                    "finger off the sensor")

    @pytest.fixture
    def unplug_device(self, device: Device) -> Callable[[bool], None]:
        pytest.skip("no unplug_device fixture: the removal test needs a way to disconnect "
                    "and reconnect the sensor")

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

    def test_geometry_and_resolution(self, device: FingerprintSensor,
                                     present_finger: Callable[[], None]) -> None:
        present_finger()
        img = device.capture(FingerPosition.RIGHT_INDEX, timeout=20)
        assert (img.height, img.width) == img.image.shape
        assert img.resolution_ppi == device.resolution_ppi
        assert 250 <= img.resolution_ppi <= 1000, "ppi outside what fingerprint sensors use"
        for side in (img.width, img.height):  # a fingertip to a four-finger slap
            assert 0.3 <= side / img.resolution_ppi <= 3.5, (
                f"a {side}-pixel side at {img.resolution_ppi} ppi is not a finger's size")
        assert device.info.kind is DeviceKind.FINGERPRINT_SENSOR

    def test_image_is_a_finger(self, device: FingerprintSensor,
                               present_finger: Callable[[], None]) -> None:
        from ..biometrics.finger import extract, quality

        present_finger()
        img = device.capture(FingerPosition.RIGHT_THUMB, timeout=20)
        q = quality(img.image, img.resolution_ppi)
        assert q.passed, f"no usable finger in the image: {[r.value for r in q.reasons]}"
        found = len(extract(img.image, img.resolution_ppi).minutiae)
        assert found >= self.min_minutiae, f"only {found} minutiae found in the image"

    def test_timeout_without_finger(self, device: FingerprintSensor,
                                    lift_finger: Callable[[], None],
                                    exchange_time: float) -> None:
        lift_finger()
        outcome = device.try_capture(FingerPosition.RIGHT_THUMB)
        assert isinstance(outcome, RetryOutcome) and outcome.reason is RetryReason.NO_FINGER
        start = time.monotonic()
        with pytest.raises(DeviceTimeout) as err:
            device.capture(FingerPosition.RIGHT_THUMB, timeout=0.5)
        assert time.monotonic() - start < 0.5 + exchange_time
        assert err.value.awaited == "finger placement"

    def test_removed_and_reconnected(self, device: FingerprintSensor,
                                     present_finger: Callable[[], None],
                                     unplug_device: Callable[[bool], None]) -> None:
        present_finger()
        unplug_device(True)
        with pytest.raises(DeviceRemoved):
            device.capture(FingerPosition.RIGHT_THUMB, timeout=2)
        while_gone = device.state
        assert while_gone is DeviceState.REMOVED
        unplug_device(False)
        present_finger()
        img = device.capture(FingerPosition.RIGHT_THUMB, timeout=20)
        assert device.state is DeviceState.OPEN and img.image.size > 0

    def test_async_twins(self, device: FingerprintSensor,
                         present_finger: Callable[[], None]) -> None:
        present_finger()

        async def both() -> tuple[FingerImage, FingerImage | RetryOutcome]:
            return (await device.acapture(FingerPosition.LEFT_THUMB, timeout=20),
                    await device.atry_capture(FingerPosition.LEFT_THUMB))

        img, attempt = asyncio.run(both())
        assert img.position is FingerPosition.LEFT_THUMB and img.image.size > 0
        assert isinstance(attempt, (FingerImage, RetryOutcome))

    def test_threads_share_the_device(self, device: FingerprintSensor,
                                      present_finger: Callable[[], None]) -> None:
        present_finger()
        got: list[FingerImage] = []

        def grab() -> None:
            for _ in range(2):
                got.append(device.capture(FingerPosition.RIGHT_THUMB, timeout=30))

        errors = _in_threads(grab, 2, 120)
        assert not errors, errors
        assert len(got) == 4 and all(g.image.ndim == 2 for g in got)
