"""Checking and normalising what people type (anju.people.validation)."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from anju.people import fakes, validation
from anju.people.validation import Invalid

pytestmark = pytest.mark.usefixtures("english")

GOOD = fakes.id_number(date(1950, 5, 17), 1, male=True)


def test_a_valid_id_number_gives_birth_date_and_gender() -> None:
    number, born, gender = validation.clean_id_number(GOOD)
    assert number == GOOD
    assert born == date(1950, 5, 17)
    assert gender == "M"
    assert validation.clean_id_number(fakes.id_number(date(1990, 1, 2), 5, male=False))[2] == "F"


def test_known_public_example_check_digit() -> None:
    # The GB 11643 worked example: 11010519491231002X.
    assert validation.id_check_char("11010519491231002") == "X"
    assert validation.clean_id_number("11010519491231002x")[0] == "11010519491231002X"


def test_id_number_spaces_and_full_width_digits_are_folded() -> None:
    spaced = f"{GOOD[:6]} {GOOD[6:14]} {GOOD[14:]}"
    assert validation.clean_id_number(spaced)[0] == GOOD
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in GOOD)
    assert validation.clean_id_number(full_width)[0] == GOOD


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        (GOOD[:-1] + ("0" if GOOD[-1] != "0" else "1"), "check digit"),
        (GOOD[:17], "18 characters"),
        ("A" + GOOD[1:], "17 digits"),
        ("00" + GOOD[2:], "region code"),
        (GOOD[:10] + "1399" + GOOD[14:], "not a real date"),
        (GOOD[:6] + "18500101" + GOOD[14:], "not plausible"),
        ("", "Enter the ID number"),
    ],
)
def test_bad_id_numbers_are_refused_with_a_reason(raw: str, fragment: str) -> None:
    with pytest.raises(Invalid, match=fragment):
        validation.clean_id_number(raw)


@pytest.mark.parametrize(
    "raw", ["13812341234", "138 1234 1234", "+86 138-1234-1234", "0086 13812341234", "１３８１２３４１２３４"]
)
def test_mobile_numbers_are_normalised(raw: str) -> None:
    assert validation.parse_mobile(raw) == "13812341234"


@pytest.mark.parametrize("raw", ["1381234123", "23812341234", "+1 415 555 0100", "abc"])
def test_bad_mobile_numbers_are_refused(raw: str) -> None:
    with pytest.raises(Invalid, match="11-digit"):
        validation.parse_mobile(raw)


def test_names_are_trimmed_and_traditional_characters_kept() -> None:
    assert validation.clean_name("  张 三 ") == "张三"
    assert validation.clean_name("張三豐") == "張三豐"
    assert validation.clean_name("买买提•艾力") == "买买提·艾力"
    assert validation.name_keys("張三豐") == ("zhangsanfeng", "zsf")
    assert validation.name_keys("张三") == ("zhangsan", "zs")


@pytest.mark.parametrize("raw", ["", "张3", "<script>", "·张三", "张" * 51])
def test_bad_names_are_refused(raw: str) -> None:
    with pytest.raises(Invalid):
        validation.clean_name(raw)


def test_dates_in_the_usual_spellings() -> None:
    for raw in ("1956-03-08", "1956/3/8", "1956.3.8", "19560308", "1956年3月8日", datetime(1956, 3, 8, 0, 0)):  # noqa: DTZ001
        assert validation.clean_date(raw) == date(1956, 3, 8)
    assert validation.clean_date("") is None
    for bad in ("08/03/1956", "1956-02-30", "2999-01-01", "yesterday"):
        with pytest.raises(Invalid):
            validation.clean_date(bad)
