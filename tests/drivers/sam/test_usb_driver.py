"""sam-usb through pyusb's own Device/Endpoint objects over the simulator's pyusb backend.

The driver finds the reader with ``usb.core.find(..., backend=...)`` exactly as it does
with libusb; only the backend (named in the address) differs.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

import idcapture
from idcapture.errors import AddressError, DeviceBusy, DeviceNotFound, DriverUnavailable
from idcapture.record import PhotoStatus
from idcapture.sim.sam.cards import SimCard
from idcapture.sim.sam.device import SamDevice
from setup_required import need_module

usb_core = need_module("usb.core", "pyusb is an optional dependency (idcapture[usb])")

from idcapture.drivers.sam.usb_driver import SamUsbReader  # noqa: E402
from idcapture.sim.sam.usb import SimBackend, get_backend, usb_transfer_time  # noqa: E402
from idcapture.transports.usb import resolve_backend  # noqa: E402

pytestmark = pytest.mark.timeout(30)
SIM = "backend=idcapture.sim.sam.usb"


@pytest.fixture
def sim() -> Iterator[SimBackend]:
    with SimBackend(SamDevice()) as backend:
        yield backend


def test_pyusb_enumerates_the_split_endpoints(sim: SimBackend) -> None:
    dev = usb_core.find(idVendor=0x0400, idProduct=0xC35A, backend=sim)
    assert dev is not None and (dev.bus, dev.address) == (1, 7)
    intf = dev.get_active_configuration()[(0, 0)]
    eps = {e.bEndpointAddress: e for e in intf}
    assert sorted(eps) == [0x02, 0x06, 0x81, 0x85]
    assert all(e.bmAttributes & 0x03 == 0x02 and e.wMaxPacketSize == 64 for e in eps.values())
    assert usb_core.find(idVendor=0x0400, idProduct=0xC35B, backend=sim) is None


def test_raw_exchange_and_timeout_over_pyusb(sim: SimBackend) -> None:
    dev = usb_core.find(idVendor=0x0400, idProduct=0xC35A, backend=sim)
    status = bytes.fromhex("AAAAAA9669000311FFED")
    dev.write(0x02, status[:7])
    dev.write(0x06, status[7:])
    assert bytes(dev.read(0x81, 7, 100)) == bytes.fromhex("AAAAAA96690004")
    assert bytes(dev.read(0x85, 64, 100)) == bytes.fromhex("00009094")
    t0 = time.monotonic()
    with pytest.raises(usb_core.USBTimeoutError):
        dev.read(0x81, 7, 50)
    assert time.monotonic() - t0 >= 0.04  # the read waited out its 50 ms
    with pytest.raises(ValueError, match="Invalid endpoint"):
        dev.write(0x03, b"\x00")


def test_reads_every_sample_card(match_card, sim: SimBackend, cards: list[SimCard]) -> None:
    with idcapture.open_id_reader(f"sam-usb:0400:C35A?{SIM}&poll=0.01") as reader:
        assert isinstance(reader, SamUsbReader)
        # the driver talks to a genuine pyusb Device, as it would over libusb
        assert isinstance(reader.session.transport.device, usb_core.Device)  # type: ignore
        assert reader.sam_id == "05.01-20101223-0017637811-2282655734"
        for card in cards:
            sim.sam.place_card(card)
            doc = reader.wait_for_card(3)
            match_card(doc, card)
            assert doc.photo_status is PhotoStatus.UNDECODED
            sim.sam.remove_card()


def test_bus_address_form_and_missing_device(match_card, sim: SimBackend,
                                             cards: list[SimCard]) -> None:
    sim.sam.place_card(cards[0])
    with idcapture.open_id_reader(f"sam-usb:1/7?{SIM}&poll=0.01") as reader:
        match_card(reader.wait_for_card(3), cards[0])
    with pytest.raises(DeviceNotFound):
        idcapture.open_id_reader(f"sam-usb:1/8?{SIM}")
    with pytest.raises(DeviceNotFound):
        idcapture.open_id_reader(f"sam-usb:0400:C35B?{SIM}")
    with pytest.raises(AddressError, match="VID:PID"):
        idcapture.open_id_reader(f"sam-usb:zz:1?{SIM}")


def test_full_speed_pacing_model() -> None:
    assert usb_transfer_time(7) == pytest.approx(0.001)
    assert usb_transfer_time(0) == pytest.approx(0.001)  # a zero-length packet
    assert usb_transfer_time(19 * 64) == pytest.approx(0.001)
    assert usb_transfer_time(19 * 64 + 1) == pytest.approx(0.002)
    assert usb_transfer_time(2321 - 7) == pytest.approx(0.002)


def test_transfers_are_paced(match_card, cards: list[SimCard]) -> None:
    """With a fixed per-transfer latency, a read takes at least transfers x latency; the
    SAM's own processing time adds on top."""
    card = next(c for c in cards if c.fingerprint)
    device = SamDevice(latency={})
    with SimBackend(device, latency=0.01) as sim, \
            idcapture.open_id_reader(f"sam-usb:?{SIM}&poll=0.01") as reader:
        sim.sam.place_card(card)
        n0, t0 = sim.transfers, time.monotonic()
        match_card(reader.wait_for_card(3), card)
        elapsed, transfers = time.monotonic() - t0, sim.transfers - n0
        assert transfers >= 16  # find, select, read, appended: 4 transfers each
        assert elapsed >= transfers * 0.01 * 0.95
        from idcapture.drivers.sam import protocol as p

        sim.sam.remove_card()
        device.latency[p.Command.READ_BASE_FP] = 0.3
        sim.sam.place_card(card)
        n0, t0 = sim.transfers, time.monotonic()
        reader.wait_for_card(3)
        assert time.monotonic() - t0 >= (sim.transfers - n0) * 0.01 * 0.95 + 0.3


def test_stalled_endpoint_is_cleared_and_the_read_recovers(match_card, sim: SimBackend,
                                                          cards: list[SimCard]) -> None:
    with idcapture.open_id_reader(f"sam-usb:?{SIM}&poll=0.01&timeout_scale=0.4") as reader:
        sim.stall(0x85)
        sim.sam.place_card(cards[2])
        match_card(reader.wait_for_card(3), cards[2])
        sim.stall(0x02)
        sim.sam.remove_card()
        sim.sam.place_card(cards[3])
        match_card(reader.wait_for_card(3), cards[3])


def test_second_opener_gets_device_busy(sim: SimBackend) -> None:
    with idcapture.open_id_reader(f"sam-usb:?{SIM}"), pytest.raises(DeviceBusy):
        idcapture.open_id_reader(f"sam-usb:?{SIM}")
    with idcapture.open_id_reader(f"sam-usb:?{SIM}") as again:  # released on close
        assert again.sam_id


def test_replug_gets_a_new_address(sim: SimBackend) -> None:
    dev = usb_core.find(idVendor=0x0400, idProduct=0xC35A, backend=sim)
    dev.set_configuration()
    sim.unplug()
    assert usb_core.find(idVendor=0x0400, idProduct=0xC35A, backend=sim) is None
    with pytest.raises(usb_core.USBError) as exc:
        dev.write(0x02, b"\xAA" * 7)
    assert exc.value.errno == 19  # ENODEV, as libusb reports it
    sim.replug()
    again = usb_core.find(idVendor=0x0400, idProduct=0xC35A, backend=sim)
    assert again is not None and again.address != dev.address
    with pytest.raises(usb_core.USBError):  # a handle from before the unplug stays dead
        dev.write(0x02, b"\xAA" * 7)


def test_backend_option_resolution(sim: SimBackend) -> None:
    assert resolve_backend("idcapture.sim.sam.usb") is sim
    assert resolve_backend("idcapture.sim.sam.usb:get_backend") is sim
    with pytest.raises(AddressError, match="cannot be imported"):
        resolve_backend("idcapture.no_such_module")
    with pytest.raises(AddressError, match="no 'nothing'"):
        resolve_backend("idcapture.sim.sam.usb:nothing")
    with pytest.raises(DriverUnavailable, match="found no library"):
        resolve_backend("builtins:print")  # a callable that returns None


def test_default_simulator_holds_the_sample_card() -> None:
    backend = get_backend()
    try:
        assert backend.sam.card is not None
        assert get_backend() is backend
    finally:
        backend.uninstall()


def test_no_usb_backend_is_driver_unavailable(monkeypatch: pytest.MonkeyPatch) -> None:
    """A machine without libusb: pyusb raises NoBackendError (pyusb is not ours, so its
    lookup is replaced); the driver names what to install."""
    def no_backend(*args: object, **kwargs: object) -> None:
        raise usb_core.NoBackendError("No backend available")

    monkeypatch.setattr(usb_core, "find", no_backend)
    for address in ("sam-usb:", "sam-usb:1/7"):
        with pytest.raises(DriverUnavailable, match="libusb"):
            idcapture.open_id_reader(address)
    assert SamUsbReader.discover() == []
