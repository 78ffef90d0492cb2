from __future__ import annotations

import pytest

from idcapture.address import Address, parse_address
from idcapture.errors import AddressError


def test_parse_forms() -> None:
    a = parse_address("sam-serial:/dev/ttyUSB0?baud=115200&timeout=2.5")
    assert a == Address("sam-serial", "/dev/ttyUSB0", {"baud": "115200", "timeout": "2.5"})
    assert a.int_option("baud", 9600) == 115200
    assert a.float_option("timeout", 1.0) == 2.5
    assert parse_address("sam-serial:COM3").target == "COM3"
    assert parse_address("SIM:camera").driver == "sim"
    assert parse_address("pcsc").target == ""
    url = parse_address("opencv:rtsp://cam.local/stream%3Fch=1?width=640")
    assert url.target == "rtsp://cam.local/stream?ch=1"
    assert url.options == {"width": "640"}


def test_keyword_options_override() -> None:
    a = parse_address("sim:camera?width=320", {"width": 640, "face": False})
    assert a.options == {"width": "640", "face": "false"}
    assert a.bool_option("face", True) is False


def test_str_round_trip() -> None:
    for text in ["sam-serial:/dev/ttyUSB0?baud=9600", "sim:id-reader", "opencv:0?fps=30&width=640"]:
        assert parse_address(str(parse_address(text))) == parse_address(text)


@pytest.mark.parametrize("bad", ["", "   ", "1abc:x", "bad name:x", "sim:x?=&&"])
def test_malformed(bad: str) -> None:
    with pytest.raises(AddressError):
        parse_address(bad)


def test_bad_option_types_name_the_option() -> None:
    a = parse_address("x:y?baud=fast&flag=maybe")
    with pytest.raises(AddressError, match="baud"):
        a.int_option("baud", 1)
    with pytest.raises(AddressError, match="flag"):
        a.bool_option("flag", True)
