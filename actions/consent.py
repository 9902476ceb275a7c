"""Opting out in words ("please stop texting me"): the same effect as the STOP keyword."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.confirmation import ask, decide, done, ignore
from actions.runtime import CONFIRM_PHONE_FIRST, conversation_of, settings, unit_of_work
from bot.conversations.models import Author, Channel, MessageKind
from bot.messaging.consent import opt_out_confirmation, withdraw_for_conversation
from bot.messaging.outbox import enqueue
from bot.verification.possession import PossessionNotProven


class ActionOptOut(Action):
    def name(self) -> str:
        return "action_opt_out"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        decision = decide(tracker, "opt_out")
        if decision != "act":
            return ask(dispatcher, "opt_out") if decision == "ask" else ignore(dispatcher)
        confirmation = opt_out_confirmation(settings())
        with unit_of_work() as session:
            conversation = conversation_of(session, tracker)
            # A web chat's address is the number the person gave (and proved they hold), so
            # both stop SMS to it.
            try:
                withdrawn = withdraw_for_conversation(
                    session, conversation=conversation, by="dialogue"
                )
            except PossessionNotProven:
                dispatcher.utter_message(text=CONFIRM_PHONE_FIRST)
                return done()
            if withdrawn and conversation.channel == Channel.SMS:
                # Replies are refused from now on; only the one confirmation may go.
                enqueue(
                    session,
                    conversation=conversation,
                    text=confirmation,
                    author=Author.SYSTEM,
                    kind=MessageKind.OPT_OUT_CONFIRMATION,
                )
        if conversation.channel != Channel.SMS:
            dispatcher.utter_message(text=confirmation)
        return done()
