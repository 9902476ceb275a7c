"""Promises to pay through the form's validation action, with real trackers."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

from actions.promise import ActionAskPromiseConfirmed, ActionSubmitPromise, ValidatePromiseForm
from bot.money import format_money
from bot.persistence import utcnow
from bot.promises.models import PromiseToPay


def _tracker(
    conversation_id, text, *, intent="promise_to_pay", slots=None, candidates=None, requested=None
):
    events = [
        {"event": "action", "name": "action_listen"},
        {"event": "user", "text": text, "parse_data": {"intent": {"name": intent}}},
        *({"event": "slot", "name": k, "value": v} for k, v in (candidates or {}).items()),
    ]
    return Tracker(
        sender_id=conversation_id,
        slots={
            "verified": True,
            "requested_slot": requested,
            **(slots or {}),
            **(candidates or {}),
        },
        latest_message={"text": text, "intent": {"name": intent}, "entities": []},
        events=events,
        paused=False,
        followup_action=None,
        active_loop={"name": "promise_form"},
        latest_action_name="action_listen",
    )


def _run(action, tracker, domain):
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker, domain))
    return {e["name"]: e["value"] for e in events if e["event"] == "slot"}, dispatcher.messages


def _today(person):
    return utcnow().astimezone(ZoneInfo(person.time_zone)).date()


def test_amount_and_date_come_from_one_message(verified_conversation, domain, m2):
    slots, messages = _run(
        ValidatePromiseForm(), _tracker(verified_conversation, "i can pay half tmrw"), domain
    )
    half = m2.overdue_amount_minor / 2
    assert slots["promise_amount"] == f"{int(half + 0.5) / 100:.2f}"
    assert slots["promise_date"] == (_today(m2) + timedelta(days=1)).isoformat()
    assert messages == []


def test_more_than_is_overdue_is_refused_with_the_limit(verified_conversation, domain, m2):
    too_much = (m2.overdue_amount_minor + 100) / 100
    slots, messages = _run(
        ValidatePromiseForm(), _tracker(verified_conversation, f"{too_much:.2f} tomorrow"), domain
    )
    assert slots["promise_amount"] is None
    assert format_money(m2.overdue_amount_minor, m2.currency) in messages[0]["text"]


def test_a_date_beyond_the_horizon_is_refused(verified_conversation, domain, m2):
    later = _today(m2) + timedelta(days=40)
    text = f"100 on {later.day} {later:%B} {later.year}"
    slots, messages = _run(ValidatePromiseForm(), _tracker(verified_conversation, text), domain)
    assert slots["promise_date"] is None
    assert "instalment plan" in messages[0]["text"]


def test_no_400_not_500_corrects_and_asks_again(verified_conversation, domain, m2):
    tracker = _tracker(
        verified_conversation,
        "no, 4 not 5",
        intent="deny",
        slots={"promise_amount": "5.00", "promise_date": _today(m2).isoformat()},
        candidates={"promise_confirmed": False},
        requested="promise_confirmed",
    )
    slots, _ = _run(ValidatePromiseForm(), tracker, domain)
    assert slots["promise_amount"] == "4.00"
    assert slots["promise_confirmed"] is None


def test_read_back_then_store_exactly(verified_conversation, domain, m2, sessions):
    day = _today(m2) + timedelta(days=5)
    slots = {"promise_amount": "12.34", "promise_date": day.isoformat(), "promise_confirmed": True}
    tracker = _tracker(verified_conversation, "yes", intent="affirm", slots=slots)
    dispatcher = CollectingDispatcher()
    ActionAskPromiseConfirmed().run(dispatcher, tracker, domain)
    assert format_money(1234, m2.currency) in dispatcher.messages[0]["text"]
    assert [b["payload"] for b in dispatcher.messages[0]["buttons"]] == ["/affirm", "/deny"]

    dispatcher = CollectingDispatcher()
    events = ActionSubmitPromise().run(dispatcher, tracker, domain)
    assert {e["name"] for e in events} == {"promise_amount", "promise_date", "promise_confirmed"}
    assert "We'll send you a reminder the day before" in dispatcher.messages[0]["text"]
    with sessions() as session:
        promise = session.scalars(select(PromiseToPay)).one()
    assert (promise.amount_minor, promise.promised_date, promise.status) == (1234, day, "pending")
    assert promise.currency == m2.currency


def test_a_declined_read_back_stores_nothing(verified_conversation, domain, sessions):
    slots = {
        "promise_amount": "12.34",
        "promise_date": date.today().isoformat(),
        "promise_confirmed": False,
    }
    dispatcher = CollectingDispatcher()
    ActionSubmitPromise().run(
        dispatcher, _tracker(verified_conversation, "no", intent="deny", slots=slots), domain
    )
    assert dispatcher.messages[-1]["response"] == "utter_offer_options"
    with sessions() as session:
        assert session.scalars(select(PromiseToPay)).all() == []
