"""Between the processes, through the real stack: only the api drives a turn, only Rasa runs an
action, and failed identity checks count per cardholder whichever way they arrive.

The issue's attacks, replayed: a forged turn to Rasa's REST channel for a verified conversation,
forged action calls, and three web chats guessing for one number before a fourth gets in.
"""

from __future__ import annotations

from datetime import date

import httpx
import pytest
from sqlalchemy import select

from bot.conversations.models import Conversation
from bot.conversations.service import start_web_conversation
from bot.disclosure import pre_verification_violation
from bot.handoff.models import Escalation
from bot.money import format_money
from bot.persistence import utcnow
from bot.rasa_client import CHANNEL_TOKEN_HEADER, CHANNEL_WEBHOOK
from tests.actions.trackers import action_call
from tests.contract.handset import Handset
from tests.contract.test_web_chat import Chat

pytestmark = pytest.mark.stack


@pytest.fixture
def verified_id(running_stack):
    """A verified web chat's id, as an attacker who read it somewhere would know it."""
    person = [d for d in running_stack.portfolio if d.stage == "M2-M3"][2]
    with running_stack.sessions.begin() as session:
        conversation, _ = start_web_conversation(session, phone_e164=person.phone_e164)
        conversation.possession_proven_at = conversation.verified_at = utcnow()
        return conversation.id, person


def _discloses(person, text):
    return format_money(person.overdue_amount_minor, person.currency) in text or "/pay?" in text


def test_rasas_rest_channel_is_not_served(running_stack, verified_id):
    conversation_id, person = verified_id
    for message in ("/pay_now", "how much do i owe"):
        response = httpx.post(
            f"{running_stack.stack.rasa_url}/webhooks/rest/webhook",
            json={"sender": conversation_id, "message": message},
        )
        assert response.status_code == 404
        assert not _discloses(person, response.text)


@pytest.mark.parametrize("headers", [{}, {CHANNEL_TOKEN_HEADER: "guessed"}])
def test_the_gateway_channel_refuses_a_turn_without_the_apis_secret(
    running_stack, verified_id, headers
):
    conversation_id, person = verified_id
    for message in ("/pay_now", "/ask_amount_due", "how much do i owe"):
        response = httpx.post(
            running_stack.stack.rasa_url + CHANNEL_WEBHOOK,
            json={"sender": conversation_id, "message": message},
            headers=headers,
            timeout=30,
        )
        assert response.status_code == 401
        assert not _discloses(person, response.text)


def test_with_the_secret_the_gateway_answers(running_stack):
    """The same request as the api's (the refusal above is the secret, not a dead endpoint)."""
    person = [d for d in running_stack.portfolio if d.stage == "pre-due"][1]
    with running_stack.sessions.begin() as session:
        conversation, _ = start_web_conversation(session, phone_e164=person.phone_e164)
        conversation.possession_proven_at = utcnow()
        conversation_id = conversation.id
    response = httpx.post(
        running_stack.stack.rasa_url + CHANNEL_WEBHOOK,
        json={"sender": conversation_id, "message": "hi"},
        headers={CHANNEL_TOKEN_HEADER: running_stack.stack.secrets.rasa_channel},
        timeout=60,
    )
    assert response.status_code == 200
    assert "last 4 digits" in " ".join(m.get("text", "") for m in response.json())


@pytest.mark.parametrize(
    ("headers", "params"),
    [({}, {}), ({}, {"token": "guessed"}), ({"Authorization": "Bearer guessed"}, {})],
)
def test_the_action_server_refuses_calls_that_are_not_rasas(
    running_stack, verified_id, headers, params
):
    conversation_id, person = verified_id
    for action in ("action_explain_overdue", "action_pay_now"):
        response = httpx.post(
            running_stack.stack.actions_url + "/webhook",
            json=action_call(action, conversation_id),
            headers=headers,
            params=params,
        )
        assert response.status_code == 401
        assert not _discloses(person, response.text)


def test_rasas_http_api_needs_its_token(running_stack, verified_id):
    conversation_id, _ = verified_id
    url = f"{running_stack.stack.rasa_url}/conversations/{conversation_id}/tracker"
    assert httpx.get(url).status_code == 401
    assert httpx.get(url, params={"token": "dev-only-change-me"}).status_code == 401


def test_failures_count_per_cardholder_across_web_chats_and_sms(running_stack):
    """The issue: three chats with three guesses each, then a fourth chat got the amount."""
    person = [d for d in running_stack.portfolio if d.stage == "M1"][3]
    wrong = [date(1961, 1, 1), date(1962, 2, 2), date(1963, 3, 3)]
    replies = []
    for born in wrong[:2]:
        chat = Chat(running_stack, person.phone_e164)
        chat.say("hi")
        chat.say(person.card_last4)
        replies += chat.say(born.isoformat())
    assert "2 more attempt" in replies[0] and "1 more attempt" in replies[-2]

    phone = Handset(running_stack, person.phone_e164)
    phone.text("hi", expect_replies=2)
    phone.text(person.card_last4)
    locked = phone.text(wrong[2].isoformat())
    assert "colleague" in locked[-1]

    fourth = Chat(running_stack, person.phone_e164)
    fourth.say("hi")
    answer = fourth.say(person.card_last4)
    answer += fourth.say(person.date_of_birth.isoformat())
    assert fourth.last["verified"] is False
    assert fourth.last["state"] == "human"
    for reply in [*replies, *locked, *answer]:
        assert pre_verification_violation(reply) is None
        assert not _discloses(person, reply)
    with running_stack.sessions() as session:
        conversation = session.get(Conversation, fourth.id)
        assert conversation.verified_at is None and conversation.locked
        reasons = session.scalars(
            select(Escalation.reason).where(Escalation.conversation_id == fourth.id)
        ).all()
    assert reasons == ["verification_lockout"]
