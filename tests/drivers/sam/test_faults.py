"""Every scripted fault, on both real transports (a pty for sam-serial, the pyusb
backend for sam-usb): the driver recovers with the right document or raises the right
typed error within its timeout; nothing hangs, no partial document comes back."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

import pytest

import idcapture
from idcapture.drivers.sam.serial_driver import SamSerialReader
from idcapture.errors import DeviceFault, DeviceRemoved, DeviceTimeout, ProtocolError
from idcapture.sim.sam.cards import SimCard
from idcapture.sim.sam.device import Fault, SamDevice
from idcapture.sim.sam.server import PtySamServer

if TYPE_CHECKING:
    from conftest import Link

pytestmark = pytest.mark.timeout(30)
ADDR = "sam-serial:{}?poll=0.02&timeout_scale=0.4"


def _fp(cards: list[SimCard]) -> SimCard:
    """The sample card with fingerprints and an appended address."""
    return next(c for c in cards if c.fingerprint and c.appended_addresses)


@pytest.mark.parametrize("fault", [
    Fault("garbage", "read-fp", bytes=40),
    Fault("garbage", "find"),
    Fault("garbage", "select", bytes=3),
    Fault("bad-checksum", "read-fp"),
    Fault("bad-checksum", "select", count=2),
    Fault("bad-checksum", "appended"),
    Fault("drop", "read-fp"),
    Fault("drop", "find"),
    Fault("drop", "appended", count=2),
    Fault("truncate", "read-fp"),
    Fault("truncate", "read-fp", bytes=5),
    Fault("truncate", "appended", bytes=9),
    Fault("slow", "read-fp", seconds=0.3),
    Fault("slow", "find", seconds=0.2),
    Fault("busy", "find"),
    Fault("busy", "select"),
], ids=lambda f: f"{f.action}-{f.on}-{f.count}-{f.bytes}")
def test_recoverable_faults(match_card, link: Link, cards: list[SimCard],
                            fault: Fault) -> None:
    card = _fp(cards)  # has fingerprints and an appended address
    assert card.fingerprint
    with idcapture.open_id_reader(link.address) as reader:
        link.device.add_fault(fault)
        link.device.place_card(card)
        doc = reader.wait_for_card(8)
        match_card(doc, card)
        assert not link.device.faults
        # the exchange after a fault is clean: a second card reads at once
        link.device.remove_card()
        link.device.place_card(cards[0])
        match_card(reader.wait_for_card(3), cards[0])


@pytest.mark.parametrize(("fault", "error", "code"), [
    (Fault("bad-checksum", "read-fp", count=3), ProtocolError, "checksum"),
    (Fault("drop", "read-fp", count=3), DeviceTimeout, "timeout"),
    (Fault("slow", "read-fp", seconds=3, count=3), DeviceTimeout, "timeout"),
    (Fault("truncate", "read-fp", count=3), DeviceTimeout, "timeout"),
    (Fault("remove-card", "read-fp"), DeviceRemoved, "card-removed"),
    (Fault("remove-card", "appended"), DeviceRemoved, "card-removed"),
    (Fault("sam-fault", "find"), DeviceFault, "sam-fault"),
    (Fault("close", "read-fp"), DeviceRemoved, "removed"),
], ids=lambda x: f"{x.action}-{x.on}" if isinstance(x, Fault) else "")
def test_fatal_faults_raise_typed_errors(link: Link, cards: list[SimCard],
                                         fault: Fault, error: type, code: str) -> None:
    with idcapture.open_id_reader(link.at(0.25)) as reader:
        link.device.add_fault(fault)
        link.device.place_card(_fp(cards))
        with pytest.raises(error) as exc:
            reader.wait_for_card(6)
        assert exc.value.code == code  # the fault's own error, not the wait's timeout
        if isinstance(exc.value, DeviceTimeout):
            assert "read base message with fingerprint" in str(exc.value)
            assert exc.value.awaited == "read base message with fingerprint"


def test_no_partial_document_after_a_failed_appended_read(link: Link,
                                                          cards: list[SimCard]) -> None:
    """The base message arrived, the appended address did not: no document at all."""
    with idcapture.open_id_reader(link.at(0.25)) as reader:
        link.device.add_fault(Fault("drop", "appended", count=3))
        link.device.place_card(_fp(cards))
        with pytest.raises(DeviceTimeout) as exc:
            reader.wait_for_card(6)
        assert exc.value.awaited == "read appended address"


def test_unauthorised_sam_falls_back_to_base_read(match_card, cards: list[SimCard]) -> None:
    with PtySamServer(SamDevice(fingerprint_authorised=False)) as sam, \
            SamSerialReader(ADDR.format(sam.path)) as reader:
        sam.device.place_card(_fp(cards))
        doc = reader.wait_for_card(5)
        match_card(doc, _fp(cards), fingerprint=False)
        assert "READ_BASE_FP" in sam.device.log and "READ_BASE" in sam.device.log


def test_reconnect_after_the_device_disappears(match_card, link: Link,
                                               cards: list[SimCard]) -> None:
    with idcapture.open_id_reader(link.address) as reader:
        link.device.place_card(cards[0])
        reader.wait_for_card(5)
        link.unplug()
        with pytest.raises(DeviceRemoved):
            reader.wait_for_card(2)
        with pytest.raises(DeviceRemoved, match="still gone"):
            reader.wait_for_card(1)
        link.replug()
        link.device.remove_card()
        link.device.place_card(cards[1])
        match_card(reader.wait_for_card(5), cards[1])


def test_unplug_while_waiting_for_a_card(link: Link) -> None:
    """A reader polling an empty field notices the unplug and says so within its timeout."""
    with idcapture.open_id_reader(link.address) as reader:
        timer = threading.Timer(0.3, link.unplug)
        timer.start()
        with pytest.raises(DeviceRemoved):  # not the wait's DeviceTimeout
            reader.wait_for_card(5)
        timer.join()
