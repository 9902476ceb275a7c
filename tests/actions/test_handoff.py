"""Asking for a person pauses the bot and opens one escalation."""

from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

from actions.handoff import ActionHandOff
from bot.conversations.models import Conversation
from bot.handoff.models import Escalation, EscalationReason
from tests.actions.trackers import plain_tracker


def test_handoff_opens_one_escalation_and_pauses(conversation_id, domain, sessions):
    for _ in range(2):
        dispatcher = CollectingDispatcher()
        events = ActionHandOff().run(dispatcher, plain_tracker(conversation_id), domain)
        assert [e["event"] for e in events] == ["pause"]
        assert dispatcher.messages[0]["response"] == "utter_handoff"
        assert dispatcher.messages[0]["hours"]
    with sessions() as session:
        escalations = session.scalars(select(Escalation)).all()
        assert [e.reason for e in escalations] == [EscalationReason.ASKED_FOR_HUMAN]
        assert session.get(Conversation, conversation_id).state == "human"
