"""Handing the conversation to a human collector and pausing the bot; repeated fallbacks too."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ConversationPaused
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.confirmation import PENDING, ask, decide, done, ignore, latest_intent
from actions.runtime import conversation_of, settings, unit_of_work
from bot.conversations.service import last_inbound_text
from bot.handoff.models import EscalationReason
from bot.handoff.service import escalate
from bot.masking import mask_card_numbers
from bot.persistence import utcnow

_REASON_BY_INTENT = {
    "request_human": EscalationReason.ASKED_FOR_HUMAN,
    "hardship": EscalationReason.HARDSHIP,
    "dispute": EscalationReason.DISPUTE,
    "distress": EscalationReason.DISTRESS,
    "nlu_fallback": EscalationReason.REPEATED_FALLBACK,
    "out_of_scope": EscalationReason.REPEATED_FALLBACK,
}
_RESPONSE_BY_REASON = {
    EscalationReason.HARDSHIP: "utter_handoff_hardship",
    EscalationReason.DISPUTE: "utter_handoff_dispute",
    EscalationReason.DISTRESS: "utter_handoff_distress",
    EscalationReason.REPEATED_FALLBACK: "utter_handoff_fallback",
}
_FALLBACK = "action_fallback"


def _hand_off(
    dispatcher: CollectingDispatcher, tracker: Tracker, reason: EscalationReason
) -> list[dict[str, Any]]:
    config = settings()
    with unit_of_work() as session:
        conversation = conversation_of(session, tracker, for_update=True)
        # The words as the cardholder wrote them (stored masked), not what Rasa was sent: a
        # button's payload or the intent the self-harm floor put in their place.
        stored = last_inbound_text(session, conversation.id)
        latest = mask_card_numbers(stored or str(tracker.latest_message.get("text") or ""))
        locked = conversation.locked
        zone = conversation.cardholder.time_zone if conversation.cardholder else None
        if not locked:
            verified = "verified" if conversation.verified else "not verified"
            escalate(
                session,
                conversation=conversation,
                reason=reason,
                summary=(
                    f"{reason.value.replace('_', ' ')}; identity {verified}; said: {latest[:300]}"
                ),
            )
    when = config.business_hours().when_a_person_answers(
        utcnow(), timedelta(minutes=config.handoff_sla_minutes), zone
    )
    response = (
        "utter_handoff_locked" if locked else _RESPONSE_BY_REASON.get(reason, "utter_handoff")
    )
    dispatcher.utter_message(response=response, when=when)
    return [ConversationPaused()]


class ActionHandOff(Action):
    def name(self) -> str:
        return "action_handoff"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        intent, _ = latest_intent(tracker)
        if intent in ("dispute", "affirm"):
            # A dispute puts money on hold: not on a guess. "affirm" is a yes to our question.
            decision = decide(tracker, "dispute")
            if decision != "act":
                return ask(dispatcher, "dispute") if decision == "ask" else ignore(dispatcher)
            intent = "dispute"
        reason = _REASON_BY_INTENT.get(intent, EscalationReason.ASKED_FOR_HUMAN)
        events = _hand_off(dispatcher, tracker, reason)
        return [*events, *done()] if tracker.get_slot(PENDING) else events


class ActionFallback(Action):
    """Say what the assistant can do; the second fallback in a row goes to a person."""

    def name(self) -> str:
        return _FALLBACK

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        if _previous_turn_fell_back(tracker):
            return _hand_off(dispatcher, tracker, EscalationReason.REPEATED_FALLBACK)
        dispatcher.utter_message(response="utter_default")
        return []


def _previous_turn_fell_back(tracker: Tracker) -> bool:
    """True when the bot's answer to the previous user message was also the fallback."""
    user_turns = 0
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            user_turns += 1
        elif user_turns == 1 and event.get("event") == "action":
            name = event.get("name")
            if name == _FALLBACK:
                return True
            if name not in ("action_listen", None):
                return False
        if user_turns > 1:
            return False
    return False
