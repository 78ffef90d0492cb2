"""sam-serial against the simulator on a real pseudo-terminal."""

from __future__ import annotations

import time

import pytest

from idcapture.drivers.sam.serial_driver import SamSerialReader
from idcapture.errors import (
    DeviceNotFound,
    DeviceTimeout,
)
from idcapture.record import PhotoStatus
from idcapture.sim.sam.cards import SimCard
from idcapture.sim.sam.device import SamDevice
from idcapture.sim.sam.server import PtySamServer

pytestmark = pytest.mark.timeout(60)


def test_reads_every_sample_card_at_115200(match_card, sam: PtySamServer,
                                           cards: list[SimCard]) -> None:
    with SamSerialReader(f"sam-serial:{sam.path}?poll=0.02") as reader:
        assert reader.sam_id == "05.01-20101223-0017637811-2282655734"
        assert reader.baud == 115200
        for card in cards:
            sam.device.place_card(card)
            doc = reader.wait_for_card(5)
            match_card(doc, card)
            assert doc.photo_status is PhotoStatus.UNDECODED
            sam.device.remove_card()


@pytest.mark.slow
def test_reads_every_sample_card_at_9600_with_autodetect(match_card, cards: list[SimCard]) -> None:
    """Every field, the fingerprints and the appended addresses, at the slowest rate."""
    with PtySamServer(SamDevice(baud=9600)) as sam, \
            SamSerialReader(f"sam-serial:{sam.path}?poll=0.05") as reader:
        assert reader.baud == 9600
        for card in cards:
            sam.device.place_card(card)
            t0 = time.monotonic()
            doc = reader.wait_for_card(10)
            # the base message alone takes 1.35 s on the wire at 9600 (2.42 s with
            # fingerprints)
            assert time.monotonic() - t0 >= (2.4 if card.fingerprint else 1.3)
            match_card(doc, card)
            assert ("fingerprint" in doc.raw_blocks) == bool(card.fingerprint)
            sam.device.remove_card()


def test_wrong_fixed_baud_is_not_found(sam: PtySamServer) -> None:
    with pytest.raises(DeviceNotFound, match="9600"):
        SamSerialReader(f"sam-serial:{sam.path}?baud=9600").open()


def test_set_baud_switches_the_sam(match_card, sam: PtySamServer, cards: list[SimCard]) -> None:
    with SamSerialReader(f"sam-serial:{sam.path}?set_baud=57600") as reader:
        assert reader.baud == 57600 and sam.device.baud == 57600
        sam.device.place_card(cards[0])
        match_card(reader.wait_for_card(5), cards[0])


def test_once_per_placement(sam: PtySamServer, cards: list[SimCard]) -> None:
    with SamSerialReader(f"sam-serial:{sam.path}?poll=0.02") as reader:
        sam.device.place_card(cards[1])
        reader.wait_for_card(5)
        with pytest.raises(DeviceTimeout) as exc:
            reader.wait_for_card(0.5)
        assert exc.value.awaited == "card placement"
        sam.device.remove_card()
        sam.device.place_card(cards[1])
        assert reader.wait_for_card(5).id_number == cards[1].fields["id_number"]


def test_missing_port_is_device_not_found() -> None:
    with pytest.raises(DeviceNotFound):
        SamSerialReader("sam-serial:/dev/does-not-exist-0").open()
