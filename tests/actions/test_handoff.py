"""Hand-off: the reason follows what the person said, one escalation, the bot pauses."""

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

from actions.handoff import ActionFallback, ActionHandOff
from bot.conversations.models import Conversation
from bot.handoff.models import Escalation, EscalationReason


def _tracker(conversation_id, intent, text, events=()):
    return Tracker(
        sender_id=conversation_id,
        slots={"verified": False, "verification_locked": False},
        latest_message={"text": text, "intent": {"name": intent, "confidence": 0.97}},
        events=list(events),
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


@pytest.mark.parametrize(
    ("intent", "text", "reason", "response"),
    [
        ("request_human", "agent please", EscalationReason.ASKED_FOR_HUMAN, "utter_handoff"),
        ("hardship", "I lost my job", EscalationReason.HARDSHIP, "utter_handoff_hardship"),
        ("dispute", "that's not my purchase", EscalationReason.DISPUTE, "utter_handoff_dispute"),
        ("distress", "i can't cope", EscalationReason.DISTRESS, "utter_handoff_distress"),
    ],
)
def test_handoff_opens_one_escalation_for_the_reason_and_pauses(
    conversation_id, domain, sessions, intent, text, reason, response
):
    for _ in range(2):
        dispatcher = CollectingDispatcher()
        events = ActionHandOff().run(dispatcher, _tracker(conversation_id, intent, text), domain)
        assert [e["event"] for e in events] == ["pause"]
        [message] = dispatcher.messages
        assert message["response"] == response
        assert message["when"].startswith(("within", "from"))
    with sessions() as session:
        [escalation] = session.scalars(select(Escalation)).all()
        assert escalation.reason == reason
        assert text in escalation.summary and "not verified" in escalation.summary
        assert session.get(Conversation, conversation_id).state == "human"


def test_a_card_number_in_the_last_message_never_reaches_the_summary(
    conversation_id, domain, sessions
):
    text = "agent, my card is 4111 1111 1111 1111"
    ActionHandOff().run(
        CollectingDispatcher(), _tracker(conversation_id, "request_human", text), domain
    )
    with sessions() as session:
        summary = session.scalars(select(Escalation.summary)).one()
    assert "4111 1111" not in summary and "**** 1111" in summary


def _turn(text, *actions):
    return [
        {"event": "user", "text": text},
        *({"event": "action", "name": a} for a in actions),
        {"event": "action", "name": "action_listen"},
    ]


def test_one_fallback_explains_what_the_assistant_can_do(conversation_id, domain, sessions):
    events = [*_turn("hi", "utter_greet"), {"event": "user", "text": "blorp"}]
    dispatcher = CollectingDispatcher()
    assert (
        ActionFallback().run(
            dispatcher, _tracker(conversation_id, "nlu_fallback", "blorp", events), domain
        )
        == []
    )
    assert [m["response"] for m in dispatcher.messages] == ["utter_default"]
    with sessions() as session:
        assert session.scalars(select(Escalation)).all() == []


def test_two_fallbacks_in_a_row_hand_off(conversation_id, domain, sessions):
    events = [*_turn("blorp", "action_fallback"), {"event": "user", "text": "zzz"}]
    dispatcher = CollectingDispatcher()
    result = ActionFallback().run(
        dispatcher, _tracker(conversation_id, "nlu_fallback", "zzz", events), domain
    )
    assert [e["event"] for e in result] == ["pause"]
    assert dispatcher.messages[0]["response"] == "utter_handoff_fallback"
    with sessions() as session:
        assert (
            session.scalars(select(Escalation.reason)).one() == EscalationReason.REPEATED_FALLBACK
        )
