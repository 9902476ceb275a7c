"""Opting out in words ("please stop texting me"): the same effect as the STOP keyword."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.confirmation import ask, decide, done, ignore
from actions.runtime import CONFIRM_PHONE_FIRST, conversation_of, settings, unit_of_work
from bot.messaging.consent import opt_out_confirmation
from bot.messaging.opt_out import opt_out
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
        with unit_of_work() as session:
            conversation = conversation_of(session, tracker)
            # A web chat's address is the number the person gave (and proved they hold), so
            # both stop SMS to it.
            try:
                to_show = opt_out(
                    session,
                    conversation=conversation,
                    by="dialogue",
                    confirmation=opt_out_confirmation(settings()),
                )
            except PossessionNotProven:
                dispatcher.utter_message(text=CONFIRM_PHONE_FIRST)
                return done()
        if to_show is not None:
            dispatcher.utter_message(text=to_show)
        return done()
