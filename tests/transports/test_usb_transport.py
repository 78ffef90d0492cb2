"""The split-endpoint USB transport over pyusb and the simulator's backend: each libusb
failure the transport maps, provoked by the backend, and the exchange after it."""

from __future__ import annotations

import errno
from collections.abc import Iterator
from typing import Any

import pytest

from idcapture.errors import DeviceBusy, DeviceNotFound, DeviceRemoved, DeviceTimeout
from idcapture.sim.sam.device import SamDevice
from setup_required import need_module

usb_core = need_module("usb.core", "pyusb is an optional dependency (idcapture[usb])")

from idcapture.sim.sam.usb import SimBackend  # noqa: E402
from idcapture.transports.usb import SplitEndpointTransport  # noqa: E402

pytestmark = pytest.mark.timeout(30)
#: the SAM status request and its answer (head on 0x81, body on 0x85)
STATUS = bytes.fromhex("AAAAAA9669000311FFED")
ANSWER = bytes.fromhex("AAAAAA9669000400009094")


@pytest.fixture
def sim() -> Iterator[SimBackend]:
    with SimBackend(SamDevice(), pace=False) as backend:
        yield backend


@pytest.fixture
def device(sim: SimBackend) -> Any:
    return usb_core.find(idVendor=0x0400, idProduct=0xC35A, backend=sim)


def _exchange(t: SplitEndpointTransport) -> bytes:
    t.write(STATUS)
    got = b""
    while len(got) < len(ANSWER):
        chunk = t.read(64, 1.0)
        assert chunk, f"no answer after {got.hex()}"
        got += chunk
    return got


@pytest.mark.parametrize(("call", "code", "error", "names"), [
    ("claim_interface", errno.EBUSY, DeviceBusy, "in use by another program"),
    ("claim_interface", errno.EACCES, DeviceNotFound, "udev rule"),
    ("set_configuration", errno.EIO, DeviceNotFound, "cannot be configured"),
])
def test_opening_failures_are_typed(sim: SimBackend, device: Any, call: str, code: int,
                                    error: type[Exception], names: str) -> None:
    sim.fail(call, code)
    with pytest.raises(error, match=names) as exc:
        SplitEndpointTransport(device)
    if code == errno.EACCES:
        assert exc.value.code == "access-denied"  # type: ignore[attr-defined]
    t = SplitEndpointTransport(device)  # the failure was not left behind
    assert _exchange(t) == ANSWER
    t.close()


def test_overflowing_answer_is_dropped_and_the_next_exchange_is_clean(
        sim: SimBackend, device: Any) -> None:
    t = SplitEndpointTransport(device)
    t.write(STATUS)
    sim.fail("bulk_read", errno.EOVERFLOW)
    assert t.read(64, 0.5) == b""  # the device sent more than the header said
    t.discard_input()  # drains the answer still held on the IN endpoints
    assert _exchange(t) == ANSWER
    t.close()


def test_timeouts_without_the_subclass_are_empty_reads(sim: SimBackend, device: Any) -> None:
    t = SplitEndpointTransport(device)
    sim.fail("bulk_read", errno.ETIMEDOUT)  # a plain USBError with ETIMEDOUT
    assert t.read(64, 0.2) == b""
    t.discard_input()
    assert _exchange(t) == ANSWER


def test_a_halt_that_cannot_be_cleared_is_device_removed(sim: SimBackend,
                                                         device: Any) -> None:
    t = SplitEndpointTransport(device)
    t.write(STATUS)
    sim.stall(0x81)
    sim.fail("clear_halt", errno.ENODEV)
    with pytest.raises(DeviceRemoved, match="clearing a halt on endpoint 0x81"):
        t.read(64, 0.5)


def test_a_write_halted_twice_is_device_removed(sim: SimBackend, device: Any) -> None:
    t = SplitEndpointTransport(device)
    sim.fail("bulk_write", errno.EPIPE, times=2)  # cleared once, then halted again
    with pytest.raises(DeviceRemoved, match="writing"):
        t.write(STATUS)
    sim.fail("bulk_write", errno.EPIPE)  # cleared once: the resend goes through
    assert _exchange(t) == ANSWER


def test_write_timeout_names_the_endpoint(sim: SimBackend, device: Any) -> None:
    t = SplitEndpointTransport(device)
    sim.fail("bulk_write", errno.ETIMEDOUT)  # a plain USBError with ETIMEDOUT
    with pytest.raises(DeviceTimeout, match="endpoint 0x02") as exc:
        t.write(STATUS)
    assert exc.value.awaited == "USB write"
    assert _exchange(t) == ANSWER


def test_draining_a_vanished_device_is_device_removed(sim: SimBackend, device: Any) -> None:
    t = SplitEndpointTransport(device)
    t.write(STATUS)
    assert len(t.read(3, 0.5)) == 3  # a half-read answer is pending
    sim.fail("bulk_read", errno.ENODEV)
    with pytest.raises(DeviceRemoved, match="draining"):
        t.discard_input()


def test_draining_stops_quietly_on_other_errors(sim: SimBackend, device: Any) -> None:
    t = SplitEndpointTransport(device)
    t.write(STATUS)
    assert len(t.read(3, 0.5)) == 3
    sim.fail("bulk_read", errno.EINVAL, times=2)  # one per IN endpoint
    t.discard_input()
    assert _exchange(t) == ANSWER


def test_unplugged_mid_read_is_device_removed(sim: SimBackend, device: Any) -> None:
    t = SplitEndpointTransport(device)
    t.write(STATUS)
    sim.unplug()
    with pytest.raises(DeviceRemoved, match="reading"):
        t.read(64, 0.5)
    t.close()  # never raises on a vanished device


def test_fail_names_the_calls_it_can_break(sim: SimBackend) -> None:
    with pytest.raises(ValueError, match="bulk_read"):
        sim.fail("open_device", errno.EIO)
