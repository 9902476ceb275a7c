"""Malformed and unusual files: what is refused whole, what is rejected by row, and why."""

from __future__ import annotations

import json
import logging

import pytest
from sqlalchemy import select, text

from bot.accounts.models import CardAccount, Cardholder
from bot.portfolio.models import ImportStatus, PortfolioImport
from tests.portfolio.feeds import account_row, to_csv

CARD_NUMBER = "4111 1111 1111 1111"


def _stored(sessions):
    with sessions() as session:
        return list(session.scalars(select(CardAccount.external_id).order_by(CardAccount.id)))


def test_a_file_with_a_byte_order_mark_is_read(run_import, sessions):
    outcome = run_import(b"\xef\xbb\xbf" + to_csv([account_row(1)]))
    assert (outcome.summary.accepted, outcome.summary.rejected) == (1, 0)
    assert _stored(sessions) == ["ACC-000001"]


def test_chinese_names_are_kept_exactly(run_import, sessions):
    row = account_row(1, full_name="王芳", phone="+8613800000101", time_zone="Asia/Shanghai")
    assert run_import(to_csv([row])).summary.accepted == 1
    with sessions() as session:
        assert session.scalars(select(Cardholder.full_name)).one() == "王芳"


def test_a_file_not_in_utf8_is_refused_whole(run_import, sessions):
    rows = [account_row(1), account_row(2, full_name="王芳")]
    outcome = run_import(to_csv(rows).decode().encode("gbk"))
    assert outcome.summary.status is ImportStatus.REFUSED
    assert "not UTF-8" in (outcome.summary.error or "")
    assert "0xcd" in (outcome.summary.error or "")
    assert _stored(sessions) == []


def test_missing_required_columns_refuse_the_file_with_their_list(run_import, sessions):
    rows = [account_row(1)]
    columns = [name for name in rows[0] if name not in ("phone", "due_date")]
    outcome = run_import(to_csv(rows, columns))
    assert outcome.summary.status is ImportStatus.REFUSED
    assert outcome.summary.missing_columns == ["phone", "due_date"]
    assert "phone, due_date" in (outcome.summary.error or "")
    assert _stored(sessions) == []
    with sessions() as session:
        record = session.get(PortfolioImport, outcome.summary.import_id)
        assert record is not None and record.status == ImportStatus.REFUSED


def test_extra_columns_are_ignored_and_named(run_import, sessions):
    row = account_row(1) | {"Branch Note": "call after 6"}
    outcome = run_import(to_csv([row]))
    assert outcome.summary.accepted == 1
    assert outcome.summary.ignored_columns == ["branch note"]


def test_quoted_newlines_stay_inside_their_field_and_rows_keep_their_numbers(run_import):
    rows = [
        account_row(1) | {"note": "moved house,\nnew address"},
        account_row(2, phone="12345") | {"note": ""},
    ]
    outcome = run_import(to_csv(rows))
    assert outcome.summary.accepted == 1
    # Row numbers as a spreadsheet shows them: header 1, records 2 and 3.
    assert list(outcome.reasons()) == [(3, "phone")]


def test_a_line_break_inside_a_name_is_rejected(run_import):
    outcome = run_import(to_csv([account_row(1, full_name="Alice\nWalker")]))
    assert outcome.reasons()[(2, "full_name")].startswith("contains a line break")


def test_an_empty_file_is_refused(run_import):
    outcome = run_import(b"")
    assert outcome.summary.status is ImportStatus.REFUSED
    assert outcome.summary.error == "the file is empty"


def test_a_header_alone_imports_nothing_and_completes(run_import):
    outcome = run_import(to_csv([account_row(1)]).split(b"\r\n")[0] + b"\r\n")
    assert outcome.summary.status is ImportStatus.COMPLETED
    assert (outcome.summary.rows_read, outcome.summary.accepted) == (0, 0)


def test_a_row_with_too_few_fields_is_rejected(run_import):
    content = to_csv([account_row(1)]) + b"ACC-000002,CH-000002\r\n"
    outcome = run_import(content)
    assert outcome.reasons()[(3, "")] == "the row has 2 fields, the header has 22"


@pytest.mark.parametrize(
    ("changes", "column", "reason"),
    [
        ({"overdue_amount": ""}, "overdue_amount", "required value is empty"),
        ({"statement_balance": "-20.00"}, "statement_balance", "negative amounts are not allowed"),
        ({"minimum_due": "12.345"}, "minimum_due", "more than 2 decimal places"),
        ({"credit_limit": "5,000.00"}, "credit_limit", "not a decimal amount"),
        ({"credit_limit": "5e3"}, "credit_limit", "not a decimal amount"),
        ({"phone": "202-555-0101"}, "phone", "not an E.164 phone number"),
        ({"phone": "+1 202 555 0101"}, "phone", "not an E.164 phone number"),
        ({"time_zone": "America/Nowhere"}, "time_zone", "unknown time zone"),
        ({"currency": "XYZ"}, "currency", "unsupported currency"),
        ({"due_date": "08/11/2026"}, "due_date", "not a date in the form YYYY-MM-DD"),
        ({"due_date": "2026-02-30"}, "due_date", "not a real calendar date"),
        ({"as_of": "2099-01-01"}, "as_of", "as_of is in the future"),
        ({"card_last4": "441"}, "card_last4", "not exactly 4 digits"),
        ({"minimum_due": "2000.00"}, "minimum_due", "above the statement balance"),
        ({"days_past_due": "30"}, "days_past_due", "does not match due_date and as_of"),
        ({"days_past_due": "0"}, "days_past_due", "days past due is 0 but an amount is overdue"),
        (
            {"overdue_amount": "0"},
            "days_past_due",
            "days past due is above 0 but nothing is overdue",
        ),
        ({"deceased": "maybe"}, "deceased", "not true or false"),
        ({"risk_tier": "extreme"}, "risk_tier", "not low, medium or high"),
    ],
)
def test_row_level_checks_give_a_specific_reason(run_import, sessions, changes, column, reason):
    outcome = run_import(to_csv([account_row(1, **changes), account_row(2)]))
    assert outcome.summary.rejected == 1
    assert outcome.summary.accepted == 1
    assert outcome.reasons()[(2, column)].startswith(reason)
    assert _stored(sessions) == ["ACC-000002"]


def test_rejected_values_are_shown_masked(run_import):
    outcome = run_import(to_csv([account_row(1, phone="202-555-0101", date_of_birth="1984-13-07")]))
    shown = {r.column: r.value for r in outcome.rejections}
    assert shown["phone"] == "202*******01"
    assert shown["date_of_birth"] == "**********"


def test_duplicate_account_ids_reject_every_occurrence(run_import, sessions):
    rows = [account_row(1), account_row(2), account_row(1, overdue_amount="1.00")]
    outcome = run_import(to_csv(rows))
    assert (outcome.summary.accepted, outcome.summary.rejected) == (1, 2)
    assert [r.row for r in outcome.rejections] == [2, 4]
    assert "appears 2 times in this file" in outcome.rejections[0].reason
    assert _stored(sessions) == ["ACC-000002"]


def test_one_phone_for_two_cardholders_in_a_file_is_rejected(run_import):
    rows = [account_row(1), account_row(2, phone="+12025550001")]
    outcome = run_import(to_csv(rows))
    assert outcome.summary.rejected == 2
    assert outcome.reasons()[(3, "phone")] == "given for more than one cardholder_id in this file"


def test_a_full_card_number_rejects_the_row_and_is_written_nowhere(
    run_import, sessions, engine, tmp_path, caplog
):
    caplog.set_level(logging.DEBUG)
    rows = [
        account_row(1, full_name=CARD_NUMBER) | {"memo": ""},
        account_row(2) | {"memo": "4111111111111111"},
    ]
    outcome = run_import(to_csv(rows))
    assert (outcome.summary.accepted, outcome.summary.rejected) == (0, 2)
    assert [(r.row, r.column, r.value) for r in outcome.rejections] == [
        (2, "full_name", "[card number withheld]"),
        (3, "memo", "[card number withheld]"),
    ]
    digits = CARD_NUMBER.replace(" ", "")
    assert digits not in repr(outcome) and CARD_NUMBER not in repr(outcome)
    assert digits not in caplog.text
    with engine.connect() as connection:
        for table in ("cardholders", "card_accounts", "portfolio_imports", "audit_events"):
            for row in connection.execute(text(f"SELECT * FROM {table}")):
                assert digits not in str(row) and CARD_NUMBER not in str(row)


def test_json_lines_are_read_with_exact_numbers(run_import, sessions):
    first = account_row(1) | {"credit_limit": 5000, "days_past_due": 12, "deceased": False}
    content = "\n".join([json.dumps(first), "", "{not json"]).encode()
    outcome = run_import(content, name="accounts.jsonl")
    assert (outcome.summary.accepted, outcome.summary.rejected) == (1, 1)
    assert outcome.reasons()[(3, "")] == "the line is not valid JSON"
    with sessions() as session:
        account = session.scalars(select(CardAccount)).one()
        assert account.credit_limit_minor == 500_000


def test_json_numbers_with_more_than_two_places_are_rejected_not_rounded(run_import):
    row = account_row(1) | {"statement_balance": 1830.455}
    content = json.dumps(row).replace('"1830.455"', "1830.455").encode()
    outcome = run_import(content, name="accounts.jsonl")
    assert outcome.reasons()[(1, "statement_balance")] == "more than 2 decimal places"


def test_an_unknown_extension_without_a_format_is_refused(run_import):
    outcome = run_import(to_csv([account_row(1)]), name="accounts.txt")
    assert outcome.summary.status is ImportStatus.REFUSED
    assert "unknown file format" in (outcome.summary.error or "")
