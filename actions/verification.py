"""The identity check: last 4 card digits and date of birth, checked against the bank's facts."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict

from actions.runtime import CONFIRM_PHONE_FIRST, conversation_of, settings, unit_of_work
from bot.persistence import utcnow
from bot.verification.parsing import parse_card_last4, parse_date_of_birth
from bot.verification.possession import PossessionNotProven, possession_proven
from bot.verification.service import stop_if_locked, verify_identity

_RESET = {"card_last4": None, "date_of_birth": None}


class ValidateVerificationForm(FormValidationAction):
    def name(self) -> str:
        return "validate_verification_form"

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        if tracker.get_slot("verified") or tracker.get_slot("verification_locked"):
            return []
        return domain_slots

    def validate_card_last4(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        """Accept exactly 4 digits; refuse, and never keep, a full card number.

        A person whose identity check is locked (from any conversation) goes to a collector now.
        """
        with unit_of_work() as session:
            conversation = conversation_of(session, tracker)
            if not possession_proven(conversation):
                dispatcher.utter_message(text=CONFIRM_PHONE_FIRST)
                return {"card_last4": None}
            outcome = stop_if_locked(session, conversation_id=conversation.id, settings=settings())
        if outcome.locked:
            return {**_RESET, "verification_locked": True}
        parsed = parse_card_last4(str(slot_value or ""))
        if parsed.value is not None:
            return {"card_last4": parsed.value}
        if parsed.problem == "full_card_number":
            dispatcher.utter_message(response="utter_full_card_number_refused")
        else:
            dispatcher.utter_message(response="utter_card_last4_invalid")
        return {"card_last4": None}

    def validate_date_of_birth(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        """Read the date, then check both answers at once: a failure never says which was wrong."""
        config = settings()
        with unit_of_work() as session:
            conversation = conversation_of(session, tracker, for_update=True)
            locale = conversation.cardholder.locale if conversation.cardholder else "en"
            parsed = parse_date_of_birth(
                str(slot_value or ""), locale=locale, today=utcnow().date()
            )
            if parsed.value is None:
                dispatcher.utter_message(response="utter_date_of_birth_invalid")
                return {"date_of_birth": None}
            card_last4 = tracker.get_slot("card_last4")
            if card_last4 is None:
                return {"date_of_birth": None}
            try:
                outcome = verify_identity(
                    session,
                    conversation_id=conversation.id,
                    card_last4=card_last4,
                    date_of_birth=parsed.value,
                    settings=config,
                )
            except PossessionNotProven:
                dispatcher.utter_message(text=CONFIRM_PHONE_FIRST)
                return dict(_RESET)
        if outcome.verified:
            return {**_RESET, "verified": True}
        if outcome.locked:
            return {**_RESET, "verification_locked": True}
        dispatcher.utter_message(
            response="utter_verification_failed", attempts_left=outcome.attempts_left
        )
        return dict(_RESET)
