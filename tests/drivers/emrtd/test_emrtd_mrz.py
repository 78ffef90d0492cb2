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


MRZ_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<"


@given(st.text(alphabet=MRZ_CHARS, min_size=88, max_size=88))
def test_any_88_characters_parse_or_fail_typed(text: str) -> None:
    try:
        parse_mrz(text)
    except MrzError as exc:
        assert exc.field in {"document_number", "birth_date", "expiry_date", "optional_data",
                             "composite", "length"} or exc.field.startswith("line ")


# -------------------------------------------- generated zones that reach every check

def _icao_digit(data: str) -> str:
    """Doc 9303 part 3 section 4.9, written out: values 0-9, A=10..Z=35, '<'=0; weights 7,3,1."""
    total = 0
    for i, c in enumerate(data):
        value = int(c) if c.isdigit() else 0 if c == "<" else ord(c) - ord("A") + 10
        total += value * (7, 3, 1)[i % 3]
    return str(total % 10)


_ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


@st.composite
def td3_zones(draw: st.DrawFn) -> tuple[tuple[str, str], dict[str, str]]:
    """A TD3 zone with every check digit right, and the values it was built from."""
    surname = draw(st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=1, max_size=15))
    given = draw(st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=1, max_size=15))
    number = draw(st.text(_ALNUM, min_size=1, max_size=9))
    # birth 1950-2019 and expiry 2000-2060 read back in one century until 2049
    birth = draw(st.dates(dt.date(1950, 1, 1), dt.date(2019, 12, 31))).strftime("%y%m%d")
    expiry = draw(st.dates(dt.date(2000, 1, 1), dt.date(2060, 12, 31))).strftime("%y%m%d")
    optional = draw(st.text(_ALNUM, max_size=14))
    sex = draw(st.sampled_from("MF<"))
    l1 = ("P<UTO" + surname + "<<" + given).ljust(44, "<")
    num9, opt14 = number.ljust(9, "<"), optional.ljust(14, "<")
    ocd = _icao_digit(opt14) if optional else draw(st.sampled_from(["<", "0"]))
    l2 = (num9 + _icao_digit(num9) + "UTO" + birth + _icao_digit(birth) + sex + expiry
          + _icao_digit(expiry) + opt14 + ocd)
    l2 += _icao_digit(l2[0:10] + l2[13:20] + l2[21:43])
    return (l1, l2), {"surname": surname, "given": given, "number": number, "birth": birth,
                      "expiry": expiry, "optional": optional}


@given(td3_zones())
def test_generated_td3_zones_parse_back_to_their_values(
        zone: tuple[tuple[str, str], dict[str, str]]) -> None:
    (l1, l2), v = zone
    f = parse_mrz((l1, l2))
    assert (f.surname, f.given_names) == (v["surname"], v["given"])
    assert (f.document_number, f.birth_date, f.expiry_date) == (v["number"], v["birth"],
                                                                 v["expiry"])
    assert f.optional_data == v["optional"] and f.composite_check == l2[43]
    assert f.mrz_information() == l2[0:10] + l2[13:20] + l2[21:28]


#: TD3 line 2: position of each check digit and the field it guards, in checking order
_TD3_CHECKS = ((42, "optional_data"), (9, "document_number"), (19, "birth_date"),
               (27, "expiry_date"), (43, "composite"))


@given(td3_zones(), st.sampled_from(_TD3_CHECKS), st.integers(1, 9))
def test_each_wrong_check_digit_of_a_generated_zone_names_its_field(
        zone: tuple[tuple[str, str], dict[str, str]], check: tuple[int, str],
        shift: int) -> None:
    (l1, l2), _ = zone
    pos, field = check
    digit = int(l2[pos]) if l2[pos].isdigit() else 0
    bad = l2[:pos] + str((digit + shift) % 10) + l2[pos + 1:]
    if field == "optional_data" and l2[pos] == "<":
        bad = l2[:pos] + str(shift) + l2[pos + 1:]  # a digit where the filler was
    with pytest.raises(MrzError) as err:
        parse_mrz((l1, bad))
    assert err.value.field == field
