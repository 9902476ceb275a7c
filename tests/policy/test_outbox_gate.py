"""The outbox asks the send gate before every SMS: a deferred reminder stays queued, not dropped."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.conversations.models import Message, MessageStatus
from bot.messaging.outbox import OutboxDispatcher
from bot.messaging.transports import SimulatorTransport
from bot.persistence import utcnow
from bot.policy.models import ContactDecision
from bot.policy.service import SendGate
from tests.reminders.conftest import run


def test_a_reminder_the_gate_defers_at_sending_stays_queued_for_its_next_allowed_time(
    sessions, settings, demo_portfolio
):
    run(sessions, settings, utcnow() - timedelta(days=400))  # planned long ago, due now
    gate = SendGate.from_settings(settings)
    # Every zone's today and tomorrow are holidays now: nothing may go before the day after.
    days = {
        utcnow().astimezone(ZoneInfo(z)).date() for z in ("Asia/Shanghai", "America/Los_Angeles")
    }
    days |= {d + timedelta(days=1) for d in days}
    gate.policy = replace(gate.policy, holidays=frozenset(days))
    with sessions.begin() as session:
        for message in session.scalars(select(Message)):
            message.next_attempt_at = utcnow() - timedelta(minutes=1)
    dispatcher = OutboxDispatcher(
        sessions,
        SimulatorTransport(),
        rate_per_second=1000,
        status_callback_url=None,
        send_gate=gate,
    )
    asyncio.run(dispatcher.dispatch_due(limit=500))
    with sessions() as session:
        messages = session.scalars(select(Message)).all()
        decisions = session.scalars(
            select(ContactDecision).where(ContactDecision.point == "send")
        ).all()
    assert messages
    assert {m.status for m in messages} == {MessageStatus.QUEUED}
    assert all(m.next_attempt_at > utcnow() + timedelta(hours=12) for m in messages)
    assert all(m.attempts == 0 for m in messages)
    assert len(decisions) == len(messages)
    assert {d.outcome for d in decisions} == {"defer"}
    assert all(d.reason.startswith("holiday") and d.next_allowed_at for d in decisions)
