"""Instalment plans through the actions: eligibility, options, confirmation, the stored plan."""

from __future__ import annotations

import asyncio

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

from actions.plan import (
    ActionAskPlanConfirmed,
    ActionAskPlanMonths,
    ActionSubmitPlan,
    ValidatePlanForm,
)
from bot.conversations.service import start_web_conversation
from bot.money import format_money
from bot.persistence import utcnow
from bot.plans.models import InstalmentPlan
from tests.conftest import first_in_stage


def _tracker(conversation_id, text, *, intent="request_plan", slots=None, entities=()):
    return Tracker(
        sender_id=conversation_id,
        slots={"verified": True, "plan_eligible": None, **(slots or {})},
        latest_message={"text": text, "intent": {"name": intent}, "entities": list(entities)},
        events=[
            {"event": "action", "name": "action_listen"},
            {"event": "user", "text": text, "parse_data": {"intent": {"name": intent}}},
        ],
        paused=False,
        followup_action=None,
        active_loop={"name": "plan_form"},
        latest_action_name="action_listen",
    )


def _validate(tracker, domain):
    dispatcher = CollectingDispatcher()
    events = asyncio.run(ValidatePlanForm().run(dispatcher, tracker, domain))
    return {e["name"]: e["value"] for e in events if e["event"] == "slot"}, dispatcher.messages


def test_options_show_monthly_payment_fee_and_apr(verified_conversation, domain, m2):
    dispatcher = CollectingDispatcher()
    ActionAskPlanMonths().run(
        dispatcher, _tracker(verified_conversation, "instalments pls"), domain
    )
    [message] = dispatcher.messages
    assert format_money(m2.overdue_amount_minor, m2.currency) in message["text"]
    for months in (3, 6, 12, 24):
        assert f"{months} months: " in message["text"]
    assert "APR" in message["text"] and "total fee" in message["text"]
    assert [b["title"] for b in message["buttons"]] == [
        "3 months",
        "6 months",
        "12 months",
        "24 months",
    ]


def test_choosing_by_text_or_button(verified_conversation, domain):
    slots, _ = _validate(
        _tracker(verified_conversation, "the 6 month one", intent="choose_plan"), domain
    )
    assert slots["plan_months"] == 6.0 and slots["plan_eligible"] is True
    payload = '/choose_plan{"plan_months":"12"}'
    slots, _ = _validate(_tracker(verified_conversation, payload, intent="choose_plan"), domain)
    assert slots["plan_months"] == 12.0


def test_a_pre_due_account_cannot_have_a_plan(sessions, settings, demo_portfolio, domain):
    person = first_in_stage(demo_portfolio, "pre-due")
    with sessions.begin() as session:
        conversation, _ = start_web_conversation(session, phone_e164=person.phone_e164)
        conversation.possession_proven_at = conversation.verified_at = utcnow()
        conversation_id = conversation.id
    slots, messages = _validate(_tracker(conversation_id, "can i pay in instalments"), domain)
    assert slots["plan_eligible"] is False
    assert slots["requested_slot"] is None
    assert "aren't available" in messages[0]["text"]


def test_accepting_stores_the_plan_with_its_quote_and_confirms_the_same_numbers(
    verified_conversation, domain, m2, sessions
):
    slots = {"plan_months": 6.0, "plan_confirmed": True, "plan_eligible": True}
    dispatcher = CollectingDispatcher()
    ActionAskPlanConfirmed().run(
        dispatcher, _tracker(verified_conversation, "6", slots=slots), domain
    )
    assert "Reply YES to accept the 6-month plan" in dispatcher.messages[0]["text"]

    dispatcher = CollectingDispatcher()
    ActionSubmitPlan().run(
        dispatcher, _tracker(verified_conversation, "yes", intent="affirm", slots=slots), domain
    )
    confirmation = dispatcher.messages[0]["text"]
    with sessions() as session:
        plan = session.scalars(select(InstalmentPlan)).one()
    assert plan.months == 6 and plan.principal_minor == m2.overdue_amount_minor
    assert sum(plan.instalments_minor) == plan.principal_minor + plan.total_fee_minor
    assert plan.total_fee_minor == round(m2.overdue_amount_minor * 0.006) * 6
    assert format_money(plan.instalments_minor[0], plan.currency) in confirmation
    assert format_money(plan.total_fee_minor, plan.currency) in confirmation
    assert f"APR {plan.apr_percent}%" in confirmation

    # One plan at a time.
    slots, messages = _validate(_tracker(verified_conversation, "another plan"), domain)
    assert slots["plan_eligible"] is False
    assert "already has an instalment plan" in messages[0]["text"]
