"""sam-usb over the simulated split-endpoint USB device."""

from __future__ import annotations

from typing import Any

import pytest

from idcapture.drivers.sam.usb_driver import SamUsbReader
from idcapture.errors import DeviceRemoved, DeviceTimeout
from idcapture.sim.sam.cards import SimCard
from idcapture.sim.sam.device import Fault
from idcapture.sim.sam.usb import SimUsbDevice

pytest.importorskip("usb.core", reason="pyusb is an optional dependency (idcapture[usb])")
pytestmark = pytest.mark.timeout(30)


def reader_for(dev: SimUsbDevice, options: str = "") -> SamUsbReader:
    class Reader(SamUsbReader):
        def _select(self) -> Any:
            return dev

    return Reader(f"sam-usb:1/7?poll=0.01&timeout_scale=0.3{options}")


def test_reads_every_sample_card(match_card, cards: list[SimCard]) -> None:
    dev = SimUsbDevice()
    with reader_for(dev) as reader:
        assert reader.sam_id.startswith("05.01-")
        for card in cards:
            dev.sam.place_card(card)
            match_card(reader.wait_for_card(3), card)
            dev.sam.remove_card()


def test_faults_over_usb(match_card, cards: list[SimCard]) -> None:
    dev = SimUsbDevice()
    with reader_for(dev) as reader:
        dev.sam.add_fault(Fault("bad-checksum", "read-fp"))
        dev.sam.add_fault(Fault("drop", "find"))
        dev.sam.place_card(cards[0])
        match_card(reader.wait_for_card(3), cards[0])
        dev.sam.remove_card()
        dev.sam.add_fault(Fault("drop", "read-fp", count=3))
        dev.sam.place_card(cards[1])
        with pytest.raises(DeviceTimeout):
            reader.wait_for_card(3)
        dev.unplugged = True
        with pytest.raises(DeviceRemoved):
            reader.wait_for_card(1)
        dev.unplugged = False
        dev.sam.remove_card()
        dev.sam.place_card(cards[2])
        match_card(reader.wait_for_card(3), cards[2])
