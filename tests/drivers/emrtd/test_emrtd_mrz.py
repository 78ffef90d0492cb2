"""MRZ parsing and check digits on the ICAO specimen documents."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from idcapture.drivers.emrtd.errors import MrzError
from idcapture.drivers.emrtd.mrz import (
    MrzFormat,
    check_digit,
    mrz_information,
    parse_mrz,
)

TD3 = ("P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
       "L898902C36UTO7408122F1204159ZE184226B<<<<<10")
TD2 = ("I<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<",
       "D231458907UTO7408122F1204159<<<<<<<6")
TD1 = ("I<UTOD231458907<<<<<<<<<<<<<<<",
       "7408122F1204159UTO<<<<<<<<<<<6",
       "ERIKSSON<<ANNA<MARIA<<<<<<<<<<")


def test_check_digits_of_specimen_fields() -> None:
    assert check_digit("L898902C3") == "6"
    assert check_digit("740812") == "2"
    assert check_digit("120415") == "9"
    assert check_digit("L898902C<") == "3"
    assert check_digit("<<<<<") == "0"


def test_td3_fields() -> None:
    f = parse_mrz(TD3)
    assert f.format is MrzFormat.TD3
    assert (f.document_code, f.issuing_state, f.document_number) == ("P", "UTO", "L898902C3")
    assert (f.surname, f.given_names) == ("ERIKSSON", "ANNA MARIA")
    assert (f.birth_date, f.sex, f.expiry_date, f.nationality) == ("740812", "F", "120415",
                                                                   "UTO")
    assert f.optional_data == "ZE184226B"
    assert f.birth == dt.date(1974, 8, 12)
    assert f.expiry == dt.date(2012, 4, 15)
    assert f.mrz_information() == "L898902C3674081221204159"
    assert parse_mrz("".join(TD3)) == f
    assert parse_mrz("\n".join(TD3).lower()) == f


def test_td2_and_td1_fields() -> None:
    for lines, fmt in ((TD2, MrzFormat.TD2), (TD1, MrzFormat.TD1)):
        f = parse_mrz(lines)
        assert f.format is fmt
        assert f.document_number == "D23145890"
        assert (f.birth_date, f.expiry_date, f.sex) == ("740812", "120415", "F")
        assert (f.surname, f.given_names) == ("ERIKSSON", "ANNA MARIA")
        assert f.mrz_information() == "D23145890774081221204159"


def _td1_long(number: str) -> tuple[str, str, str]:
    head, rest = number[:9], number[9:]
    optional = (rest + check_digit(number) + "<" * 15)[:15]
    l1 = "I<UTO" + head + "<" + optional
    l2_core = "7408122F1204159UTO" + "<" * 11
    composite = check_digit(l1[5:30] + l2_core[0:7] + l2_core[8:15] + l2_core[18:29])
    return l1, l2_core + composite, "ERIKSSON<<ANNA<MARIA<<<<<<<<<<"


def test_td1_long_document_number_is_reassembled() -> None:
    f = parse_mrz(_td1_long("D23145890734"))
    assert f.document_number == "D23145890734"
    assert f.mrz_information() == mrz_information("D23145890734", "740812", "120415")


@pytest.mark.parametrize(("line", "pos", "field"), [
    (1, 9, "document_number"), (1, 19, "birth_date"), (1, 27, "expiry_date"),
    (1, 42, "optional_data"), (1, 43, "composite"),
])
def test_each_wrong_check_digit_names_its_field(line: int, pos: int, field: str) -> None:
    lines = list(TD3)
    ch = lines[line][pos]
    lines[line] = lines[line][:pos] + ("1" if ch != "1" else "2") + lines[line][pos + 1:]
    with pytest.raises(MrzError) as err:
        parse_mrz(lines)
    assert err.value.field == field
    assert "L898902C3" not in str(err.value)


def test_malformed_zones() -> None:
    with pytest.raises(MrzError, match="length"):
        parse_mrz("P<UTO")
    with pytest.raises(MrzError, match="line 2"):
        parse_mrz((TD3[0], TD3[1][:-1] + "!"))
    with pytest.raises(MrzError) as err:
        mrz_information("L898902C", "691306", "940623")
    assert err.value.field == "birth_date"
    with pytest.raises(MrzError):
        mrz_information("L89-8902", "690806", "940623")


@given(st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<", min_size=88, max_size=88))
def test_any_88_characters_parse_or_fail_typed(text: str) -> None:
    try:
        parse_mrz(text)
    except MrzError:
        pass
