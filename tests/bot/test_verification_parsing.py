from datetime import date

import pytest

from bot.verification.parsing import parse_card_last4, parse_date_of_birth

TODAY = date(2026, 11, 22)


@pytest.mark.parametrize(
    ("text", "digits"), [("1234", "1234"), ("its 0042", "0042"), ("ends in 9876.", "9876")]
)
def test_last_four_digits_are_read_from_what_people_type(text, digits):
    assert parse_card_last4(text).value == digits


@pytest.mark.parametrize("text", ["123", "12345", "1234 5678", "no idea", "12 34"])
def test_anything_but_four_digits_is_refused(text):
    parsed = parse_card_last4(text)
    assert parsed.value is None
    assert parsed.problem == "not_four_digits"


def test_a_full_card_number_is_refused_as_such():
    assert parse_card_last4("4111 1111 1111 1111").problem == "full_card_number"


@pytest.mark.parametrize(
    ("text", "locale", "born"),
    [
        ("1985-03-21", "en-GB", date(1985, 3, 21)),
        ("21/03/1985", "en-GB", date(1985, 3, 21)),
        ("03/21/1985", "en-US", date(1985, 3, 21)),
        ("21 march 1985", "en-US", date(1985, 3, 21)),
        ("March 21st, 1985", "en-GB", date(1985, 3, 21)),
        ("1985年3月21日", "zh-CN", date(1985, 3, 21)),
        ("1985/3/21", "zh-CN", date(1985, 3, 21)),
    ],
)
def test_dates_of_birth_in_common_forms(text, locale, born):
    assert parse_date_of_birth(text, locale=locale, today=TODAY).value == born


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("march 1985", "not_a_date"),
        ("hello", "not_a_date"),
        ("1985-02-30", "not_a_date"),
        ("2030-01-01", "implausible"),
        ("2020-01-01", "implausible"),
        ("1890-01-01", "implausible"),
    ],
)
def test_incomplete_or_impossible_dates_are_refused(text, problem):
    parsed = parse_date_of_birth(text, locale="en-GB", today=TODAY)
    assert parsed.value is None
    assert parsed.problem == problem
