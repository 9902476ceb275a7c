"""Promise follow-up: a reminder the day before; a broken promise re-enters the cadence."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.accounts.models import CardAccount, Cardholder, Payment
from bot.promises.followup import promise_kept
from bot.promises.models import PromiseStatus, PromiseToPay
from bot.reminders.models import Reminder
from tests.conftest import AS_OF
from tests.reminders.conftest import run

SHANGHAI_11 = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
PROMISED = AS_OF + timedelta(days=1)


@pytest.fixture
def promise(sessions, demo_portfolio):
    with sessions.begin() as session:
        account = session.scalars(
            select(CardAccount)
            .join(Cardholder)
            .where(
                CardAccount.days_past_due.between(1, 30), Cardholder.time_zone == "Asia/Shanghai"
            )
            .order_by(CardAccount.id)
        ).first()
        promise = PromiseToPay(
            account_id=account.id,
            amount_minor=10_000,
            currency=account.currency,
            promised_date=PROMISED,
            created_by="test",
            created_at=SHANGHAI_11 - timedelta(days=1),
        )
        session.add(promise)
        session.flush()
        return promise


def _reminders(sessions, account_id):
    with sessions() as session:
        return session.scalars(
            select(Reminder).where(Reminder.account_id == account_id).order_by(Reminder.id)
        ).all()


def _status(sessions, promise_id):
    with sessions() as session:
        return session.get(PromiseToPay, promise_id).status


def test_the_day_before_a_promise_its_reminder_goes_and_the_cadence_waits(
    sessions, settings, promise
):
    run(sessions, settings, SHANGHAI_11)
    [cadence, followup] = sorted(_reminders(sessions, promise.account_id), key=lambda r: r.purpose)
    assert cadence.purpose == "cadence"
    assert cadence.outcome == "block"
    assert (cadence.message_id, cadence.slot_date) == (None, AS_OF)
    assert (followup.purpose, followup.template_id, followup.outcome) == (
        "promise",
        "promise_reminder",
        "allow",
    )
    assert followup.promise_id == promise.id


def test_a_promise_unpaid_after_grace_is_broken_and_the_account_re_enters_the_cadence(
    sessions, settings, promise
):
    run(sessions, settings, SHANGHAI_11)
    # The promised date plus 3 days of grace ends on the 24th; on the 25th it is settled.
    run(sessions, settings, SHANGHAI_11 + timedelta(days=4))
    assert _status(sessions, promise.id) == PromiseStatus.PENDING
    with sessions.begin() as session:
        session.add(
            Payment(
                account_id=promise.account_id,
                amount_minor=9_000,  # 90%, below the 95% tolerance
                currency=promise.currency,
                paid_at=SHANGHAI_11 + timedelta(days=1),
                reference="PAY-1",
            )
        )
    summary = run(sessions, settings, SHANGHAI_11 + timedelta(days=5))
    assert summary.promises_broken == 1
    assert _status(sessions, promise.id) == PromiseStatus.BROKEN
    latest = _reminders(sessions, promise.account_id)[-1]
    assert (latest.purpose, latest.outcome) == ("cadence", "allow")
    assert latest.slot_date == PROMISED + timedelta(days=4)


def test_a_promise_paid_within_tolerance_is_kept(sessions, settings, promise):
    with sessions.begin() as session:
        session.add(
            Payment(
                account_id=promise.account_id,
                amount_minor=9_500,
                currency=promise.currency,
                paid_at=SHANGHAI_11 + timedelta(days=3),
                reference="PAY-2",
            )
        )
    summary = run(sessions, settings, SHANGHAI_11 + timedelta(days=5))
    assert summary.promises_kept == 1
    assert _status(sessions, promise.id) == PromiseStatus.KEPT


@pytest.mark.parametrize(
    ("paid", "promised", "kept"),
    [(9_500, 10_000, True), (9_499, 10_000, False), (0, 1, False), (1, 1, True), (95, 100, True)],
)
def test_the_tolerance_is_exact(paid, promised, kept):
    assert promise_kept(paid, promised, 95) is kept
