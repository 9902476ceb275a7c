"""Reasons, pay-now links, "already paid" checks and wrong numbers."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.confirmation import PENDING, ask, decide, done, ignore
from actions.runtime import (
    CONFIRM_PHONE_FIRST,
    conversation_of,
    settings,
    unit_of_work,
    verified_account,
)
from bot import audit
from bot.conversations.models import ConversationState
from bot.messaging.opt_out import opt_out
from bot.money import format_money
from bot.payments.links import payment_link
from bot.persistence import utcnow
from bot.promises.parsing import parse_amount_and_date
from bot.promises.service import (
    cardholder_today,
    long_date,
    payments_since,
    record_payment_claim,
)
from bot.verification.possession import PossessionNotProven

REASON_BY_INTENT = {
    "reason_forgot": "forgot",
    "reason_cash_flow": "cash_flow",
    "hardship": "hardship",
    "dispute": "dispute",
    "already_paid": "already_paid",
    "refuse_to_pay": "refuses",
}


def _intent(tracker: Tracker) -> str:
    return str((tracker.latest_message.get("intent") or {}).get("name") or "")


class ActionRecordReason(Action):
    """Record, once per conversation, why the cardholder has not paid."""

    def name(self) -> str:
        return "action_record_reason"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        reason = REASON_BY_INTENT.get(_intent(tracker))
        if reason is None:
            return []
        with unit_of_work() as session:
            conversation = conversation_of(session, tracker, for_update=True)
            if conversation.nonpayment_reason is None:
                conversation.nonpayment_reason = reason
                audit.record(
                    session,
                    actor="bot",
                    action="reason.recorded",
                    conversation_id=conversation.id,
                    cardholder_id=conversation.cardholder_id,
                    reason=reason,
                )
        return []


class ActionPayNow(Action):
    """A signed, expiring link to the bank's payment page; never a card number."""

    def name(self) -> str:
        return "action_pay_now"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        config = settings()
        now = utcnow()
        with unit_of_work() as session:
            found = verified_account(session, tracker)
            if found is None:
                dispatcher.utter_message(response="utter_verify_first")
                return [SlotSet("verified", False)]
            conversation, account = found
            amount = account.collectable_overdue_minor
            link = payment_link(
                base_url=config.payment_page_url,
                secret=config.payment_link_secret.get_secret_value(),
                account_id=account.id,
                amount_minor=amount,
                currency=account.currency,
                now=now,
                ttl=timedelta(minutes=config.payment_link_ttl_minutes),
            )
            audit.record(
                session,
                actor="bot",
                action="payment_link.sent",
                conversation_id=conversation.id,
                cardholder_id=account.cardholder_id,
                amount_minor=amount,
            )
            hours = config.payment_link_ttl_minutes // 60
            text = (
                f"You can pay {format_money(amount, account.currency)} securely here: {link} "
                f"(the link works for {hours} hours)."
            )
        dispatcher.utter_message(text=text)
        return []


class ActionCheckPayment(Action):
    """ "I already paid": thank them if a payment is on record since the due date, else ask."""

    def name(self) -> str:
        return "action_check_payment"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        with unit_of_work() as session:
            found = verified_account(session, tracker)
            if found is None:
                dispatcher.utter_message(response="utter_verify_first")
                return [SlotSet("payment_found", False)]
            _, account = found
            paid = payments_since(session, account=account, since=account.due_date)
            currency = account.currency
        if paid > 0:
            dispatcher.utter_message(
                text=f"Thank you: we have received {format_money(paid, currency)} since the due "
                "date. Our records update within a day, and we won't remind you about it."
            )
            return [SlotSet("payment_found", True)]
        return [SlotSet("payment_found", False)]


class ActionRecordPaymentClaim(Action):
    """Keep the date and amount they gave, and say what happens next."""

    def name(self) -> str:
        return "action_record_payment_claim"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        details = str(tracker.get_slot("payment_claim_details") or "")
        with unit_of_work() as session:
            found = verified_account(session, tracker)
            if found is None:
                dispatcher.utter_message(response="utter_verify_first")
                return [SlotSet("payment_claim_details", None)]
            conversation, account = found
            zone = conversation.cardholder.time_zone if conversation.cardholder else "UTC"
            parsed = parse_amount_and_date(
                details,
                today=cardholder_today(zone, utcnow()),
                locale=conversation.cardholder.locale if conversation.cardholder else "en",
                overdue_minor=account.overdue_amount_minor,
                minimum_minor=account.minimum_due_minor,
                currency=account.currency,
            )
            paid_on = parsed.promised_date
            if paid_on and paid_on > cardholder_today(zone, utcnow()):
                paid_on = None  # a payment can't be in the future; keep the words only
            record_payment_claim(
                session,
                account=account,
                conversation_id=conversation.id,
                amount_minor=parsed.amount_minor,
                paid_on=paid_on,
            )
        when = f" on {long_date(paid_on)}" if paid_on else ""
        dispatcher.utter_message(
            text=f"Thanks, I've noted your payment{when}. Payments can take up to 3 working days "
            "to reach your card account; we'll check and a colleague will contact you if we "
            "can't match it. You won't be reminded about this amount meanwhile."
        )
        return [SlotSet("payment_claim_details", None)]


class ActionWrongNumber(Action):
    """Not the cardholder: disclose nothing, never contact this number again, close politely."""

    def name(self) -> str:
        return "action_wrong_number"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        decision = decide(tracker, "wrong_number")
        if decision != "act":
            return ask(dispatcher, "wrong_number") if decision == "ask" else ignore(dispatcher)
        goodbye = "Sorry to have bothered you. We won't contact this number again."
        with unit_of_work() as session:
            conversation = conversation_of(session, tracker, for_update=True)
            try:
                # The goodbye goes even to a number that had opted out already: it is the last.
                to_show = opt_out(
                    session,
                    conversation=conversation,
                    by="dialogue",
                    confirmation=goodbye,
                    reason="wrong_party",
                    confirm_when_already_out=True,
                )
            except PossessionNotProven:
                dispatcher.utter_message(text=CONFIRM_PHONE_FIRST)
                return done()
            conversation.state = ConversationState.CLOSED
        if to_show is not None:
            dispatcher.utter_message(text=to_show)
        return done()


class ActionKeepAsIs(Action):
    """A no to "should we stop / is this not you / is a charge wrong?": nothing changes."""

    def name(self) -> str:
        return "action_keep_as_is"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        if not tracker.get_slot(PENDING):
            return ignore(dispatcher)
        dispatcher.utter_message(response="utter_nothing_changed")
        return done()
