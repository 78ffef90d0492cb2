"""Tests of idcapture.idnumbers against the published examples of the spec."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from idcapture.idnumbers import (
    IdNumberKind,
    Severity,
    birth_date_from_number,
    detect_kind,
    foreigner_2017_check_digit,
    id_number_check,
    is_valid_id_number,
    make_citizen_id,
    make_foreigner_2017_number,
    make_foreigner_2023_number,
    make_hmt_permit_number,
    mod11_2_check_char,
    region_name,
    sex_from_number,
    validate_id_number,
)
from idcapture.record import CheckOutcome, DocumentKind, IdentityDocument, Sex


def codes(problems: list) -> set[str]:
    return {p.code for p in problems}


@pytest.mark.parametrize("number", ["11010519491231002X", "440524188001010014"])
def test_published_citizen_examples_have_valid_check(number: str) -> None:
    assert mod11_2_check_char(number[:17]) == number[17]
    assert "check-digit" not in codes(validate_id_number(number))


def test_published_citizen_example_fully_valid() -> None:
    assert validate_id_number("11010519491231002X", birth_date=dt.date(1949, 12, 31),
                              sex=Sex.FEMALE) == []


@pytest.mark.parametrize("number", ["810000199408230021", "830000199201300022"])
def test_published_hmt_examples(number: str) -> None:
    assert detect_kind(number) is IdNumberKind.HMT_PERMIT
    assert validate_id_number(number) == []


def test_published_foreigner_examples() -> None:
    assert foreigner_2017_check_digit("KAZ11009012310") == "5"
    assert validate_id_number("KAZ110090123105") == []
    assert detect_kind("KAZ110090123105") is IdNumberKind.FOREIGNER_2017
    assert validate_id_number("932682198501010017") == []
    assert detect_kind("932682198501010017") is IdNumberKind.FOREIGNER_2023
    assert birth_date_from_number("KAZ110090123105") == dt.date(1990, 12, 31)


def test_wrong_check_digit_is_reported() -> None:
    assert codes(validate_id_number("110105194912310021")) == {"check-digit"}
    assert codes(validate_id_number("KAZ110090123106")) == {"check-digit"}
    assert codes(validate_id_number("932682198501010018")) == {"check-digit"}


def test_birth_and_sex_mismatch() -> None:
    n = make_citizen_id("110105", dt.date(2001, 2, 3), 123)  # odd -> male
    assert sex_from_number(n) is Sex.MALE
    assert validate_id_number(n, sex="male", birth_date=dt.date(2001, 2, 3)) == []
    got = codes(validate_id_number(n, sex=Sex.FEMALE, birth_date=dt.date(2001, 2, 4)))
    assert got == {"sex-mismatch", "birth-date-mismatch"}


def test_impossible_birth_date() -> None:
    body = "11010520010230123"
    n = body + mod11_2_check_char(body)
    assert codes(validate_id_number(n)) == {"birth-date"}


def test_region_checks() -> None:
    # Province 99 does not exist: error.
    body = "99010520010203123"
    n = body + mod11_2_check_char(body)
    problems = validate_id_number(n)
    assert codes(problems) == {"region"} and problems[0].severity is Severity.ERROR
    # Province exists, county unknown: warning only.
    n2 = make_citizen_id("119999", dt.date(2001, 2, 3), 123)
    problems2 = validate_id_number(n2)
    assert codes(problems2) == {"region"} and problems2[0].severity is Severity.WARNING
    assert is_valid_id_number(n2)
    assert validate_id_number(n2, check_region=False) == []
    assert region_name("11010519491231002X") is not None
    # A permit prefix passed as citizen kind is flagged.
    assert "kind" in codes(validate_id_number("810000199408230021", IdNumberKind.CITIZEN))


def test_shape_errors_never_raise() -> None:
    for bad in ["", "123", "ABCDEFGHIJKLMNOPQR", "11010519491231002Y", "KAZ11009012310X"]:
        problems = validate_id_number(bad)
        assert problems and all(p.is_error for p in problems)


def test_messages_never_contain_the_number() -> None:
    n = "110105194912310021"
    for p in validate_id_number(n, sex="male", birth_date=dt.date(2000, 1, 1)):
        assert n not in p.message and n[6:14] not in p.message


def test_makers_roundtrip() -> None:
    assert make_hmt_permit_number("810000", dt.date(1994, 8, 23), 2) == "810000199408230021"
    assert make_foreigner_2017_number("KAZ", "1100", dt.date(1990, 12, 31), 0) \
        == "KAZ110090123105"
    assert make_foreigner_2023_number("32", 682, dt.date(1985, 1, 1), 1) \
        == "932682198501010017"
    with pytest.raises(ValueError):
        make_citizen_id("11010", dt.date(2000, 1, 1), 1)
    with pytest.raises(ValueError):
        make_hmt_permit_number("110105", dt.date(2000, 1, 1), 1)


@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2020, 12, 31)),
       st.integers(0, 999))
def test_made_citizen_numbers_validate(birth: dt.date, seq: int) -> None:
    n = make_citizen_id("440524", birth, seq)
    sex = Sex.MALE if seq % 2 else Sex.FEMALE
    assert validate_id_number(n, birth_date=birth, sex=sex, check_region=False) == []
    # Any single-digit change in the first 17 is caught by the check character.
    i = seq % 17
    mutated = n[:i] + str((int(n[i]) + 1) % 10) + n[i + 1:]
    assert "check-digit" in codes(validate_id_number(mutated, check_region=False))


@given(st.text(max_size=30))
def test_any_text_gives_problems_not_exceptions(text: str) -> None:
    problems = validate_id_number(text)
    assert all(p.code and p.message for p in problems)
    if not any(c.isdigit() for c in text):  # every number scheme holds digits
        assert problems
    if len(text.strip()) >= 6:  # the messages never repeat what was typed
        assert not any(text.strip().upper() in p.message.upper() for p in problems)


def _mod11_2(first17: str) -> str:
    """ISO/IEC 7064 MOD 11-2 as GB 11643 prints it: weights 2^(17-i) mod 11, 1-0-X-9-...-2."""
    total = sum(int(c) * pow(2, 17 - i, 11) for i, c in enumerate(first17))
    return "10X98765432"[total % 11]


@given(st.text("0123456789", min_size=17, max_size=17), st.sampled_from("0123456789X"))
def test_eighteen_character_numbers_are_judged_by_their_check_character(
        first17: str, last: str) -> None:
    problems = codes(validate_id_number(first17 + last, "citizen", check_region=False))
    assert ("check-digit" in problems) == (_mod11_2(first17) != last)


def test_id_number_check_on_documents() -> None:
    n = make_citizen_id("110105", dt.date(2001, 2, 3), 124)
    doc = IdentityDocument(kind=DocumentKind.RESIDENT_ID, id_number=n, name="x",
                           sex=Sex.FEMALE, birth_date=dt.date(2001, 2, 3))
    assert id_number_check(doc).outcome is CheckOutcome.PASSED
    doc.sex = Sex.MALE
    check = id_number_check(doc)
    assert check.outcome is CheckOutcome.FAILED
    assert n not in check.message and "sex-mismatch" in check.details["problems"]
    doc2 = IdentityDocument(kind=DocumentKind.PASSPORT, id_number="E12345678", name="x")
    assert id_number_check(doc2).outcome is CheckOutcome.NOT_CHECKED
    doc3 = IdentityDocument(kind=DocumentKind.FOREIGNER_PERMANENT_2017,
                            id_number="KAZ110090123105", name="x", nationality_code="CAN",
                            birth_date=dt.date(1990, 12, 31))
    assert codes_of(id_number_check(doc3)) == {"nationality-mismatch"}


def codes_of(check) -> set[str]:  # type: ignore[no-untyped-def]
    return set(check.details["problems"])
