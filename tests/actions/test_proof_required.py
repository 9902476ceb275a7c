"""Actions that write or disclose check the database, never the slots they were sent.

Each test calls an action the way a forged or confused call would: slots that say "verified",
values the form never accepted, a web chat that has not proved it holds the phone.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

from actions.account import ActionExplainOverdue
from actions.consent import ActionOptOut
from actions.plan import ActionSubmitPlan
from actions.promise import ActionSubmitPromise
from actions.repayment import ActionPayNow, ActionWrongNumber
from actions.verification import ValidateVerificationForm
from bot.accounts.models import CardAccount
from bot.conversations.models import Conversation
from bot.conversations.service import start_web_conversation
from bot.disclosure import pre_verification_violation
from bot.handoff.models import Escalation
from bot.messaging.models import ContactConsent
from bot.persistence import utcnow
from bot.plans.models import InstalmentPlan
from bot.promises.models import PromiseToPay
from bot.verification.models import IdentityCheck
from tests.actions.trackers import form_tracker


def _tracker(conversation_id, *, slots=None, text="yes", intent="affirm"):
    return Tracker(
        sender_id=conversation_id,
        slots={"verified": True, **(slots or {})},
        latest_message={
            "text": text,
            "intent": {"name": intent, "confidence": 0.97},
            "entities": [],
        },
        events=[],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


def _run(action, tracker, domain):
    dispatcher = CollectingDispatcher()
    events = action.run(dispatcher, tracker, domain)
    if asyncio.iscoroutine(events):
        events = asyncio.run(events)
    return events, dispatcher.messages


def _texts(messages):
    return " ".join(m.get("text") or m.get("response") or "" for m in messages)


def _today(person):
    return utcnow().astimezone(ZoneInfo(person.time_zone)).date()


@pytest.fixture
def unproven_chat(sessions, m2):
    """A web chat for the M2 cardholder's number that never entered the texted code."""
    with sessions.begin() as session:
        conversation, _ = start_web_conversation(session, phone_e164=m2.phone_e164)
        return conversation.id


def _promise(amount, day):
    return {"promise_amount": amount, "promise_date": day, "promise_confirmed": True}


@pytest.mark.parametrize(
    ("amount", "days_ahead", "why"),
    [
        ("50000.00", 365, "more than the overdue amount"),
        ("10.00", 365, "I can note a promise up to"),
        ("0", 1, "more than zero"),
        ("-25.00", 1, "more than zero"),
        ("Infinity", 1, "I don't have an amount"),
        ("NaN", 1, "I don't have an amount"),
        ("12.345", 1, "I don't have an amount"),
        ("ten", 1, "I don't have an amount"),
        ("10.00", -3, "already passed"),
        ("10.00", None, "I don't have a date"),
    ],
)
def test_a_promise_is_checked_again_when_it_is_stored(
    verified_conversation, domain, m2, sessions, amount, days_ahead, why
):
    """The issue's forged call: made-up slots on a verified conversation stored $50,000."""
    day = "not-a-date" if days_ahead is None else (_today(m2) + timedelta(days_ahead)).isoformat()
    events, messages = _run(
        ActionSubmitPromise(), _tracker(verified_conversation, slots=_promise(amount, day)), domain
    )
    assert why in _texts(messages)
    assert "haven't noted a promise" in _texts(messages)
    assert {e["name"]: e["value"] for e in events if e["event"] == "slot"}["promise_amount"] is None
    with sessions() as session:
        assert session.scalars(select(PromiseToPay)).all() == []


def test_a_promise_cannot_cover_the_amount_on_hold_for_a_dispute(
    verified_conversation, domain, m2, sessions
):
    with sessions.begin() as session:
        account = session.scalars(
            select(CardAccount).where(CardAccount.external_id == f"{m2.external_id}-CARD")
        ).one()
        account.disputed_amount_minor = account.overdue_amount_minor // 2
        collectable = account.overdue_amount_minor - account.disputed_amount_minor
    tomorrow = (_today(m2) + timedelta(days=1)).isoformat()
    over = f"{(collectable + 1) / 100:.2f}"
    _, messages = _run(
        ActionSubmitPromise(),
        _tracker(verified_conversation, slots=_promise(over, tomorrow)),
        domain,
    )
    assert "more than the overdue amount" in _texts(messages)
    with sessions() as session:
        assert session.scalars(select(PromiseToPay)).all() == []


def test_a_promise_for_a_conversation_that_is_not_verified_is_not_stored(
    conversation_id, domain, m2, sessions
):
    tomorrow = (_today(m2) + timedelta(days=1)).isoformat()
    _, messages = _run(
        ActionSubmitPromise(),
        _tracker(conversation_id, slots=_promise("10.00", tomorrow)),
        domain,
    )
    assert [m["response"] for m in messages] == ["utter_verify_first"]
    with sessions() as session:
        assert session.scalars(select(PromiseToPay)).all() == []


@pytest.mark.parametrize("months", [7.0, 60.0, "abc", None, float("nan")])
def test_a_plan_outside_the_product_table_is_not_stored(
    verified_conversation, domain, sessions, months
):
    slots = {"plan_months": months, "plan_confirmed": True, "plan_eligible": True}
    _, messages = _run(ActionSubmitPlan(), _tracker(verified_conversation, slots=slots), domain)
    assert "no longer available" in _texts(messages)
    with sessions() as session:
        assert session.scalars(select(InstalmentPlan)).all() == []


def test_a_plan_for_a_conversation_that_is_not_verified_is_not_stored(
    conversation_id, domain, sessions
):
    slots = {"plan_months": 6.0, "plan_confirmed": True, "plan_eligible": True}
    _, messages = _run(ActionSubmitPlan(), _tracker(conversation_id, slots=slots), domain)
    assert [m["response"] for m in messages] == ["utter_verify_first"]
    with sessions() as session:
        assert session.scalars(select(InstalmentPlan)).all() == []


@pytest.mark.parametrize("action", [ActionExplainOverdue(), ActionPayNow()])
def test_amounts_and_links_only_for_a_verified_web_chat_that_proved_the_phone(
    sessions, domain, m2, action
):
    """Verified in the record but never proved it holds the phone: nothing is disclosed."""
    with sessions.begin() as session:
        conversation, _ = start_web_conversation(session, phone_e164=m2.phone_e164)
        conversation.verified_at = utcnow()
        conversation_id = conversation.id
    _, messages = _run(action, _tracker(conversation_id), domain)
    assert pre_verification_violation(_texts(messages)) is None
    assert "http" not in _texts(messages)


@pytest.mark.parametrize("action", [ActionExplainOverdue(), ActionPayNow()])
def test_nothing_is_disclosed_after_the_session_expired(
    verified_conversation, sessions, domain, action, settings
):
    with sessions.begin() as session:
        conversation = session.get(Conversation, verified_conversation)
        idle = timedelta(minutes=settings.session_idle_minutes + 1)
        conversation.created_at = utcnow() - 2 * idle
        conversation.last_seen_at = utcnow() - idle
    _, messages = _run(action, _tracker(verified_conversation), domain)
    assert pre_verification_violation(_texts(messages)) is None
    assert "http" not in _texts(messages)


@pytest.mark.parametrize(
    ("action", "intent"), [(ActionOptOut(), "opt_out"), (ActionWrongNumber(), "wrong_number")]
)
def test_a_web_chat_cannot_opt_out_or_disown_a_number_it_has_not_proved_it_holds(
    unproven_chat, domain, sessions, action, intent
):
    _, messages = _run(
        action, _tracker(unproven_chat, slots={"verified": False}, intent=intent), domain
    )
    assert "code we sent by text message" in _texts(messages)
    with sessions() as session:
        assert session.scalars(select(ContactConsent)).all() == []
        assert session.get(Conversation, unproven_chat).state == "bot"


def test_a_web_chat_that_proved_the_phone_can_opt_the_number_out(
    conversation_id, domain, sessions, m2
):
    _run(ActionOptOut(), _tracker(conversation_id, intent="opt_out"), domain)
    with sessions() as session:
        consent = session.scalars(select(ContactConsent)).one()
    assert (consent.address, consent.withdrawn) == (m2.phone_e164, True)


def test_identity_answers_from_an_unproven_web_chat_are_not_checked_or_counted(
    unproven_chat, domain, m2, sessions
):
    for candidates in ({"card_last4": m2.card_last4}, {"date_of_birth": "1960-01-01"}):
        tracker = form_tracker(
            unproven_chat,
            slots={"card_last4": m2.card_last4},
            candidates=candidates,
            text=next(iter(candidates.values())),
        )
        _, messages = _run(ValidateVerificationForm(), tracker, domain)
        assert "code we sent by text message" in _texts(messages)
    with sessions() as session:
        assert session.get(Conversation, unproven_chat).failed_verification_count == 0
        assert session.scalars(select(IdentityCheck)).all() == []


def test_a_person_locked_out_elsewhere_goes_to_a_collector_at_the_first_answer(
    conversation_id, domain, m2, sessions
):
    with sessions.begin() as session:
        holder_id = session.get(Conversation, conversation_id).cardholder_id
        session.add(IdentityCheck(cardholder_id=holder_id, failed_count=3, locked_at=utcnow()))
    tracker = form_tracker(
        conversation_id, slots={}, candidates={"card_last4": m2.card_last4}, text=m2.card_last4
    )
    events, _ = _run(ValidateVerificationForm(), tracker, domain)
    slots = {e["name"]: e["value"] for e in events if e["event"] == "slot"}
    assert slots["verification_locked"] is True and slots["requested_slot"] is None
    with sessions() as session:
        conversation = session.get(Conversation, conversation_id)
        assert conversation.locked and conversation.state == "human"
        [escalation] = session.scalars(select(Escalation)).all()
    assert escalation.reason == "verification_lockout"
