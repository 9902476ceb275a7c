"""Consequential requests act on a keyword, a button or a confident reading, and ask otherwise."""

from __future__ import annotations

from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

from actions.consent import ActionOptOut
from actions.handoff import ActionHandOff
from actions.plan import ValidatePlanForm
from actions.promise import ValidatePromiseForm
from actions.repayment import ActionKeepAsIs, ActionWrongNumber
from bot.conversations.models import Channel, Conversation
from bot.handoff.models import Escalation, EscalationReason
from bot.messaging.models import ContactConsent

SURE, UNSURE = 0.97, 0.55


def _tracker(
    conversation_id: str,
    text: str,
    intent: str,
    confidence: float,
    *,
    pending: str | None = None,
    events: list[dict[str, Any]] | None = None,
    slots: dict[str, Any] | None = None,
    active_loop: dict[str, Any] | None = None,
) -> Tracker:
    return Tracker(
        sender_id=conversation_id,
        slots={"verified": False, "pending_action": pending, **(slots or {})},
        latest_message={"text": text, "intent": {"name": intent, "confidence": confidence}},
        events=events or [{"event": "user", "text": text}],
        paused=False,
        followup_action=None,
        active_loop=active_loop or {},
        latest_action_name="action_listen",
    )


def _asked(pending: str, answer: str) -> list[dict[str, Any]]:
    """The bot asked to confirm `pending`, then the person answered."""
    return [
        {"event": "user", "text": "whatever they said first"},
        {"event": "action", "name": "action_opt_out"},
        {"event": "bot", "text": "Do you want us to stop ...?"},
        {"event": "slot", "name": "pending_action", "value": pending},
        {"event": "action", "name": "action_listen"},
        {"event": "user", "text": answer},
    ]


def _sms_conversation(sessions, phone: str) -> str:
    with sessions.begin() as session:
        conversation = Conversation(channel=Channel.SMS, address=phone)
        session.add(conversation)
        session.flush()
        return conversation.id


def _consents(sessions) -> list[ContactConsent]:
    with sessions() as session:
        return list(session.scalars(select(ContactConsent)))


def test_a_doubtful_opt_out_asks_and_withdraws_nothing(sessions, domain, demo_portfolio):
    conversation_id = _sms_conversation(sessions, demo_portfolio[0].phone_e164)
    dispatcher = CollectingDispatcher()
    events = ActionOptOut().run(
        dispatcher, _tracker(conversation_id, "do you do mortgages", "opt_out", UNSURE), domain
    )
    assert "stop sending you messages" in dispatcher.messages[0]["text"]
    assert [b["payload"] for b in dispatcher.messages[0]["buttons"]] == ["/affirm", "/deny"]
    assert events == [
        {"event": "slot", "timestamp": None, "name": "pending_action", "value": "opt_out"}
    ]
    assert _consents(sessions) == []


def test_yes_to_the_question_opts_out(sessions, domain, demo_portfolio):
    conversation_id = _sms_conversation(sessions, demo_portfolio[0].phone_e164)
    tracker = _tracker(
        conversation_id, "yes", "affirm", SURE, pending="opt_out", events=_asked("opt_out", "yes")
    )
    events = ActionOptOut().run(CollectingDispatcher(), tracker, domain)
    [consent] = _consents(sessions)
    assert consent.withdrawn and events[-1]["value"] is None


def test_a_yes_long_after_the_question_does_not_opt_out(sessions, domain, demo_portfolio):
    conversation_id = _sms_conversation(sessions, demo_portfolio[0].phone_e164)
    later = [
        *_asked("opt_out", "how much do i owe"),
        {"event": "action", "name": "action_explain_overdue"},
        {"event": "user", "text": "yes"},
    ]
    tracker = _tracker(conversation_id, "yes", "affirm", SURE, pending="opt_out", events=later)
    dispatcher = CollectingDispatcher()
    ActionOptOut().run(dispatcher, tracker, domain)
    assert _consents(sessions) == []
    assert dispatcher.messages[0]["response"] == "utter_how_can_i_help"


def test_a_confident_opt_out_in_words_acts_at_once(sessions, domain, demo_portfolio):
    conversation_id = _sms_conversation(sessions, demo_portfolio[0].phone_e164)
    ActionOptOut().run(
        CollectingDispatcher(),
        _tracker(conversation_id, "please stop texting me", "opt_out", SURE),
        domain,
    )
    assert [c.withdrawn for c in _consents(sessions)] == [True]


def test_a_doubtful_wrong_number_asks_and_no_keeps_the_number(sessions, domain, demo_portfolio):
    conversation_id = _sms_conversation(sessions, demo_portfolio[1].phone_e164)
    dispatcher = CollectingDispatcher()
    events = ActionWrongNumber().run(
        dispatcher, _tracker(conversation_id, "who's this", "wrong_number", UNSURE), domain
    )
    assert events[0]["value"] == "wrong_number"
    assert "is this not your card account" in dispatcher.messages[0]["text"]
    dispatcher = CollectingDispatcher()
    tracker = _tracker(
        conversation_id, "no", "deny", SURE, pending="wrong_number", events=_asked("x", "no")
    )
    events = ActionKeepAsIs().run(dispatcher, tracker, domain)
    assert dispatcher.messages[0]["response"] == "utter_nothing_changed"
    assert events[0]["value"] is None
    assert _consents(sessions) == []
    with sessions() as session:
        assert session.get(Conversation, conversation_id).state != "closed"


def test_a_button_choice_is_never_doubted(sessions, domain, demo_portfolio):
    conversation_id = _sms_conversation(sessions, demo_portfolio[1].phone_e164)
    ActionWrongNumber().run(
        CollectingDispatcher(),
        _tracker(conversation_id, "/wrong_number", "wrong_number", 0.0),
        domain,
    )
    [consent] = _consents(sessions)
    assert consent.reason == "wrong_party"


def _escalations(sessions) -> list[Escalation]:
    with sessions() as session:
        return list(session.scalars(select(Escalation)))


def test_a_doubtful_dispute_asks_before_any_hold(sessions, domain, conversation_id):
    dispatcher = CollectingDispatcher()
    events = ActionHandOff().run(
        dispatcher, _tracker(conversation_id, "my card hasnt arrived", "dispute", UNSURE), domain
    )
    assert events[0]["value"] == "dispute"
    assert "charge on your card is wrong" in dispatcher.messages[0]["text"]
    assert _escalations(sessions) == []

    tracker = _tracker(
        conversation_id, "yes", "affirm", SURE, pending="dispute", events=_asked("dispute", "yes")
    )
    events = ActionHandOff().run(CollectingDispatcher(), tracker, domain)
    [escalation] = _escalations(sessions)
    assert escalation.reason == EscalationReason.DISPUTE
    assert any(e["event"] == "pause" for e in events)


@pytest.mark.parametrize(
    ("form", "slot", "text", "confidence", "kept"),
    [
        (ValidatePromiseForm(), "promise_confirmed", "yes", SURE, True),
        (ValidatePromiseForm(), "promise_confirmed", "do you do mortgages", UNSURE, None),
        (ValidatePromiseForm(), "promise_confirmed", "/affirm", 0.0, True),
        (ValidatePlanForm(), "plan_confirmed", "yep", SURE, True),
        (ValidatePlanForm(), "plan_confirmed", "hmm ok i guess maybe", UNSURE, None),
    ],
)
def test_a_read_back_is_accepted_only_on_a_sure_yes(
    verified_conversation, domain, form, slot, text, confidence, kept
):
    tracker = _tracker(verified_conversation, text, "affirm", confidence, slots={slot: True})
    result = getattr(form, f"validate_{slot}")(True, CollectingDispatcher(), tracker, domain)
    assert result[slot] is kept
