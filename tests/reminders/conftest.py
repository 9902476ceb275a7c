"""Helpers for reminder runs against a real (migrated) database."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select

from bot.conversations.models import Message, MessageKind, MessageStatus
from bot.policy.service import SendGate
from bot.reminders.planner import RunSummary, plan_reminders


def run(sessions, settings, at: datetime, **kwargs) -> RunSummary:
    with sessions.begin() as session:
        return plan_reminders(session, at=at, settings=settings, **kwargs)


def deliver_due(sessions, gate: SendGate, now: datetime) -> list[int]:
    """What the outbox does at `now` for due reminders: ask the gate, send or hold; sent ids."""
    sent = []
    with sessions.begin() as session:
        due = session.scalars(
            select(Message)
            .where(
                Message.kind == MessageKind.REMINDER,
                Message.status == MessageStatus.QUEUED,
                Message.next_attempt_at <= now,
            )
            .order_by(Message.id)
        ).all()
        for message in due:
            message.status = MessageStatus.SENDING
            session.flush()
            decision = gate.check_message(session, message, now=now)
            if decision.outcome == "allow":
                message.status = MessageStatus.SENT
                message.sent_at = now
                sent.append(message.id)
            elif decision.outcome == "block":
                message.status = MessageStatus.BLOCKED
            else:
                message.status = MessageStatus.QUEUED
                message.next_attempt_at = decision.next_allowed_at
            session.flush()
    return sent


@pytest.fixture
def gate(settings) -> SendGate:
    return SendGate.from_settings(settings)
