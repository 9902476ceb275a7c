"""Promise to pay: amount and date from free text, checked, read back, confirmed, stored."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict

from actions.confirmation import confirmed_yes
from actions.runtime import settings, unit_of_work, verified_account, yes_no_buttons
from bot.money import format_money, to_decimal, to_minor
from bot.persistence import utcnow
from bot.promises.parsing import parse_amount_and_date
from bot.promises.service import (
    PromiseRefused,
    cardholder_today,
    check_promise,
    long_date,
    record_promise,
)

_SLOTS = ("promise_amount", "promise_date", "promise_confirmed")


def _as_minor(value: Any, currency: str) -> int | None:
    """The slot's exact decimal string in minor units; None for anything else."""
    if value is None or isinstance(value, bool):
        return None
    try:
        amount = Decimal(str(value))
        return to_minor(amount, currency) if amount.is_finite() else None
    except (InvalidOperation, ValueError):
        return None


def _as_date(value: Any) -> date | None:
    """The slot's ISO date; None for anything else."""
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return None


class ValidatePromiseForm(FormValidationAction):
    def name(self) -> str:
        return "validate_promise_form"

    def _parsed(self, tracker: Tracker) -> tuple[dict[str, Any], str | None]:
        """Amount and date in the latest message, as slot values; and the currency."""
        text = str(tracker.latest_message.get("text") or "")
        if text.startswith("/"):
            return {}, None  # a button payload carries no amount or date
        with unit_of_work() as session:
            found = verified_account(session, tracker)
            if found is None:
                return {}, None
            conversation, account = found
            assert conversation.cardholder is not None
            parsed = parse_amount_and_date(
                text,
                today=cardholder_today(conversation.cardholder.time_zone, utcnow()),
                locale=conversation.cardholder.locale,
                overdue_minor=account.overdue_amount_minor,
                minimum_minor=account.minimum_due_minor,
                currency=account.currency,
            )
            currency = account.currency
        slots: dict[str, Any] = {}
        if parsed.amount_minor is not None:
            slots["promise_amount"] = str(to_decimal(parsed.amount_minor, currency))
        if parsed.promised_date is not None:
            slots["promise_date"] = parsed.promised_date.isoformat()
        return slots, currency

    async def extract_promise_amount(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        slots, _ = self._parsed(tracker)
        return {"promise_amount": slots["promise_amount"]} if "promise_amount" in slots else {}

    async def extract_promise_date(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        slots, _ = self._parsed(tracker)
        return {"promise_date": slots["promise_date"]} if "promise_date" in slots else {}

    def _check(
        self, tracker: Tracker, dispatcher: CollectingDispatcher, field: str, value: Any
    ) -> bool:
        with unit_of_work() as session:
            found = verified_account(session, tracker)
            if found is None:
                return False
            conversation, account = found
            assert conversation.cardholder is not None
            problems = check_promise(
                account=account,
                amount_minor=_as_minor(value, account.currency) if field == "amount" else None,
                promised_date=_as_date(value) if field == "date" else None,
                today=cardholder_today(conversation.cardholder.time_zone, utcnow()),
                horizon_days=settings().promise_horizon_days,
            )
        for problem in problems:
            dispatcher.utter_message(text=problem.message)
        return not problems

    def validate_promise_amount(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        ok = slot_value is not None and self._check(tracker, dispatcher, "amount", slot_value)
        return {"promise_amount": slot_value if ok else None}

    def validate_promise_date(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        ok = slot_value is not None and self._check(tracker, dispatcher, "date", slot_value)
        return {"promise_date": slot_value if ok else None}

    def validate_promise_confirmed(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        """A "no, 400 not 500" corrects the promise and asks again instead of dropping it."""
        corrected = {
            k for k in tracker.slots_to_validate() if k in ("promise_amount", "promise_date")
        }
        if corrected:
            return {"promise_confirmed": None}
        if slot_value and not confirmed_yes(tracker):
            return {"promise_confirmed": None}  # a doubtful yes: read it back again
        return {"promise_confirmed": slot_value}


class ActionAskPromiseConfirmed(Action):
    """Read the promise back before it is stored."""

    def name(self) -> str:
        return "action_ask_promise_confirmed"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        with unit_of_work() as session:
            found = verified_account(session, tracker)
            currency = found[1].currency if found else "USD"
        amount = _as_minor(tracker.get_slot("promise_amount"), currency)
        day = _as_date(tracker.get_slot("promise_date"))
        if found is None:
            dispatcher.utter_message(response="utter_verify_first")
            return [SlotSet(slot, None) for slot in _SLOTS]
        if amount is None or day is None:
            dispatcher.utter_message(text="Sorry, how much can you pay, and by which day?")
            return [SlotSet(slot, None) for slot in _SLOTS]
        dispatcher.utter_message(
            text=f"So you'll pay {format_money(amount, currency)} by {long_date(day)}. "
            "Is that right?",
            buttons=yes_no_buttons(),
        )
        return []


class ActionSubmitPromise(Action):
    def name(self) -> str:
        return "action_submit_promise"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        reset = [SlotSet(slot, None) for slot in _SLOTS]
        if not tracker.get_slot("promise_confirmed"):
            dispatcher.utter_message(
                text="No problem, I haven't noted anything. You can tell me another amount or "
                "date, or choose another option."
            )
            dispatcher.utter_message(response="utter_offer_options")
            return reset
        with unit_of_work() as session:
            found = verified_account(session, tracker)
            if found is None:
                dispatcher.utter_message(response="utter_verify_first")
                return reset
            conversation, account = found
            assert conversation.cardholder is not None
            # The form checked these, but the slots may have changed since: check them again.
            try:
                promise = record_promise(
                    session,
                    account=account,
                    conversation_id=conversation.id,
                    amount_minor=_as_minor(tracker.get_slot("promise_amount"), account.currency),
                    promised_date=_as_date(tracker.get_slot("promise_date")),
                    today=cardholder_today(conversation.cardholder.time_zone, utcnow()),
                    horizon_days=settings().promise_horizon_days,
                    created_by="bot",
                )
            except PromiseRefused as refused:
                texts = [p.message for p in refused.problems]
                texts.append("I haven't noted a promise. You can tell me an amount and a date.")
            else:
                texts = [
                    "Thank you. I've noted your promise to pay "
                    f"{format_money(promise.amount_minor, promise.currency)} by "
                    f"{long_date(promise.promised_date)}. We'll send you a reminder the day before."
                ]
        for text in texts:
            dispatcher.utter_message(text=text)
        return reset
