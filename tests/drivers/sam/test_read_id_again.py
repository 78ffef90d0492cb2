"""``idcapture read-id`` run twice with the card left on a SAM reader: the second run
says to lift the card and place it again (the SAM finds a card once per placement)."""

from __future__ import annotations

import pytest

from idcapture.cli import main
from idcapture.sim.sam.cards import SimCard
from idcapture.sim.sam.server import PtySamServer


def test_second_read_says_to_lift_and_place_the_card(
        sam: PtySamServer, cards: list[SimCard], capsys: pytest.CaptureFixture[str]) -> None:
    address = f"sam-serial:{sam.path}?poll=0.02"
    sam.device.place_card(cards[0])
    assert main(["read-id", address, "--timeout", "5"]) == 0
    capsys.readouterr()
    assert main(["read-id", address, "--timeout", "0.5"]) != 0
    err = capsys.readouterr().err
    assert "lift the card and place it again" in err, err
    assert main(["--lang", "zh", "read-id", address, "--timeout", "0.5"]) != 0
    err = capsys.readouterr().err
    assert "请拿起证件后重新放置" in err and "lift" not in err, err
    sam.device.remove_card()
    sam.device.place_card(cards[0])
    assert main(["read-id", address, "--timeout", "5"]) == 0

