"""What people really write, through the real model: no action on a misread, and asking first."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select

from bot.handoff.models import Escalation
from bot.messaging.consent import consent_withdrawn
from tests.contract.conftest import RunningStack, start_stack
from tests.contract.handset import Handset
from tests.contract.test_web_chat import Chat, _pick

pytestmark = pytest.mark.stack

FALLBACK = "Sorry, I didn't quite understand"


def _escalations(stack: RunningStack, conversation_id: str) -> list[Escalation]:
    with stack.sessions() as session:
        return list(
            session.scalars(select(Escalation).where(Escalation.conversation_id == conversation_id))
        )


def test_a_typed_restart_gets_the_ordinary_fallback_not_the_crisis_reply(running_stack):
    person = _pick(running_stack.portfolio, "M1", 3)
    chat = Chat(running_stack, person.phone_e164)
    replies = chat.say("/restart")
    assert any(FALLBACK in reply for reply in replies), replies
    assert not any("emergency" in reply for reply in replies)
    assert _escalations(running_stack, chat.id) == []


@pytest.mark.parametrize(
    "text",
    ["do you do mortgages", "my new card hasnt arrived yet", "whats the exchange rate to euros"],
)
def test_questions_about_something_else_change_nothing(running_stack, text):
    person = _pick(running_stack.portfolio, "M2-M3", 2)
    chat = Chat(running_stack, person.phone_e164)
    replies = chat.say(text)
    assert any(FALLBACK in reply for reply in replies), replies
    assert _escalations(running_stack, chat.id) == []
    assert chat.last["state"] == "bot"


def test_paying_on_payday_is_a_promise_not_a_refusal(running_stack):
    person = _pick(running_stack.portfolio, "M1", 4)
    chat = Chat(running_stack, person.phone_e164)
    chat.say("hi")
    chat.say(person.card_last4)
    chat.say(person.date_of_birth.isoformat())
    assert chat.last["verified"] is True
    replies = chat.say("gonna pay when i get paid on the 28th")
    assert not any("credit bureau" in reply for reply in replies), replies
    assert any("How much can you pay" in reply for reply in replies), replies


@pytest.fixture(scope="module")
def cautious_stack(template_database, artifacts_dir) -> Iterator[RunningStack]:
    """A bank that never acts on the model's reading alone for a consequential change."""
    with start_stack(
        template_database,
        artifacts_dir / "stack-logs-cautious",
        env={"CONSEQUENTIAL_INTENT_CONFIDENCE": "1.0"},
    ) as running:
        yield running


def test_an_opt_out_in_words_is_asked_about_then_the_button_confirms_it(cautious_stack):
    person = _pick(cautious_stack.portfolio, "M1", 6)
    phone = Handset(cautious_stack, person.phone_e164)
    phone.text("hi", expect_replies=2)
    [question] = phone.text("please stop texting me")
    assert "stop sending you messages" in question and "1." in question
    with cautious_stack.sessions() as session:
        assert not consent_withdrawn(session, channel="sms", address=person.phone_e164)
    [confirmation] = phone.text("1")  # the Yes button
    assert "no longer receive messages" in confirmation
    with cautious_stack.sessions() as session:
        assert consent_withdrawn(session, channel="sms", address=person.phone_e164)


def test_a_no_to_the_wrong_number_question_keeps_the_number(cautious_stack):
    person = _pick(cautious_stack.portfolio, "M2-M3", 5)
    chat = Chat(cautious_stack, person.phone_e164)
    chat.say("hi")
    [question] = chat.say("wrong number, i don't know this bank")
    assert "is this not your card account" in question
    replies = chat.say("no")
    assert replies == ["OK, nothing has changed. How can I help?"]
    assert chat.last["state"] == "bot"
    with cautious_stack.sessions() as session:
        assert not consent_withdrawn(session, channel="sms", address=person.phone_e164)
