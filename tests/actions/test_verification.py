"""The verification form's validation action, with real rasa-sdk trackers and dispatchers."""

import asyncio

from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

from actions.verification import ValidateVerificationForm
from bot.conversations.models import Conversation
from tests.actions.trackers import form_tracker


def _run(action, tracker, domain):
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker, domain))
    return {e["name"]: e["value"] for e in events if e["event"] == "slot"}, dispatcher.messages


def _answer(conversation_id, domain, *, last4, born_text):
    tracker = form_tracker(
        conversation_id,
        slots={"card_last4": last4},
        candidates={"date_of_birth": born_text},
        text=born_text,
    )
    return _run(ValidateVerificationForm(), tracker, domain)


def test_card_digits_are_kept_when_they_are_four_digits(conversation_id, domain):
    tracker = form_tracker(
        conversation_id, slots={}, candidates={"card_last4": "it's 4821"}, text="it's 4821"
    )
    slots, messages = _run(ValidateVerificationForm(), tracker, domain)
    assert slots["card_last4"] == "4821"
    assert messages == []


def test_a_full_card_number_is_refused_and_not_kept(conversation_id, domain):
    text = "4111 1111 1111 1111"
    tracker = form_tracker(conversation_id, slots={}, candidates={"card_last4": text}, text=text)
    slots, messages = _run(ValidateVerificationForm(), tracker, domain)
    assert slots["card_last4"] is None
    assert [m["response"] for m in messages] == ["utter_full_card_number_refused"]


def test_right_answers_verify_and_clear_the_answers(conversation_id, domain, m2, sessions):
    slots, messages = _answer(
        conversation_id,
        domain,
        last4=m2.card_last4,
        born_text=m2.date_of_birth.strftime("%d %B %Y"),
    )
    assert slots == {
        "card_last4": None,
        "date_of_birth": None,
        "verified": True,
        "requested_slot": None,
    }
    assert messages == []
    with sessions() as session:
        assert session.get(Conversation, conversation_id).verified_at is not None


def test_a_wrong_answer_says_how_many_attempts_are_left(conversation_id, domain, m2):
    slots, messages = _answer(conversation_id, domain, last4=m2.card_last4, born_text="1960-01-01")
    assert slots == {"card_last4": None, "date_of_birth": None}
    assert messages[0]["response"] == "utter_verification_failed"
    assert messages[0]["attempts_left"] == 2


def test_an_unreadable_date_is_asked_again_without_counting_an_attempt(
    conversation_id, domain, m2, sessions
):
    slots, messages = _answer(
        conversation_id, domain, last4=m2.card_last4, born_text="last tuesday-ish"
    )
    assert slots == {"date_of_birth": None}
    assert messages[0]["response"] == "utter_date_of_birth_invalid"
    with sessions() as session:
        assert session.get(Conversation, conversation_id).failed_verification_count == 0


def test_the_third_wrong_answer_locks(conversation_id, domain, m2, sessions):
    for day in ("1960-01-01", "1960-01-02"):
        _answer(conversation_id, domain, last4=m2.card_last4, born_text=day)
    slots, messages = _answer(conversation_id, domain, last4=m2.card_last4, born_text="1960-01-03")
    assert slots["verification_locked"] is True
    assert slots["requested_slot"] is None
    assert messages == []
    with sessions() as session:
        conversation = session.scalars(select(Conversation)).one()
        assert conversation.locked and conversation.state == "human"
