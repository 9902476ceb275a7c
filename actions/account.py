"""Telling a verified cardholder what is due."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.runtime import conversation_of, settings, unit_of_work
from bot.accounts.service import explain_account
from bot.persistence import utcnow
from bot.verification.service import verified_now


class ActionExplainOverdue(Action):
    def name(self) -> str:
        return "action_explain_overdue"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        with unit_of_work() as session:
            conversation = conversation_of(session, tracker)
            if (
                not verified_now(conversation, now=utcnow(), settings=settings())
                or conversation.cardholder is None
            ):
                # The slot said verified but the record does not: trust the record.
                return [SlotSet("verified", False)]
            accounts = conversation.cardholder.accounts
            texts = [explain_account(account) for account in accounts]
            # Learn why, once, when something is overdue; otherwise just offer more help.
            ask_reason = conversation.nonpayment_reason is None and any(
                a.overdue_amount_minor > 0 and a.days_past_due > 0 for a in accounts
            )
        for text in texts or ["I can't find a card account for you. A colleague can help."]:
            dispatcher.utter_message(text=text)
        dispatcher.utter_message(
            response="utter_ask_reason" if ask_reason else "utter_anything_else"
        )
        return []
