"""The set-based run (PostgreSQL) plans exactly what the streamed run plans, row for row."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.accounts.models import CardAccount, Cardholder
from bot.conversations.models import Channel, Conversation, Message, MessageStatus
from bot.messaging.consent import withdraw_consent
from bot.policy.models import ContactDecision
from bot.promises.models import PromiseToPay
from bot.reminders import planner
from bot.reminders.models import Reminder
from bot.reminders.planner import plan_reminders
from tests.conftest import AS_OF
from tests.reminders.conftest import run

MORNING_SHANGHAI = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
SET_BASED = planner.SET_BASED_DIALECTS
PREFERENCES = ("18:00-20:00", "06:00-08:00", "12:00-14:00", "09:00-24:00", "10:30-11:15")


def _look(session, run_id: str, existing: set[str]) -> list[tuple]:
    """Everything the run wrote, per reminder; new conversations by address, not by random id."""
    rows = session.execute(
        select(Reminder, ContactDecision, Message, Conversation)
        .join(ContactDecision, ContactDecision.reminder_id == Reminder.id)
        .outerjoin(Message, Message.id == Reminder.message_id)
        .outerjoin(Conversation, Conversation.id == Message.conversation_id)
        .where(Reminder.run_id == run_id)
    ).all()
    looked = []
    for reminder, decision, message, conversation in rows:
        assert decision.message_id == reminder.message_id
        assert decision.run_id == run_id
        looked.append(
            (
                reminder.account_id,
                reminder.cardholder_id,
                reminder.purpose,
                reminder.slot_date,
                reminder.promise_id,
                reminder.stage,
                reminder.tier,
                reminder.channel,
                reminder.template_id,
                reminder.template_version,
                reminder.may_offer_plans,
                reminder.outcome,
                decision.decided_at,
                decision.point,
                decision.outcome,
                decision.reason,
                decision.next_allowed_at,
                decision.kind,
                decision.channel,
                decision.address,
                decision.cardholder_id,
                decision.account_id,
                decision.template_id,
                decision.template_version,
                decision.profile,
                decision.local_time,
                None
                if message is None
                else (
                    message.direction,
                    message.author,
                    message.channel,
                    message.text,
                    message.kind,
                    message.status,
                    message.next_attempt_at,
                    message.segments,
                    message.attempts,
                    message.sent_at,
                    conversation.id if conversation.id in existing else "new",
                    conversation.channel,
                    conversation.address,
                    conversation.cardholder_id,
                    conversation.state,
                ),
            )
        )
    return sorted(looked, key=repr)


def _plan_and_roll_back(sessions, settings, at, monkeypatch, *, set_based: bool):
    monkeypatch.setattr(planner, "SET_BASED_DIALECTS", SET_BASED if set_based else frozenset())
    with sessions() as session:
        existing = set(session.scalars(select(Conversation.id)))
        summary = plan_reminders(session, at=at, settings=settings, batch_size=7)
        written = _look(session, summary.run_id, existing)
        conversations = len(set(session.scalars(select(Conversation.id))) - existing)
        session.rollback()
    counts = (summary.planned, summary.allowed, summary.deferred, summary.blocked)
    return counts, dict(summary.reasons), written, conversations


def _same_plan_both_ways(sessions, settings, at, monkeypatch):
    streamed = _plan_and_roll_back(sessions, settings, at, monkeypatch, set_based=False)
    set_based = _plan_and_roll_back(sessions, settings, at, monkeypatch, set_based=True)
    assert set_based == streamed
    return streamed


def _sent(sessions, at):
    """The outbox sent every queued reminder at `at`."""
    with sessions.begin() as session:
        for message in session.scalars(select(Message).where(Message.status == "queued")):
            message.status, message.sent_at = MessageStatus.SENT, at


@pytest.fixture
def postgresql_only(engine):
    if engine.dialect.name not in SET_BASED:
        pytest.skip("the set-based run is for PostgreSQL (TEST_DATABASE_URL)")


def test_both_ways_plan_the_same_rows_over_days_with_recent_sends_promises_and_suppressions(
    sessions, settings, demo_portfolio, monkeypatch, postgresql_only
):
    with sessions.begin() as session:
        accounts = session.scalars(
            select(CardAccount)
            .join(Cardholder)
            .where(CardAccount.days_past_due.between(1, 60))
            .order_by(CardAccount.id)
        ).all()
        promised, suppressed, with_chat = accounts[0], accounts[1], accounts[2]
        for promised_date in (AS_OF + timedelta(days=1), AS_OF + timedelta(days=3)):
            for _ in range(2):  # two promises for one day make one follow-up
                session.add(
                    PromiseToPay(
                        account_id=promised.id,
                        amount_minor=10_000,
                        currency=promised.currency,
                        promised_date=promised_date,
                        created_by="test",
                    )
                )
        withdraw_consent(
            session,
            channel=Channel.SMS,
            address=suppressed.cardholder.phone_e164,
            by="keyword",
        )
        holder = with_chat.cardholder
        session.add(
            Conversation(channel=Channel.SMS, address=holder.phone_e164, cardholder_id=holder.id)
        )
        # Stated contact hours on every other remaining cardholder: inside, across and outside
        # the window, so accounts sharing a zone and facts differ only in their preference.
        for i, account in enumerate(accounts[3::2]):
            account.cardholder.contact_hours = PREFERENCES[i % len(PREFERENCES)]
    reasons: set[str] = set()
    at = MORNING_SHANGHAI
    for _ in range(4):
        counts, summary_reasons, written, _ = _same_plan_both_ways(
            sessions, settings, at, monkeypatch
        )
        assert counts[0] == len(written)
        reasons.update(summary_reasons)
        run(sessions, settings, at)
        _sent(sessions, at)
        at += timedelta(days=1, hours=6)
    # The comparison covered every kind of answer, and accounts with sends of their own.
    assert {r.split(":")[0] for r in reasons} == {"allow", "defer", "block"}
    assert any("cap" in r for r in reasons)
    assert any("outside the cardholder's preferred hours" in r for r in reasons)
    assert any("preferred hours 06:00-08:00 fall outside" in r for r in reasons)


def test_both_ways_agree_on_a_second_run_the_same_day_and_on_a_dry_run(
    sessions, settings, demo_portfolio, monkeypatch, postgresql_only
):
    first = _same_plan_both_ways(sessions, settings, MORNING_SHANGHAI, monkeypatch)
    assert first[0][0] > 0 and first[3] > 0
    run(sessions, settings, MORNING_SHANGHAI)
    again = _same_plan_both_ways(sessions, settings, MORNING_SHANGHAI, monkeypatch)
    assert again == ((0, 0, 0, 0), {}, [], 0)


def test_two_promises_for_the_same_day_make_one_follow_up_about_the_first(
    sessions, settings, demo_portfolio
):
    with sessions.begin() as session:
        account = session.scalars(
            select(CardAccount)
            .join(Cardholder)
            .where(CardAccount.days_past_due > 0, Cardholder.time_zone == "Asia/Shanghai")
            .order_by(CardAccount.id)
        ).first()
        promises = [
            PromiseToPay(
                account_id=account.id,
                amount_minor=amount,
                currency=account.currency,
                promised_date=AS_OF + timedelta(days=1),
                created_by="test",
            )
            for amount in (5_000, 6_000)
        ]
        session.add_all(promises)
        session.flush()
        first_id = min(p.id for p in promises)
    run(sessions, settings, MORNING_SHANGHAI)
    with sessions() as session:
        followups = session.scalars(
            select(Reminder).where(Reminder.account_id == account.id, Reminder.purpose == "promise")
        ).all()
    assert [r.promise_id for r in followups] == [first_id]


def test_progress_is_reported_up_to_every_planned_account(sessions, settings, demo_portfolio):
    seen: list[int] = []
    summary = run(
        sessions,
        settings,
        MORNING_SHANGHAI,
        progress=lambda planned, seconds: seen.append(planned),
        batch_size=3,
    )
    assert seen and seen == sorted(seen)
    assert seen[-1] == summary.planned > 0
