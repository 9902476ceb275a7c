"""Instalment plans: compare options with their exact cost, choose, confirm with YES, store."""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict

from actions.confirmation import confirmed_yes
from actions.runtime import settings, unit_of_work, verified_account, yes_no_buttons
from bot.money import format_money
from bot.persistence import utcnow
from bot.plans.quote import PlanQuote
from bot.plans.service import accept_plan, describe_quote, ineligibility, quotes_for
from bot.promises.service import cardholder_today, long_date

_NUMBER = re.compile(r"\b(\d{1,2})\b")
_REASONS = {
    "stage": "Instalment plans aren't available for this account at its current stage.",
    "risk_tier": "I can't set up an instalment plan here for this account.",
    "amount": "The overdue amount is below the minimum for an instalment plan.",
    "active_plan": "This account already has an instalment plan.",
}


def _quotes(tracker: Tracker) -> tuple[str | None, list[PlanQuote], str]:
    """Why no plan can be offered (or None), the quotes, and the currency."""
    products = settings().plan_products()
    with unit_of_work() as session:
        found = verified_account(session, tracker)
        if found is None:
            return "not_verified", [], "USD"
        _, account = found
        reason = ineligibility(session, account=account, products=products)
        return reason, ([] if reason else quotes_for(account, products)), account.currency


def _months_in(tracker: Tracker, allowed: tuple[int, ...]) -> int | None:
    for entity in tracker.latest_message.get("entities") or []:
        if entity.get("entity") == "plan_months":
            match = _NUMBER.search(str(entity.get("value")))
            if match and int(match.group(1)) in allowed:
                return int(match.group(1))
    text = str(tracker.latest_message.get("text") or "")
    payload = re.search(r'"plan_months"\s*:\s*"?(\d+)', text)
    if payload and int(payload.group(1)) in allowed:
        return int(payload.group(1))
    numbers = [int(n) for n in _NUMBER.findall(text) if int(n) in allowed]
    return numbers[0] if len(numbers) == 1 else None


class ValidatePlanForm(FormValidationAction):
    def name(self) -> str:
        return "validate_plan_form"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = await super().run(dispatcher, tracker, domain)
        # Eligibility is learnt during extraction but is not a form slot, so the SDK would
        # drop it; keep it so the form and the submit action know.
        eligible = tracker.get_slot("plan_eligible")
        if eligible is not None and not any(e.get("name") == "plan_eligible" for e in events):
            events.append(SlotSet("plan_eligible", eligible))
        return events

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        if tracker.get_slot("plan_eligible") is False:
            return []
        return domain_slots

    async def extract_plan_months(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if tracker.get_slot("plan_eligible") is None:
            reason, _, _ = _quotes(tracker)
            if reason is not None:
                dispatcher.utter_message(text=_REASONS.get(reason, _REASONS["risk_tier"]))
                return {"plan_eligible": False}
            eligible: dict[str, Any] = {"plan_eligible": True}
        else:
            eligible = {}
        months = _months_in(tracker, settings().plan_products().terms_months)
        return {**eligible, "plan_months": float(months)} if months else eligible

    def validate_plan_months(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        return {"plan_months": slot_value}

    def validate_plan_confirmed(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        """Naming another term at the confirmation switches to it and asks again."""
        if "plan_months" in tracker.slots_to_validate():
            return {"plan_confirmed": None}
        if slot_value and not confirmed_yes(tracker):
            return {"plan_confirmed": None}  # a doubtful yes: ask again
        return {"plan_confirmed": slot_value}


class ActionAskPlanMonths(Action):
    """Show every option with its monthly payment, total fee and annual rate."""

    def name(self) -> str:
        return "action_ask_plan_months"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        reason, quotes, currency = _quotes(tracker)
        if reason == "not_verified":
            dispatcher.utter_message(response="utter_verify_first")
            return [SlotSet("plan_eligible", None)]
        if not quotes:
            dispatcher.utter_message(text=_REASONS.get(reason or "", _REASONS["risk_tier"]))
            return [SlotSet("plan_eligible", False)]
        lines = "\n".join(describe_quote(q, currency) for q in quotes)
        dispatcher.utter_message(
            text=f"You can spread the overdue amount of "
            f"{format_money(quotes[0].principal_minor, currency)} like this:\n{lines}\n"
            "Which would you like?",
            buttons=[
                {
                    "title": f"{q.months} months",
                    "payload": f'/choose_plan{{"plan_months":"{q.months}"}}',
                }
                for q in quotes
            ],
        )
        return []


def _instalments(instalments: tuple[int, ...] | list[int], currency: str) -> str:
    """The regular instalment, and the last one when rounding made it differ."""
    regular = format_money(instalments[0], currency)
    if instalments[-1] == instalments[0]:
        return regular
    return f"{regular} (the last {format_money(instalments[-1], currency)})"


def _chosen(tracker: Tracker, quotes: list[PlanQuote]) -> PlanQuote | None:
    """The quote for the term in the slot; None unless it is one of the product table's terms."""
    try:
        months = float(tracker.get_slot("plan_months"))
    except (TypeError, ValueError):
        return None
    return next((q for q in quotes if q.months == months), None)


class ActionAskPlanConfirmed(Action):
    def name(self) -> str:
        return "action_ask_plan_confirmed"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        _, quotes, currency = _quotes(tracker)
        quote = _chosen(tracker, quotes)
        if quote is None:
            return [SlotSet("plan_months", None)]
        dispatcher.utter_message(
            text=f"The {quote.months}-month plan: {quote.months} monthly payments of "
            f"{_instalments(quote.instalments_minor, currency)}, "
            f"{format_money(quote.total_repayable_minor, currency)} in all, of which "
            f"{format_money(quote.total_fee_minor, currency)} is the fee (APR "
            f"{quote.apr_percent}%). Reply YES to accept the {quote.months}-month plan.",
            buttons=yes_no_buttons(),
        )
        return []


class ActionSubmitPlan(Action):
    def name(self) -> str:
        return "action_submit_plan"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        reset = [SlotSet(s, None) for s in ("plan_months", "plan_confirmed", "plan_eligible")]
        if tracker.get_slot("plan_eligible") is False:
            dispatcher.utter_message(response="utter_offer_options")
            return reset
        if not tracker.get_slot("plan_confirmed"):
            dispatcher.utter_message(text="No problem, no plan has been set up.")
            dispatcher.utter_message(response="utter_offer_options")
            return reset
        products = settings().plan_products()
        with unit_of_work() as session:
            found = verified_account(session, tracker)
            if found is None:
                dispatcher.utter_message(response="utter_verify_first")
                return reset
            conversation, account = found
            reason = ineligibility(session, account=account, products=products)
            quote = _chosen(tracker, quotes_for(account, products)) if reason is None else None
            if quote is None:
                dispatcher.utter_message(
                    text=_REASONS.get(reason or "", "That plan is no longer available.")
                )
                return reset
            assert conversation.cardholder is not None
            plan = accept_plan(
                session,
                account=account,
                quote=quote,
                conversation_id=conversation.id,
                today=cardholder_today(conversation.cardholder.time_zone, utcnow()),
                created_by="bot",
            )
            text = (
                f"Done: your {plan.months}-month plan is set up. {plan.months} payments of "
                f"{_instalments(plan.instalments_minor, plan.currency)}, "
                f"the first due on {long_date(plan.first_due_date)}; total fee "
                f"{format_money(plan.total_fee_minor, plan.currency)}, APR {plan.apr_percent}%. "
                "We won't send reminders while the plan is kept."
            )
        dispatcher.utter_message(text=text)
        return reset
