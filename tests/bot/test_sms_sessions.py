"""A verified SMS conversation ends with its session: whoever writes next verifies again."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.conversations.models import Conversation, ConversationState
from bot.conversations.service import open_sms_conversation
from bot.persistence import utcnow


def _verified_thread(sessions, settings, phone, *, verified_ago, last_seen_ago, state="bot"):
    with sessions.begin() as session:
        conversation = open_sms_conversation(session, phone, settings=settings)
        conversation.verified_at = utcnow() - verified_ago
        conversation.last_seen_at = utcnow() - last_seen_ago
        conversation.state = state
        return conversation.id


def _next_thread(sessions, settings, phone):
    with sessions.begin() as session:
        return open_sms_conversation(session, phone, settings=settings)


@pytest.mark.parametrize(
    ("verified_ago", "last_seen_ago"),
    [
        (timedelta(hours=1), timedelta(minutes=31)),  # idle too long
        (timedelta(hours=13), timedelta(minutes=1)),  # active, but verified too long ago
    ],
)
def test_an_expired_verified_thread_is_closed_and_a_new_one_starts(
    sessions, settings, demo_portfolio, verified_ago, last_seen_ago
):
    phone = demo_portfolio[0].phone_e164
    old = _verified_thread(
        sessions, settings, phone, verified_ago=verified_ago, last_seen_ago=last_seen_ago
    )
    new = _next_thread(sessions, settings, phone)
    assert new.id != old and new.verified_at is None
    with sessions() as session:
        assert session.get(Conversation, old).state == ConversationState.CLOSED


@pytest.mark.parametrize(
    ("state", "verified_ago", "last_seen_ago"),
    [
        ("bot", timedelta(minutes=20), timedelta(minutes=29)),  # still within the session
        ("human", timedelta(hours=13), timedelta(hours=2)),  # a collector has it
    ],
)
def test_a_live_or_collector_held_thread_goes_on(
    sessions, settings, demo_portfolio, state, verified_ago, last_seen_ago
):
    phone = demo_portfolio[0].phone_e164
    old = _verified_thread(
        sessions,
        settings,
        phone,
        verified_ago=verified_ago,
        last_seen_ago=last_seen_ago,
        state=state,
    )
    assert _next_thread(sessions, settings, phone).id == old
