"""Every scripted fault: the driver recovers with the right document or raises the right
typed error within its timeout; nothing hangs, no partial document comes back."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from idcapture.drivers.sam.serial_driver import SamSerialReader
from idcapture.errors import DeviceFault, DeviceRemoved, DeviceTimeout, ProtocolError
from idcapture.sim.sam.cards import SimCard
from idcapture.sim.sam.device import Fault, SamDevice
from idcapture.sim.sam.server import PtySamServer

pytestmark = pytest.mark.timeout(30)
ADDR = "sam-serial:{}?poll=0.02&timeout_scale=0.4"


def _fp(cards: list[SimCard]) -> SimCard:
    """The sample card with fingerprints and an appended address."""
    return next(c for c in cards if c.fingerprint and c.appended_addresses)


@pytest.mark.parametrize("fault", [
    Fault("garbage", "read-fp", bytes=40),
    Fault("garbage", "find"),
    Fault("bad-checksum", "read-fp"),
    Fault("bad-checksum", "select", count=2),
    Fault("drop", "read-fp"),
    Fault("drop", "find"),
    Fault("truncate", "read-fp"),
    Fault("truncate", "appended", bytes=9),
    Fault("slow", "read-fp", seconds=0.3),
    Fault("busy", "find"),
    Fault("busy", "select"),
], ids=lambda f: f"{f.action}-{f.on}-{f.count}")
def test_recoverable_faults(match_card, sam: PtySamServer, cards: list[SimCard],
                            fault: Fault) -> None:
    card = _fp(cards)  # has fingerprints and an appended address
    assert card.fingerprint
    with SamSerialReader(ADDR.format(sam.path)) as reader:
        sam.device.add_fault(fault)
        sam.device.place_card(card)
        doc = reader.wait_for_card(8)
        match_card(doc, card)
        assert not sam.device.faults


@pytest.mark.parametrize(("fault", "error", "code"), [
    (Fault("bad-checksum", "read-fp", count=3), ProtocolError, "checksum"),
    (Fault("drop", "read-fp", count=3), DeviceTimeout, "timeout"),
    (Fault("slow", "read-fp", seconds=3, count=3), DeviceTimeout, "timeout"),
    (Fault("remove-card", "read-fp"), DeviceRemoved, "card-removed"),
    (Fault("sam-fault", "find"), DeviceFault, "sam-fault"),
    (Fault("close", "read-fp"), DeviceRemoved, "removed"),
], ids=lambda x: x.action if isinstance(x, Fault) else "")
def test_fatal_faults_raise_typed_errors(sam: PtySamServer, cards: list[SimCard],
                                         fault: Fault, error: type, code: str) -> None:
    with SamSerialReader(ADDR.format(sam.path)) as reader:
        sam.device.add_fault(fault)
        sam.device.place_card(_fp(cards))
        t0 = time.monotonic()
        with pytest.raises(error) as exc:
            reader.wait_for_card(6)
        assert exc.value.code == code
        assert time.monotonic() - t0 < 6
        if isinstance(exc.value, DeviceTimeout):
            assert "read base message with fingerprint" in str(exc.value)
            assert exc.value.awaited == "read base message with fingerprint"


def test_unauthorised_sam_falls_back_to_base_read(match_card, cards: list[SimCard]) -> None:
    with PtySamServer(SamDevice(fingerprint_authorised=False)) as sam, \
            SamSerialReader(ADDR.format(sam.path)) as reader:
        sam.device.place_card(_fp(cards))
        doc = reader.wait_for_card(5)
        match_card(doc, _fp(cards), fingerprint=False)
        assert "READ_BASE_FP" in sam.device.log and "READ_BASE" in sam.device.log


def test_reconnect_after_port_disappears(match_card, tmp_path: Path, cards: list[SimCard]) -> None:
    link = tmp_path / "ttySAM0"
    with PtySamServer(SamDevice(), link=link) as sam, \
            SamSerialReader(ADDR.format(link)) as reader:
        sam.device.place_card(cards[0])
        reader.wait_for_card(5)
        sam.unplug()
        with pytest.raises(DeviceRemoved):
            reader.wait_for_card(2)
        with pytest.raises(DeviceRemoved, match="still gone"):
            reader.wait_for_card(1)
        sam.replug()
        sam.device.remove_card()
        sam.device.place_card(cards[1])
        match_card(reader.wait_for_card(5), cards[1])
