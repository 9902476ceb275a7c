"""The straight pass for valid rows and the full check agree on every kind of row."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import SecretStr

from bot.portfolio.account_rows import AccountRowChecker
from bot.portfolio.reading import FeedRecord
from tests.portfolio.feeds import account_row

ODD_BUT_VALID = [
    {"contact_hours": "18:00-20:00"},
    {"contact_hours": " 09:30-24:00 "},
    {"contact_hours": ""},
    {"credit_limit": "5000"},
    {"credit_limit": "5000.5"},
    {"statement_balance": "0001830.45"},
    {"currency": " usd "},
    {"full_name": "  王芳  "},
    {"locale": ""},
    {"locale": "zh-CN"},
    {"behaviour_score": ""},
    {"behaviour_score": "1000"},
    {"risk_tier": "HIGH"},
    {"deceased": "Y"},
    {"closed": "1"},
    {"bankruptcy": ""},
    {"overdue_amount": "0", "minimum_due": "0", "days_past_due": "0", "due_date": "2026-11-23"},
    {"memo": "4111 1111 1111 1112"},  # fails Luhn: not a card number
]
BAD = [
    {"contact_hours": "18-20"},
    {"contact_hours": "20:00-18:00"},
    {"contact_hours": "25:00-26:00"},
    {"overdue_amount": ""},
    {"statement_balance": "-20.00"},
    {"minimum_due": "12.345"},
    {"credit_limit": "5,000.00"},
    {"credit_limit": "5e3"},
    {"credit_limit": "12."},
    {"credit_limit": "1234567890123456"},
    {"phone": "202-555-0101"},
    {"phone": ""},
    {"time_zone": "America/Nowhere"},
    {"currency": "XYZ"},
    {"currency": "XYZ", "credit_limit": "1.234"},
    {"due_date": "08/11/2026"},
    {"due_date": "2026-02-30"},
    {"as_of": "2099-01-01"},
    {"card_last4": "441"},
    {"minimum_due": "2000.00"},
    {"days_past_due": "30"},
    {"days_past_due": "0"},
    {"days_past_due": "-1"},
    {"overdue_amount": "0"},
    {"date_of_birth": "1899-12-31"},
    {"date_of_birth": "1984-13-07"},
    {"deceased": "maybe"},
    {"risk_tier": "extreme"},
    {"behaviour_score": "1001"},
    {"locale": "english"},
    {"account_id": "x" * 65},
    {"full_name": "Alice\nWalker"},
    {"full_name": "4111 1111 1111 1111"},
    {"memo": "4111111111111111"},
    {"phone": "+1202555010", "card_last4": "44a7", "currency": "JPY"},
]


@pytest.fixture
def checker() -> AccountRowChecker:
    return AccountRowChecker(hash_key=SecretStr("key"), today=date(2026, 11, 21))


@pytest.mark.parametrize("changes", ODD_BUT_VALID)
def test_odd_but_valid_rows_are_staged_the_same_way(checker, changes):
    record = FeedRecord(2, account_row(1) | changes)
    staged, problems = checker.check(record)
    assert staged is not None and problems == []
    assert checker.check(record) == checker.full_check(record)


@pytest.mark.parametrize("changes", BAD)
def test_bad_rows_get_the_same_reasons_either_way(checker, changes):
    record = FeedRecord(2, account_row(1) | changes)
    staged, problems = checker.check(record)
    assert staged is None and problems
    assert (staged, problems) == checker.full_check(record)


def test_a_row_missing_optional_columns_is_staged_the_same_way(checker):
    values = account_row(1)
    for optional in ("locale", "behaviour_score", "risk_tier", "deceased", "closed"):
        del values[optional]
    record = FeedRecord(2, values)
    assert checker.check(record)[0] is not None
    assert checker.check(record) == checker.full_check(record)
