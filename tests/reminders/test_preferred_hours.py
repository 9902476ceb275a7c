"""Reminder runs and the outbox keep to the cardholder's own stated contact hours."""

from __future__ import annotations

import random
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.accounts.models import CardAccount, Cardholder
from bot.conversations.models import Message, MessageStatus
from bot.policy.models import ContactDecision
from bot.reminders.models import Reminder
from bot.reminders.strategy import Window
from tests.reminders.conftest import deliver_due, run

MORNING_SHANGHAI = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)  # 11:00 in Shanghai
EVENING_SHANGHAI = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)  # 18:00 in Shanghai


def _shanghai_accounts(sessions) -> list[int]:
    """Past-due Shanghai accounts a morning run allows, each of a different cardholder."""
    with sessions() as session:
        return list(
            session.scalars(
                select(CardAccount.id)
                .join(Cardholder)
                .where(
                    CardAccount.days_past_due.between(1, 30),
                    Cardholder.time_zone == "Asia/Shanghai",
                )
                .order_by(CardAccount.id)
            )
        )


def _state(sessions, account_id: int, contact_hours: str | None) -> None:
    with sessions.begin() as session:
        session.get(CardAccount, account_id).cardholder.contact_hours = contact_hours


def _planned(sessions, account_id: int):
    with sessions() as session:
        reminder = session.scalars(select(Reminder).where(Reminder.account_id == account_id)).one()
        decision = session.scalars(
            select(ContactDecision).where(ContactDecision.reminder_id == reminder.id)
        ).one()
        message = session.get(Message, reminder.message_id) if reminder.message_id else None
        return reminder, decision, message


def test_a_run_defers_to_the_preferred_hours_and_blocks_hours_outside_the_window(
    sessions, settings, demo_portfolio
):
    evening, dawn, plain = _shanghai_accounts(sessions)[:3]
    _state(sessions, evening, "18:00-20:00")
    _state(sessions, dawn, "06:00-08:00")
    summary = run(sessions, settings, MORNING_SHANGHAI)
    assert summary.reasons["defer: outside the cardholder's preferred hours (18:00-20:00)"] >= 1

    reminder, decision, message = _planned(sessions, evening)
    assert (reminder.outcome, decision.reason) == (
        "defer",
        "outside the cardholder's preferred hours (18:00-20:00)",
    )
    assert decision.next_allowed_at == EVENING_SHANGHAI
    assert (message.status, message.next_attempt_at) == (MessageStatus.QUEUED, EVENING_SHANGHAI)

    reminder, decision, message = _planned(sessions, dawn)
    assert (reminder.outcome, message) == ("block", None)
    assert decision.reason == (
        "preferred hours 06:00-08:00 fall outside the contact window 09:00-20:00"
    )

    # Same zone and facts, no stated hours: its own decision, not the preference's.
    reminder, decision, message = _planned(sessions, plain)
    assert reminder.outcome == "allow"
    assert message.next_attempt_at == MORNING_SHANGHAI


def test_the_outbox_holds_a_planned_reminder_for_hours_stated_after_planning(
    sessions, settings, demo_portfolio, gate
):
    account = _shanghai_accounts(sessions)[0]
    run(sessions, settings, MORNING_SHANGHAI)
    reminder, _, message = _planned(sessions, account)
    assert reminder.outcome == "allow"
    _state(sessions, account, "18:00-20:00")

    assert message.id not in deliver_due(sessions, gate, MORNING_SHANGHAI)
    with sessions() as session:
        held = session.get(Message, message.id)
        sent_decision = session.scalars(
            select(ContactDecision).where(
                ContactDecision.message_id == message.id, ContactDecision.point == "send"
            )
        ).one()
    assert (held.status, held.next_attempt_at) == (MessageStatus.QUEUED, EVENING_SHANGHAI)
    assert sent_decision.outcome == "defer"
    assert sent_decision.reason == "outside the cardholder's preferred hours (18:00-20:00)"

    assert message.id not in deliver_due(sessions, gate, EVENING_SHANGHAI - timedelta(minutes=1))
    assert message.id in deliver_due(sessions, gate, EVENING_SHANGHAI)


def test_the_outbox_blocks_when_the_stated_hours_miss_the_window(
    sessions, settings, demo_portfolio, gate
):
    account = _shanghai_accounts(sessions)[0]
    run(sessions, settings, MORNING_SHANGHAI)
    _, _, message = _planned(sessions, account)
    _state(sessions, account, "20:00-22:00")
    assert message.id not in deliver_due(sessions, gate, MORNING_SHANGHAI)
    with sessions() as session:
        assert session.get(Message, message.id).status == MessageStatus.BLOCKED
        reasons = session.scalars(
            select(ContactDecision.reason).where(
                ContactDecision.message_id == message.id, ContactDecision.point == "send"
            )
        ).all()
    assert reasons == ["preferred hours 20:00-22:00 fall outside the contact window 09:00-20:00"]


def test_over_days_of_runs_nothing_is_sent_outside_random_stated_hours(
    sessions, settings, demo_portfolio, gate
):
    chooser = random.Random(20261120)
    with sessions.begin() as session:
        holders = session.scalars(select(Cardholder).order_by(Cardholder.id)).all()
        for holder in holders:
            if chooser.random() < 0.6:
                start = chooser.randrange(0, 23 * 60, 15)
                end = chooser.randrange(start + 15, 24 * 60 + 1, 15)
                holder.contact_hours = f"{start // 60:02d}:{start % 60:02d}-" + (
                    "24:00" if end == 24 * 60 else f"{end // 60:02d}:{end % 60:02d}"
                )
        stated = {h.id: (h.contact_hours, h.time_zone) for h in holders}
    at, sent = MORNING_SHANGHAI, []
    for _ in range(36):
        run(sessions, settings, at)
        sent += deliver_due(sessions, gate, at)
        at += timedelta(hours=2)
    assert sent
    with sessions() as session:
        messages = session.scalars(select(Message).where(Message.id.in_(sent))).all()
        reasons = set(session.scalars(select(ContactDecision.reason)))
        for message in messages:
            hours, zone = stated[message.conversation.cardholder_id]
            local = message.sent_at.astimezone(ZoneInfo(zone)).time()
            assert time(9) <= local < time(20), message.id
            if hours is not None:
                window = Window.parse_hours(hours)
                assert window.start <= local < window.end, (hours, zone, message.sent_at)
    assert any(r.startswith("outside the cardholder's preferred hours") for r in reasons)
