"""The caller's timeout reaches the SAM commands: ``read(timeout=t)`` returns or raises
within t plus one command's time, on both real transports, with a slow card and with a
SAM that stops answering. Before deadlines were passed down, each command was resent
twice whatever the caller's timeout, so these calls ran about three commands' time.

The margins are generous (shared, loaded test machines) and still below the old
behaviour's durations, which are given with each test."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import pytest

import idcapture
from idcapture.devices import IdReader
from idcapture.drivers.sam import protocol as p
from idcapture.drivers.sam.session import command_timeout
from idcapture.errors import DeviceTimeout
from idcapture.sim.sam.cards import SimCard
from idcapture.sim.sam.device import Fault

if TYPE_CHECKING:
    from conftest import Link

pytestmark = pytest.mark.timeout(60)
MARGIN = 1.5  # seconds of scheduling slack on a loaded machine


def _timed_out_read(reader: IdReader, timeout: float) -> tuple[float, DeviceTimeout]:
    """How long ``reader.read(timeout)`` took to raise its DeviceTimeout, and the error."""
    t0 = time.monotonic()
    with pytest.raises(DeviceTimeout) as err:
        reader.read(timeout=timeout)
    return time.monotonic() - t0, err.value


def test_slow_card_read_ends_one_command_after_the_deadline(link: Link,
                                                            cards: list[SimCard]) -> None:
    """The card answers the fingerprint read after 3 s, past its 2.4 s command time.
    read(timeout=1) raises after the one attempt in flight (about 2.4 s; it was three
    attempts, about 7.2 s)."""
    card = next(c for c in cards if c.fingerprint)
    one_command = command_timeout(p.Command.READ_BASE_FP, 115200 if link.kind == "pty" else None)
    with idcapture.open_id_reader(link.at(1.0)) as reader:
        link.device.add_fault(Fault("slow", "read-fp", seconds=3, count=3))
        link.device.place_card(card)
        took, err = _timed_out_read(reader, 1.0)
    assert one_command * 0.9 < took < 1.0 + one_command + MARGIN
    assert err.awaited == "read base message with fingerprint"
    assert "deadline passed before a resend" in str(err)


def test_silent_reader_ends_one_command_after_the_deadline(link: Link) -> None:
    """A SAM that ignores every request once open: read(timeout=0.3) raises after the
    one find in flight (about 1.2 s at timeout_scale=4; it was three finds, 3.7 s)."""
    scale = 4.0
    one_find = command_timeout(p.Command.FIND, 115200 if link.kind == "pty" else None, scale)
    with idcapture.open_id_reader(link.at(scale)) as reader:
        link.device.add_fault(Fault("busy", "any", count=1000))
        took, err = _timed_out_read(reader, 0.3)
    assert one_find * 0.9 < took < 0.3 + one_find + MARGIN
    assert err.awaited == "find card"


def test_a_long_timeout_still_gets_the_resends(match_card, link: Link,
                                               cards: list[SimCard]) -> None:
    """With time left, a dropped answer is resent and the card reads as before."""
    card = next(c for c in cards if c.fingerprint)
    with idcapture.open_id_reader(link.at(0.5)) as reader:
        link.device.add_fault(Fault("drop", "read-fp", count=2))
        link.device.place_card(card)
        match_card(reader.read(timeout=10), card)
