"""Asking before a consequential change that rests on a guess (bot/conversations/understanding.py).

A consequential intent acts at once when it came from a button or keyword, or when the model was
confident enough; otherwise the action asks one short question and remembers what it asked in
`pending_action`. A yes to that very question (the next user message) carries the change out; a
no, or anything else, changes nothing.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.runtime import settings, yes_no_buttons
from bot.conversations.understanding import CERTAIN, may_act_on

PENDING = "pending_action"

QUESTIONS = {
    "opt_out": "Do you want us to stop sending you messages? Reply STOP to confirm, or tell me "
    "what you need.",
    "wrong_number": "Just to check: is this not your card account, and should we stop "
    "contacting this number?",
    "dispute": "Do you mean that a charge on your card is wrong or wasn't made by you?",
}


def latest_intent(tracker: Tracker) -> tuple[str, float]:
    """The intent of the latest user message and the model's confidence in it."""
    intent = tracker.latest_message.get("intent") or {}
    text = str(tracker.latest_message.get("text") or "")
    # A button payload ("/affirm") is what the person chose, not a guess.
    confidence = CERTAIN if text.startswith("/") else float(intent.get("confidence") or 0.0)
    return str(intent.get("name") or ""), confidence


def _asked_just_before(tracker: Tracker, request: str) -> bool:
    """Whether the bot's last turn asked to confirm `request` (and nothing came in between)."""
    if tracker.get_slot(PENDING) != request:
        return False
    seen_user = False
    for event in reversed(tracker.events):
        kind = event.get("event")
        if kind == "user":
            if seen_user:
                return False
            seen_user = True
        elif kind == "slot" and event.get("name") == PENDING and seen_user:
            return bool(event.get("value") == request)
    return False


def decide(tracker: Tracker, request: str) -> str:
    """ "act" on `request` now, "ask" about it first, or "ignore" a yes that answered nothing.

    It acts on a button, a keyword, a confident reading, or a sure yes to the question the bot
    asked about this very request in its last turn.
    """
    intent, confidence = latest_intent(tracker)
    threshold = settings().consequential_intent_confidence
    if intent == request:
        return "act" if may_act_on(intent, confidence, threshold=threshold) else "ask"
    if intent == "affirm" and _asked_just_before(tracker, request):
        return "act" if may_act_on(intent, confidence, threshold=threshold) else "ask"
    return "ignore"


def confirmed_yes(tracker: Tracker) -> bool:
    """Whether the latest message is a yes sure enough to record a promise or accept a plan."""
    intent, confidence = latest_intent(tracker)
    return intent == "affirm" and may_act_on(
        intent, confidence, threshold=settings().consequential_intent_confidence
    )


def ask(dispatcher: CollectingDispatcher, request: str) -> list[dict[str, Any]]:
    """Ask one short question instead of acting, and remember what was asked."""
    dispatcher.utter_message(
        text=QUESTIONS[request],
        buttons=yes_no_buttons(),
    )
    return [SlotSet(PENDING, request)]


def ignore(dispatcher: CollectingDispatcher) -> list[dict[str, Any]]:
    """A yes or no that answered no question of ours: change nothing, offer help."""
    dispatcher.utter_message(response="utter_how_can_i_help")
    return done()


def done() -> list[dict[str, Any]]:
    return [SlotSet(PENDING, None)]
