"""Handing the conversation to a human collector and pausing the bot."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ConversationPaused
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.runtime import conversation_of, settings, unit_of_work
from bot.handoff.models import EscalationReason
from bot.handoff.service import escalate


class ActionHandOff(Action):
    def name(self) -> str:
        return "action_handoff"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        with unit_of_work() as session:
            conversation = conversation_of(session, tracker, for_update=True)
            locked = conversation.locked
            if not locked:
                escalate(
                    session,
                    conversation=conversation,
                    reason=EscalationReason.ASKED_FOR_HUMAN,
                    summary="Asked to speak to a person.",
                )
        hours = settings().handoff_reply_hours
        dispatcher.utter_message(
            response="utter_handoff_locked" if locked else "utter_handoff", hours=hours
        )
        return [ConversationPaused()]
