"""Applying the payments feed: what is overdue goes down, an account paid up is current."""

from __future__ import annotations

from sqlalchemy import select

from bot.accounts.models import CardAccount, Payment
from bot.accounts.service import explain_account
from tests.portfolio.feeds import account_row, payment_row, to_csv


def _account(sessions, number=1):
    with sessions() as session:
        return session.scalars(
            select(CardAccount).where(CardAccount.external_id == f"ACC-{number:06d}")
        ).one()


def _pay(run_import, *rows):
    return run_import(to_csv(list(rows)), name="payments.csv")


def test_a_payment_of_what_is_overdue_makes_the_account_current(run_import, sessions):
    run_import(to_csv([account_row(1)]))
    outcome = _pay(run_import, payment_row(1, amount="183.05"))
    assert (outcome.summary.kind, outcome.summary.accepted) == ("payments", 1)
    account = _account(sessions)
    assert (account.overdue_amount_minor, account.days_past_due) == (0, 0)
    assert account.minimum_due_minor == 0
    assert account.statement_balance_minor == 183045 - 18305
    assert "nothing is overdue" in explain_account(account)


def test_a_partial_payment_reduces_what_is_overdue_and_keeps_days_past_due(run_import, sessions):
    run_import(to_csv([account_row(1)]))
    _pay(run_import, payment_row(1, amount="50.00"))
    account = _account(sessions)
    assert (account.overdue_amount_minor, account.days_past_due) == (13305, 12)


def test_more_than_is_owed_never_goes_below_zero(run_import, sessions):
    run_import(to_csv([account_row(1)]))
    _pay(run_import, payment_row(1, amount="5000.00"))
    account = _account(sessions)
    assert (account.overdue_amount_minor, account.statement_balance_minor) == (0, 0)


def test_the_same_payments_file_twice_deducts_once(run_import, sessions):
    run_import(to_csv([account_row(1)]))
    content = [payment_row(1, amount="50.00"), payment_row(1, amount="20.00", reference="P-2")]
    _pay(run_import, *content)
    again = _pay(run_import, *content)
    assert (again.summary.accepted, again.summary.unchanged) == (0, 2)
    assert _account(sessions).overdue_amount_minor == 18305 - 7000
    with sessions() as session:
        assert len(session.scalars(select(Payment)).all()) == 2


def test_a_payment_before_the_snapshot_date_is_already_in_its_figures(run_import, sessions):
    run_import(to_csv([account_row(1)]))
    outcome = _pay(run_import, payment_row(1, paid_at="2026-11-19T23:59:00Z"))
    assert outcome.summary.accepted == 1
    assert _account(sessions).overdue_amount_minor == 18305


def test_a_newer_snapshot_still_counts_payments_made_after_its_date(run_import, sessions):
    run_import(to_csv([account_row(1)]))
    _pay(run_import, payment_row(1, amount="50.00", paid_at="2026-11-21T15:00:00Z"))
    newer = account_row(1, as_of="2026-11-21", due_date="2026-11-09", overdue_amount="183.05")
    run_import(to_csv([newer]))
    assert _account(sessions).overdue_amount_minor == 13305


def test_payments_that_cannot_be_applied_say_why(run_import, sessions):
    run_import(to_csv([account_row(1)]))
    _pay(run_import, payment_row(1, reference="USED"))
    outcome = _pay(
        run_import,
        payment_row(2, reference="A"),
        payment_row(1, currency="GBP", reference="B"),
        payment_row(1, reference="C"),
        payment_row(1, reference="C", amount="1.00"),
        payment_row(1, reference="USED", amount="99.00"),
        payment_row(1, reference="D", paid_at="2026-11-21 09:30"),
        payment_row(1, reference="E", amount="0"),
        payment_row(1, reference="F", amount="-5.00"),
    )
    assert outcome.summary.accepted == 0
    reasons = outcome.reasons()
    assert reasons[(2, "account_id")] == "no account with this account_id on record"
    assert reasons[(3, "currency")] == "not the currency of the account"
    assert reasons[(4, "reference")].startswith("appears 2 times in this file")
    assert reasons[(5, "reference")].startswith("appears 2 times in this file")
    assert reasons[(6, "reference")].startswith("already recorded for a different payment")
    assert reasons[(7, "paid_at")].startswith("no UTC offset")
    assert reasons[(8, "amount")] == "the amount must be above 0"
    assert reasons[(9, "amount")] == "negative amounts are not allowed"
    assert _account(sessions).overdue_amount_minor == 18305 - 5000
