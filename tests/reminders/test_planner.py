"""Reminder runs: who gets what, idempotent, suppressed, deferred and sent later, recorded."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DatabaseError

from bot.accounts.models import CardAccount, Cardholder
from bot.conversations.models import (
    Channel,
    Conversation,
    ConversationState,
    Message,
    MessageKind,
    MessageStatus,
)
from bot.handoff.models import Escalation, EscalationReason
from bot.messaging.consent import withdraw_consent
from bot.messaging.models import ContactConsent
from bot.plans.models import InstalmentPlan
from bot.policy.models import ContactDecision
from bot.reminders.models import Reminder
from tests.conftest import AS_OF
from tests.reminders.conftest import deliver_due, run

# 11:00 in Shanghai, 03:00 in London, 22:00 (the day before) in New York, 19:00 in Los Angeles.
MORNING_SHANGHAI = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)


def _count(sessions, model, *where):
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


def _m1_account(sessions):
    with sessions() as session:
        return session.scalars(
            select(CardAccount)
            .join(Cardholder)
            .where(
                CardAccount.days_past_due.between(1, 30), Cardholder.time_zone == "Asia/Shanghai"
            )
            .order_by(CardAccount.id)
        ).first()


def test_a_run_queues_allowed_and_deferred_reminders_and_records_every_decision(
    sessions, settings, demo_portfolio
):
    summary = run(sessions, settings, MORNING_SHANGHAI)
    assert summary.planned > 0
    assert summary.allowed + summary.deferred + summary.blocked == summary.planned
    assert _count(sessions, Reminder) == summary.planned
    assert _count(sessions, ContactDecision) == summary.planned
    queued = _count(sessions, Message, Message.kind == MessageKind.REMINDER)
    assert queued == summary.allowed + summary.deferred
    with sessions() as session:
        for decision in session.scalars(select(ContactDecision)):
            assert decision.reason
            assert (decision.outcome == "defer") == (decision.next_allowed_at is not None)
        for message in session.scalars(select(Message).where(Message.kind == MessageKind.REMINDER)):
            assert message.status == MessageStatus.QUEUED
            assert message.conversation.channel == Channel.SMS
            assert message.conversation.address == message.conversation.cardholder.phone_e164
            assert "STOP" in message.text or "回复TD退订" in message.text


def test_running_twice_never_doubles_a_reminder(sessions, settings, demo_portfolio):
    first = run(sessions, settings, MORNING_SHANGHAI)
    again = run(sessions, settings, MORNING_SHANGHAI)
    later_same_day = run(sessions, settings, MORNING_SHANGHAI + timedelta(hours=1))
    assert first.planned > 0
    assert again.planned == later_same_day.planned == 0
    assert _count(sessions, Reminder) == first.planned


def test_a_dry_run_decides_and_writes_nothing(sessions, settings, demo_portfolio):
    summary = run(sessions, settings, MORNING_SHANGHAI, dry_run=True)
    assert summary.planned > 0
    assert _count(sessions, Reminder) == 0
    assert _count(sessions, ContactDecision) == 0
    assert _count(sessions, Message) == 0


def _suppress(session, account: CardAccount, how: str) -> None:
    holder = account.cardholder
    if how == "opted out":
        withdraw_consent(session, channel=Channel.SMS, address=holder.phone_e164, by="keyword")
    elif how == "wrong party":
        withdraw_consent(session, channel=Channel.SMS, address=holder.phone_e164, by="dialogue")
        row = session.scalars(select(ContactConsent)).one()
        row.reason = "wrong_party"
    elif how in ("active hand-off", "open dispute"):
        conversation = Conversation(
            channel=Channel.SMS,
            address=holder.phone_e164,
            cardholder_id=holder.id,
            state=ConversationState.HUMAN,
        )
        session.add(conversation)
        session.flush()
        reason = EscalationReason.DISPUTE if how == "open dispute" else EscalationReason.HARDSHIP
        session.add(
            Escalation(conversation_id=conversation.id, reason=reason, priority=1, summary="-")
        )
    elif how == "disputed amount":
        account.disputed_amount_minor = 1000
    elif how == "plan in good standing":
        session.add(
            InstalmentPlan(
                account_id=account.id,
                currency=account.currency,
                principal_minor=account.overdue_amount_minor,
                months=3,
                monthly_fee_rate=0.006,
                instalments_minor=[1, 1, 1],
                total_fee_minor=0,
                apr_percent=0,
                first_due_date=AS_OF,
                created_by="test",
            )
        )
    elif how == "promise not yet due":
        from bot.promises.models import PromiseToPay

        session.add(
            PromiseToPay(
                account_id=account.id,
                amount_minor=100,
                currency=account.currency,
                promised_date=AS_OF + timedelta(days=5),
                created_by="test",
            )
        )
    elif how == "paid":
        account.overdue_amount_minor = 0
    elif how in ("charged off", "closed"):
        setattr(account, how.replace(" ", "_"), True)
    elif how in ("deceased", "bankruptcy"):
        setattr(holder, how, True)


@pytest.mark.parametrize(
    ("how", "reason"),
    [
        ("opted out", "recipient opted out"),
        ("wrong party", "wrong party"),
        ("active hand-off", "active hand-off"),
        ("open dispute", "active hand-off"),  # a dispute is a hand-off too; either stops it
        ("disputed amount", "open dispute"),
        ("plan in good standing", "instalment plan in good standing"),
        ("promise not yet due", "promise to pay not yet due"),
        ("paid", "balance paid"),
        ("charged off", "charged off"),
        ("closed", "account closed"),
        ("deceased", "deceased"),
        ("bankruptcy", "bankruptcy"),
    ],
)
def test_a_suppressed_account_gets_a_recorded_block_and_no_message(
    sessions, settings, demo_portfolio, how, reason
):
    account = _m1_account(sessions)
    with sessions.begin() as session:
        _suppress(session, session.get(CardAccount, account.id), how)
    run(sessions, settings, MORNING_SHANGHAI)
    with sessions() as session:
        reminder = session.scalars(select(Reminder).where(Reminder.account_id == account.id)).one()
        decision = session.scalars(
            select(ContactDecision).where(ContactDecision.reminder_id == reminder.id)
        ).one()
    assert (reminder.outcome, reminder.message_id) == ("block", None)
    assert decision.outcome == "block"
    assert reason in decision.reason


def test_a_reminder_planned_at_night_is_deferred_and_goes_at_the_window_opening(
    sessions, settings, demo_portfolio, gate
):
    night = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)  # 23:00 in Shanghai
    run(sessions, settings, night)
    account = _m1_account(sessions)
    with sessions() as session:
        reminder = session.scalars(select(Reminder).where(Reminder.account_id == account.id)).one()
        message = session.get(Message, reminder.message_id)
    opening = datetime(2026, 11, 21, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
    assert reminder.outcome == "defer"
    assert (message.status, message.next_attempt_at) == (MessageStatus.QUEUED, opening)
    assert message.id not in deliver_due(sessions, gate, opening - timedelta(minutes=1))
    assert message.id in deliver_due(sessions, gate, opening)


def test_an_opt_out_after_planning_stops_the_queued_reminder_at_sending(
    sessions, settings, demo_portfolio, gate
):
    run(sessions, settings, MORNING_SHANGHAI)
    account = _m1_account(sessions)
    with sessions.begin() as session:
        reminder = session.scalars(select(Reminder).where(Reminder.account_id == account.id)).one()
        phone = session.get(Cardholder, account.cardholder_id).phone_e164
        withdraw_consent(session, channel=Channel.SMS, address=phone, by="keyword")
    assert reminder.message_id not in deliver_due(sessions, gate, MORNING_SHANGHAI)
    with sessions() as session:
        message = session.get(Message, reminder.message_id)
        decisions = session.scalars(
            select(ContactDecision).where(ContactDecision.message_id == message.id)
        ).all()
    assert message.status == MessageStatus.BLOCKED
    assert [(d.point, d.outcome) for d in decisions] == [("plan", "allow"), ("send", "block")]


def test_the_decision_record_is_append_only(sessions, settings, demo_portfolio):
    run(sessions, settings, MORNING_SHANGHAI)
    for statement in ("UPDATE contact_decisions SET reason = 'x'", "DELETE FROM contact_decisions"):
        with pytest.raises(DatabaseError, match="append-only"), sessions.begin() as session:
            session.execute(text(statement))


def test_a_naive_run_time_is_refused(sessions, settings, demo_portfolio):
    with pytest.raises(ValueError, match="naive"):
        run(sessions, settings, datetime(2026, 11, 20, 9, 0))


def test_a_reminder_goes_on_the_cardholders_open_sms_conversation(
    sessions, settings, demo_portfolio
):
    account = _m1_account(sessions)
    with sessions.begin() as session:
        holder = session.get(Cardholder, account.cardholder_id)
        existing = Conversation(
            channel=Channel.SMS, address=holder.phone_e164, cardholder_id=holder.id
        )
        session.add(existing)
        session.flush()
        existing_id = existing.id
    run(sessions, settings, MORNING_SHANGHAI)
    with sessions() as session:
        reminder = session.scalars(select(Reminder).where(Reminder.account_id == account.id)).one()
        assert session.get(Message, reminder.message_id).conversation_id == existing_id
    assert date(2026, 11, 20) == reminder.slot_date
