"""A web chat proves it holds the phone before anything, and its token does not live forever.

The issue: a web chat opened for any number typed, with no proof the person holds that phone,
and verified chats and their tokens never expired.
"""

from __future__ import annotations

import asyncio
from contextlib import contextmanager
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text

from api.main import create_app
from bot.conversations.models import Channel, Conversation, Message, MessageKind
from bot.messaging.consent import withdraw_consent
from bot.messaging.outbox import OutboxDispatcher
from bot.messaging.transports import SimulatorTransport
from bot.persistence import utcnow
from bot.policy.service import SendGate
from bot.rasa_client import RasaClient
from bot.verification.models import PossessionCode
from tests.fakes import json_server
from tests.webchat import enter_code, open_chat, start_chat, texted_codes

STRANGER = "+19995550123"


@pytest.fixture
def rasa():
    def answer(path, body):
        return 200, [{"recipient_id": body["sender"], "text": "Hi! I'm the virtual assistant."}]

    with json_server(answer) as (url, received):
        yield url, received


@contextmanager
def _client(settings, sessions, rasa_url):
    app = create_app(settings, sessions=sessions, rasa=RasaClient(rasa_url, "t", timeout=5))
    with TestClient(app) as client:
        yield client


@pytest.fixture
def client(settings, sessions, rasa):
    with _client(settings, sessions, rasa[0]) as client:
        yield client


def _say(client, conversation_id, auth, words="hi"):
    return client.post(
        f"/api/chat/conversations/{conversation_id}/messages", json={"text": words}, headers=auth
    )


def _wrong(code):
    return f"{(int(code) + 1) % 1_000_000:06d}"


def test_nothing_reaches_the_bot_before_the_code_is_entered(client, sessions, rasa, demo_portfolio):
    phone = demo_portfolio[0].phone_e164
    conversation_id, auth = start_chat(client, phone)
    refused = _say(client, conversation_id, auth)
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "possession_required"
    assert rasa[1] == []
    with sessions() as session:
        assert (
            session.scalars(select(Message).filter_by(conversation_id=conversation_id)).all() == []
        )

    assert enter_code(client, conversation_id, auth, texted_codes(sessions, phone)[-1]).json() == {
        "possession_proven": True
    }
    assert _say(client, conversation_id, auth).status_code == 200
    assert [body["message"] for _, body in rasa[1]] == ["hi"]


def test_the_code_is_texted_to_the_number_and_kept_only_as_a_hash(client, sessions, demo_portfolio):
    phone = demo_portfolio[0].phone_e164
    started = client.post("/api/chat/conversations", json={"phone": phone}).json()
    assert started["possession_required"] is True
    with sessions() as session:
        [sms] = session.scalars(
            select(Message)
            .join(Conversation)
            .where(Conversation.channel == Channel.SMS, Conversation.address == phone)
        ).all()
        [stored] = session.scalars(select(PossessionCode)).all()
        row = session.execute(text("SELECT * FROM possession_codes")).one()
    [code] = texted_codes(sessions, phone)
    assert sms.kind == MessageKind.ONE_TIME_CODE
    assert "Never share it" in sms.text and "$" not in sms.text
    assert stored.message_id == sms.id
    assert code not in " ".join(str(value) for value in row)


def test_an_unknown_number_gets_the_same_answers_and_no_text(client, sessions, demo_portfolio):
    """Nothing tells a stranger whether the number they typed is a customer's."""

    def journey(phone):
        started = client.post("/api/chat/conversations", json={"phone": phone})
        body = started.json()
        auth = {"Authorization": f"Bearer {body['token']}"}
        guesses = [
            enter_code(client, body["conversation_id"], auth, "123456").json()["error"]
            for _ in range(6)
        ]
        resend = client.post(
            f"/api/chat/conversations/{body['conversation_id']}/code", headers=auth
        )
        return (
            started.status_code,
            sorted(body),
            body["possession_required"],
            [(g["code"], g.get("attempts_left")) for g in guesses],
            resend.status_code,
        )

    customer = demo_portfolio[1].phone_e164
    assert journey(STRANGER) == journey(customer)
    assert texted_codes(sessions, STRANGER) == []
    with sessions() as session:
        assert session.scalars(select(Conversation).filter_by(channel=Channel.SMS)).all() != []
        assert (
            session.scalars(
                select(Conversation).filter_by(channel=Channel.SMS, address=STRANGER)
            ).all()
            == []
        )


def test_a_few_wrong_codes_use_the_code_up(client, sessions, demo_portfolio, settings):
    phone = demo_portfolio[0].phone_e164
    conversation_id, auth = start_chat(client, phone)
    code = texted_codes(sessions, phone)[-1]
    answers = [
        enter_code(client, conversation_id, auth, _wrong(code)).json()["error"]
        for _ in range(settings.possession_code_max_attempts)
    ]
    assert [a.get("attempts_left") for a in answers[:-1]] == list(
        range(settings.possession_code_max_attempts - 1, 0, -1)
    )
    # The right code no longer works; a new one does.
    late = enter_code(client, conversation_id, auth, code)
    assert late.status_code == 422 and late.json()["error"]["code"] == "code_expired"
    assert (
        client.post(f"/api/chat/conversations/{conversation_id}/code", headers=auth).status_code
        == 202
    )
    fresh = texted_codes(sessions, phone)[-1]
    assert enter_code(client, conversation_id, auth, fresh).status_code == 200


def test_a_code_expires(client, sessions, demo_portfolio):
    phone = demo_portfolio[0].phone_e164
    conversation_id, auth = start_chat(client, phone)
    with sessions.begin() as session:
        for issued in session.scalars(select(PossessionCode)):
            issued.expires_at = utcnow() - timedelta(seconds=1)
    response = enter_code(client, conversation_id, auth, texted_codes(sessions, phone)[-1])
    assert response.status_code == 422 and response.json()["error"]["code"] == "code_expired"


@pytest.mark.parametrize("code", ["12345", "1234567", "12 456", "١٢٣٤٥٦", "abcdef"])
def test_only_six_ascii_digits_are_read_as_a_code(client, demo_portfolio, code):
    conversation_id, auth = start_chat(client, demo_portfolio[0].phone_e164)
    response = enter_code(client, conversation_id, auth, code)
    assert response.status_code == 422 and response.json()["error"]["code"] == "invalid_request"


@pytest.mark.parametrize("phone", [STRANGER, "customer"])
def test_a_number_gets_a_few_codes_an_hour_across_all_its_chats(
    client, sessions, demo_portfolio, settings, phone
):
    phone = demo_portfolio[0].phone_e164 if phone == "customer" else phone
    first, auth = start_chat(client, phone)
    for _ in range(settings.possession_codes_per_hour - 2):
        assert client.post(f"/api/chat/conversations/{first}/code", headers=auth).status_code == 202
    start_chat(client, phone)
    refused = client.post("/api/chat/conversations", json={"phone": phone})
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "too_many_codes"
    assert 0 < int(refused.headers["Retry-After"]) <= 3600
    again = client.post(f"/api/chat/conversations/{first}/code", headers=auth)
    assert again.status_code == 429
    sent = texted_codes(sessions, phone)
    assert len(sent) == (0 if phone == STRANGER else settings.possession_codes_per_hour)


def test_no_code_goes_to_an_opted_out_number(client, sessions, settings, demo_portfolio):
    phone = demo_portfolio[2].phone_e164
    with sessions.begin() as session:
        withdraw_consent(session, channel=Channel.SMS, address=phone, by="keyword")
    assert client.post("/api/chat/conversations", json={"phone": phone}).status_code == 201
    dispatcher = OutboxDispatcher(
        sessions,
        SimulatorTransport(),
        rate_per_second=1000,
        status_callback_url=None,
        send_gate=SendGate.from_settings(settings),
    )
    asyncio.run(dispatcher.dispatch_due())
    with sessions() as session:
        [message] = session.scalars(
            select(Message).where(Message.kind == MessageKind.ONE_TIME_CODE)
        ).all()
    assert (message.status, message.error_message) == ("blocked", "recipient opted out")


def _age(sessions, conversation_id, *, started, last_seen):
    with sessions.begin() as session:
        conversation = session.get(Conversation, conversation_id)
        conversation.created_at = utcnow() - started
        conversation.last_seen_at = utcnow() - last_seen


def test_an_idle_chat_token_expires_with_a_clear_401(client, sessions, settings, demo_portfolio):
    conversation_id, auth = open_chat(client, sessions, demo_portfolio[0].phone_e164)
    idle = timedelta(minutes=settings.session_idle_minutes + 1)
    _age(sessions, conversation_id, started=idle * 2, last_seen=idle)
    for response in (
        _say(client, conversation_id, auth),
        client.get(f"/api/chat/conversations/{conversation_id}/messages", headers=auth),
    ):
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "session_expired"
        assert "start a new chat" in response.json()["error"]["message"]


def test_an_active_chat_token_still_ends_after_the_longest_session(
    client, sessions, settings, demo_portfolio
):
    conversation_id, auth = open_chat(client, sessions, demo_portfolio[0].phone_e164)
    _age(
        sessions,
        conversation_id,
        started=timedelta(hours=settings.session_max_hours, minutes=1),
        last_seen=timedelta(minutes=1),
    )
    response = _say(client, conversation_id, auth)
    assert response.status_code == 401 and response.json()["error"]["code"] == "session_expired"


def test_activity_keeps_a_chat_open(client, sessions, settings, demo_portfolio):
    conversation_id, auth = open_chat(client, sessions, demo_portfolio[0].phone_e164)
    almost = timedelta(minutes=settings.session_idle_minutes - 1)
    _age(sessions, conversation_id, started=almost * 2, last_seen=almost)
    assert _say(client, conversation_id, auth).status_code == 200
    with sessions() as session:
        seen = session.get(Conversation, conversation_id).last_seen_at
    assert utcnow() - seen < timedelta(minutes=1)
