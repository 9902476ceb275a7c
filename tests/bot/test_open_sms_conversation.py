"""A number has one open SMS conversation, which the gateway and the reminder paths share."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import IntegrityError

from bot.conversations.models import Channel, Conversation, ConversationState
from bot.conversations.service import (
    find_open_sms_conversation,
    open_sms_conversation,
    open_sms_conversation_ids,
)

PHONE = "+447700900123"


def test_two_open_sms_conversations_for_one_number_cannot_both_exist(sessions):
    with pytest.raises(IntegrityError), sessions.begin() as session:
        session.add(Conversation(channel=Channel.SMS, address=PHONE))
        session.add(Conversation(channel=Channel.SMS, address=PHONE))


def test_a_closed_thread_and_web_chats_do_not_count_as_the_open_sms_conversation(sessions):
    with sessions.begin() as session:
        session.add(
            Conversation(channel=Channel.SMS, address=PHONE, state=ConversationState.CLOSED)
        )
        session.add(Conversation(channel=Channel.WEB, address=PHONE))
        session.add(Conversation(channel=Channel.WEB, address=PHONE))
        session.add(Conversation(channel=Channel.SMS, address=PHONE))
    with sessions() as session:
        assert find_open_sms_conversation(session, PHONE) is not None
        assert len(open_sms_conversation_ids(session, [PHONE, "+447700900999"])) == 1


def test_the_gateway_and_the_reminder_paths_find_the_same_conversation(sessions, settings):
    with sessions.begin() as session:
        opened = open_sms_conversation(session, PHONE, settings=settings).id
    with sessions.begin() as session:
        assert open_sms_conversation(session, PHONE, settings=settings).id == opened
        assert open_sms_conversation_ids(session, [PHONE]) == {PHONE: opened}
