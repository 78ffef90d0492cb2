"""What the library prints or reprs masks personal data: read-id's name (as its ID
number and address), RegistrationReport's ID numbers."""

from __future__ import annotations

import json

import pytest

from idcapture.cli import main
from idcapture.privacy import mask_id_number, mask_name
from idcapture.station.registration import RegistrationReport


def test_read_id_masks_the_name_unless_asked(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["read-id", "sim:id-reader", "--json", "--unmask"]) == 0
    clear = json.loads(capsys.readouterr().out)
    name = clear["name"]
    assert len(name) >= 2 and "*" not in name
    assert main(["read-id", "sim:id-reader", "--json"]) == 0
    masked = json.loads(capsys.readouterr().out)
    assert masked["name"] == mask_name(name)
    assert masked["id_number"] == mask_id_number(clear["id_number"])
    assert main(["read-id", "sim:id-reader"]) == 0
    out = capsys.readouterr().out
    assert name not in out and clear["id_number"] not in out and mask_name(name) in out


def test_registration_report_repr_masks_id_numbers() -> None:
    rep = RegistrationReport(new={"110101200001011234": "2025440100001"},
                             existing={"440106200802150017": "2025440100002"},
                             not_on_roster=["11010120000101123X"])
    text = repr(rep)
    for n in ("110101200001011234", "440106200802150017", "11010120000101123X"):
        assert n not in text and mask_id_number(n) in text
    assert "2025440100001" in text
