"""The device base classes: lifecycle, locking, timeouts, removal, async."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable

import numpy as np
import pytest

import idcapture
from idcapture.devices import DeviceState, IdReader
from idcapture.errors import (
    AddressError,
    DeviceClosed,
    DeviceRemoved,
    DeviceTimeout,
    RetryNeeded,
    RetryOutcome,
    RetryReason,
)
from idcapture.record import FingerPosition
from idcapture.sim.camera.driver import SimCamera
from idcapture.sim.finger.driver import SimFingerprintSensor
from idcapture.sim.sam.driver import SimIdReader, sample_document
from idcapture.testing import CameraContract, FingerprintSensorContract, IdReaderContract


class TestSimIdReaderContract(IdReaderContract):
    @pytest.fixture
    def device_address(self) -> str:
        return "sim:id-reader?card=none"

    @pytest.fixture
    def place_card(self, device: SimIdReader) -> Callable[[], None]:
        return lambda: device.place_card(sample_document())

    @pytest.fixture
    def remove_card(self, device: SimIdReader) -> Callable[[], None]:
        return device.remove_card


class TestSimCameraContract(CameraContract):
    @pytest.fixture
    def device_address(self) -> str:
        return "sim:camera?fps=200&width=160&height=120"


class TestSimFingerprintContract(FingerprintSensorContract):
    @pytest.fixture
    def device_address(self) -> str:
        return "sim:fingerprint?finger=none"

    @pytest.fixture
    def present_finger(self, device: SimFingerprintSensor) -> Callable[[], None]:
        return device.present  # the synthetic fingers

    @pytest.fixture
    def lift_finger(self, device: SimFingerprintSensor) -> Callable[[], None]:
        return device.lift

    @pytest.fixture
    def unplug_device(self, device: SimFingerprintSensor) -> Callable[[bool], None]:
        return device.unplug


def test_typed_helpers_check_kind_and_env(monkeypatch: pytest.MonkeyPatch) -> None:
    with idcapture.open_camera("sim") as cam:
        assert cam.resolution == (640, 480)
    monkeypatch.setenv("IDCAPTURE_ID_READER", "sim:id-reader")
    with idcapture.open_id_reader() as r:
        assert isinstance(r, IdReader)
    monkeypatch.delenv("IDCAPTURE_CAMERA", raising=False)
    with pytest.raises(AddressError, match="IDCAPTURE_CAMERA"):
        idcapture.open_camera()
    with pytest.raises(AddressError, match="no id_reader driver"):
        idcapture.open_id_reader("opencv-nonexistent:0")


def test_call_on_closed_device() -> None:
    r = idcapture.open_id_reader("sim:id-reader")
    r.close()
    with pytest.raises(DeviceClosed):
        r.read(timeout=0.1)


def test_timeout_names_what_was_awaited() -> None:
    with idcapture.open_fingerprint_sensor("sim:fingerprint?finger=none") as fp:
        t0 = time.monotonic()
        with pytest.raises(DeviceTimeout) as err:
            fp.capture(FingerPosition.LEFT_THUMB, timeout=0.3)
        assert time.monotonic() - t0 >= 0.3  # it waited out the timeout
        assert err.value.awaited == "finger placement"
        assert "finger" in str(err.value)
        assert isinstance(err.value, TimeoutError)


def test_retry_outcomes_are_not_failures() -> None:
    with idcapture.open_fingerprint_sensor("sim:fingerprint") as fp:
        assert isinstance(fp, SimFingerprintSensor)
        fp.queue_outcome(RetryOutcome(RetryReason.NO_FINGER))
        fp.queue_outcome(RetryOutcome(RetryReason.NO_FINGER))
        img = fp.capture(FingerPosition.RIGHT_THUMB, timeout=2)
        assert img.attempts == 3
        fp.queue_outcome(RetryOutcome(RetryReason.TOO_LIGHT, "press harder"))
        with pytest.raises(RetryNeeded) as err:
            fp.capture(timeout=2)
        assert err.value.outcome.reason is RetryReason.TOO_LIGHT
        assert isinstance(fp.try_capture(), idcapture.FingerImage)


def test_removed_device_reconnects_when_back() -> None:
    with idcapture.open_camera("sim:camera?fps=0") as cam:
        assert isinstance(cam, SimCamera)
        cam.unplug()
        with pytest.raises(DeviceRemoved):
            cam.read_frame(timeout=0.5)
        assert cam.state is DeviceState.REMOVED
        with pytest.raises(DeviceRemoved, match="still gone"):
            cam.read_frame(timeout=0.5)
        cam.unplug(False)
        assert cam.read_frame(timeout=0.5).image.shape == (480, 640, 3)
        assert cam.state is DeviceState.OPEN


def test_lock_timeout_names_the_lock() -> None:
    with idcapture.open_id_reader("sim:id-reader") as r:
        holder_ready = threading.Event()
        release = threading.Event()

        def hold() -> None:
            with r._lock:
                holder_ready.set()
                release.wait(60)

        t = threading.Thread(target=hold)
        t.start()
        holder_ready.wait(5)
        try:
            t0 = time.monotonic()
            with pytest.raises(DeviceTimeout) as err:
                r.read(timeout=0.2)
            # the caller's timeout bounds the wait for the lock (it was the device's
            # 5 s default)
            assert time.monotonic() - t0 < 0.2 + 1.5
            assert err.value.awaited == "device lock"
        finally:
            release.set()
            t.join()


def test_threads_serialise_on_one_reader() -> None:
    with idcapture.open_id_reader("sim:id-reader?repeat=true") as r:
        assert isinstance(r, SimIdReader)
        docs: list[str] = []

        def read() -> None:
            for _ in range(5):
                docs.append(r.read(timeout=2).id_number)

        threads = [threading.Thread(target=read) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(20)
        assert len(docs) == 20 and r.reads == 20


def test_asyncio_frontend_does_not_block_loop() -> None:
    async def main() -> tuple[int, int]:
        fp = await asyncio.to_thread(idcapture.open_fingerprint_sensor, "sim:fingerprint")
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                ticks += 1
                await asyncio.sleep(0.01)

        task = asyncio.create_task(ticker())
        assert isinstance(fp, SimFingerprintSensor)
        fp.queue_outcome(RetryOutcome(RetryReason.NO_FINGER))
        img = await fp.acapture(FingerPosition.RIGHT_THUMB, timeout=2)
        await asyncio.sleep(0.05)
        task.cancel()
        await fp.aclose()
        return int(img.image.shape[0]), ticks

    height, ticks = asyncio.run(main())
    assert height == 500 and ticks >= 3  # a synthetic finger of the default source


def test_discover_all_within_timeout() -> None:
    found = idcapture.discover(timeout=3)
    assert {d.address for d in found} >= {"sim:id-reader", "sim:camera", "sim:fingerprint"}


def test_sim_fingerprint_rejects_bad_images() -> None:
    with idcapture.open_fingerprint_sensor("sim:fingerprint") as fp:
        assert isinstance(fp, SimFingerprintSensor)
        with pytest.raises(ValueError):
            fp.present(np.zeros((4, 4, 3), np.uint8))


def test_frame_read_stops_at_its_timeout_on_a_slow_camera() -> None:
    """A camera whose next frame is 4 s away: read_frame(timeout=0.3) gives up at 0.3 s
    (it slept until the frame came), and a timeout long enough still gets the frame."""
    with idcapture.open_camera("sim:camera?fps=0.25&width=64&height=48") as cam:
        cam.read_frame(timeout=1)  # the first frame is due at once
        t0 = time.monotonic()
        with pytest.raises(DeviceTimeout) as err:
            cam.read_frame(timeout=0.3)
        assert time.monotonic() - t0 < 0.3 + 1.5
        assert err.value.awaited == "camera frame"
    with idcapture.open_camera("sim:camera?fps=4&width=64&height=48") as cam:
        first = cam.read_frame(timeout=1)
        assert cam.read_frame(timeout=1).index == first.index + 1


def test_primitives_without_a_timeout_still_work() -> None:
    """A plugin written to the old primitive signatures keeps working, with a warning."""
    with pytest.warns(DeprecationWarning, match="takes no timeout") as warned:
        class OldReader(IdReader):
            poll_interval = 0.01

            def _detect_card(self) -> bool:
                return True

            def _read_document(self) -> idcapture.IdentityDocument:
                return sample_document()

    named = sorted(str(w.message).split("(", 1)[0].rsplit(".", 1)[-1] for w in warned)
    assert named == ["_detect_card", "_read_document"]
    with OldReader("old:") as reader:
        assert reader.read(timeout=1).id_number == sample_document().id_number
        assert reader.card_present()
