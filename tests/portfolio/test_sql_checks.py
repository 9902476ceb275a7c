"""On PostgreSQL the accounts checks run in SQL; they stage exactly what the Python checks stage."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import SecretStr
from sqlalchemy import text

from bot.portfolio.account_rows import AccountRowChecker
from bot.portfolio.raw_accounts import (
    RawAccountsWriter,
    records_left_to_python,
    stage_checked_rows,
)
from bot.portfolio.reading import FeedRecord
from tests.portfolio.feeds import account_row, to_csv
from tests.portfolio.test_account_rows import BAD, ODD_BUT_VALID

KEY = SecretStr("a key that is longer than sixty-four bytes, so HMAC hashes it first ......")
TODAY = date(2026, 11, 21)
PLAIN = [
    {},
    {"full_name": "王芳", "phone": "+8613800000101", "time_zone": "Asia/Shanghai"},
    {"full_name": "José Núñez", "locale": "es"},
    {"full_name": "\u3000王芳\u3000", "currency": "\u00a0usd\t"},  # stripped as Python strips
    {"locale": "yue-HK", "risk_tier": "Low", "deceased": "TRUE", "closed": "n"},
    {"credit_limit": "9999999999.99", "statement_balance": "0.5", "minimum_due": "0.05"},
    {"date_of_birth": "1900-01-01", "card_last4": "0000", "behaviour_score": "0"},
    {"due_date": "2024-02-29", "as_of": "2024-03-12", "date_of_birth": "1960-02-29"},
    {"as_of": "2026-11-22", "due_date": "2026-11-10"},
    {"overdue_amount": "6000.01", "minimum_due": "0", "behaviour_score": "", "days_past_due": "12"},
    {"contact_hours": "18:00-20:00"},
    {"contact_hours": "\u00a000:00-24:00\t", "time_zone": "Asia/Shanghai"},
    {"contact_hours": "23:59-24:00"},
    {"contact_hours": "18:00-20:00\n"},  # stripped as Python strips
]
LEFT_TO_PYTHON_BUT_VALID = [
    {"phone": "+1２０２５５５０１０１"},  # fullwidth digits are digits to Python
    {"account_id": "ACC-0000000000001"},  # 13 digits: might be a card number
    {"credit_limit": "999999999999999.99"},
    {"full_name": "José Núñez-O'Brien"},  # 13 characters or more, not ASCII
]
MORE_BAD = [
    {"full_name": "Alice\u00adWalker"},  # a soft hyphen is not printable
    {"full_name": "Alice\u200bWalker"},
    {"date_of_birth": "2023-02-29"},
    {"due_date": "0000-01-01"},
    {"as_of": "2026-11-23"},
    {"credit_limit": "1.2.3"},
    {"credit_limit": ".5"},
    {"phone": "+0123456789"},
    {"locale": "en-us"},
    {"locale": "EN"},
    {"time_zone": "asia/shanghai"},
    {"full_name": "x", "account_id": "ACC 4111-1111-1111-1111"},
    {"full_name": "Alice\x00Walker"},
    {"contact_hours": "18:00-18:00"},
    {"contact_hours": "18:00-24:30"},
    {"contact_hours": "24:00-24:00"},
    {"contact_hours": "8:00-20:00"},
    {"contact_hours": "18:00\u201320:00"},  # an en dash
    {"contact_hours": "\uff11\uff18:00-20:00"},  # fullwidth digits are digits to Python
    {"contact_hours": "18:00-20:00-21:00"},
    {"contact_hours": "18:00 - 20:00"},
]
KINDS = [*PLAIN, *ODD_BUT_VALID, *LEFT_TO_PYTHON_BUT_VALID, *BAD, *MORE_BAD]


@pytest.fixture
def postgresql(engine):
    if engine.dialect.name != "postgresql":
        pytest.skip("the SQL checks run on PostgreSQL only")
    return engine


def _records() -> list[FeedRecord]:
    records = []
    for n, changes in enumerate(KINDS, start=2):
        values = account_row(n) | changes
        values.setdefault("contact_hours", "")
        values.setdefault("memo", "")
        records.append(FeedRecord(n, values))
    return records


def _through_sql(engine, records):
    """Stage `records` the PostgreSQL way: (rows the SQL staged, what Python gave for the rest)."""
    checker = AccountRowChecker(hash_key=KEY, today=TODAY)
    with engine.connect() as connection:
        writer = RawAccountsWriter(
            connection, columns=list(records[0].values), may_hold_nul=True, csv=True
        )
        for record in records:
            writer.add(record)
        writer.close()
        stage_checked_rows(
            connection,
            hash_key=KEY,
            latest_feed_date=checker.latest_feed_date,
            control_free=False,
        )
        staged = connection.execute(text("SELECT * FROM portfolio_staged_accounts")).all()
        by_sql = {row[0]: tuple(row) for row in staged}
        left = {
            record.row: checker.check(record)
            for record in records_left_to_python(connection, list(records[0].values))
        }
        connection.rollback()
    return by_sql, left


def test_sql_and_python_checks_stage_the_same_rows_and_give_the_same_reasons(postgresql):
    records = _records()
    checker = AccountRowChecker(hash_key=KEY, today=TODAY)
    by_sql, left = _through_sql(postgresql, records)
    assert set(by_sql) | set(left) == {record.row for record in records}
    assert not set(by_sql) & set(left)
    for record in records:
        staged, problems = checker.check(record)
        if record.row in by_sql:
            assert staged is not None and problems == [], record
            assert by_sql[record.row] == tuple(staged), record
        else:
            assert left[record.row] == (staged, problems), record


def test_plain_valid_rows_are_checked_in_sql_and_the_rest_in_python(postgresql):
    records = _records()
    by_sql, left = _through_sql(postgresql, records)
    first_left = len(PLAIN) + len(ODD_BUT_VALID)
    first_bad = first_left + len(LEFT_TO_PYTHON_BUT_VALID)
    assert {record.row for record in records[:first_left]} <= set(by_sql)
    for record in records[first_left:first_bad]:
        assert record.row in left and left[record.row][0] is not None, record
    for record in records[first_bad:]:
        assert record.row in left and left[record.row][0] is None, record


def test_a_file_imports_with_the_reasons_the_python_checks_give(postgresql, run_import):
    records = _records()
    outcome = run_import(to_csv([record.values for record in records]))
    checker = AccountRowChecker(hash_key=KEY, today=date.today())
    results = [checker.check(record) for record in records]
    assert outcome.rejections == [problem for _, problems in results for problem in problems]
    valid = sum(1 for staged, _ in results if staged is not None)
    assert (outcome.summary.accepted, outcome.summary.rejected) == (valid, len(records) - valid)
