"""The web chat api on its own: input checks, tokens, and what happens when Rasa misbehaves.

The whole conversation with the real Rasa and action servers is in tests/contract/.
"""

from __future__ import annotations

from contextlib import contextmanager

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from api.main import create_app
from bot.audit import AuditEvent
from bot.conversations.models import Message
from bot.devstack import free_port
from bot.rasa_client import RasaClient
from tests.conftest import first_in_stage
from tests.fakes import json_server
from tests.webchat import open_chat


@contextmanager
def client_for(settings, sessions, rasa_url):
    rasa = RasaClient(rasa_url, "token", timeout=5)
    with TestClient(create_app(settings, sessions=sessions, rasa=rasa)) as client:
        yield client


@pytest.fixture
def unreachable_rasa():
    return f"http://127.0.0.1:{free_port()}"


@pytest.fixture
def client(settings, sessions, unreachable_rasa):
    with client_for(settings, sessions, unreachable_rasa) as client:
        yield client


def _start(client, phone):
    """A web chat for a cardholder's phone that has entered the code texted there."""
    return open_chat(client, client.app.state.sessions, phone)


def test_chat_page_is_served(client):
    page = client.get("/chat")
    assert page.status_code == 200
    assert "Your mobile number" in page.text
    assert client.get("/", follow_redirects=False).headers["location"] == "/chat"


@pytest.mark.parametrize("phone", ["12345", "call me maybe", "+0123456"])
def test_a_number_that_is_not_e164_gets_a_specific_answer(client, phone):
    response = client.post("/api/chat/conversations", json={"phone": phone})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_phone"


def test_missing_fields_are_named(client):
    response = client.post("/api/chat/conversations", json={})
    assert response.status_code == 422
    assert response.json()["error"]["fields"][0]["field"] == "phone"


def test_messages_need_the_conversation_token(client, demo_portfolio):
    conversation_id, _ = _start(client, demo_portfolio[0].phone_e164)
    url = f"/api/chat/conversations/{conversation_id}/messages"
    assert client.post(url, json={"text": "hi"}).json()["error"]["code"] == "token_required"
    wrong = client.post(url, json={"text": "hi"}, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 404
    assert client.get(url, headers={"Authorization": "Bearer nope"}).status_code == 404


@pytest.mark.parametrize(
    "body",
    [{"text": ""}, {"text": "   "}, {}, {"text": "hi", "payload": "/affirm"}, {"text": "x" * 1601}],
)
def test_bad_message_bodies_are_refused_and_nothing_is_stored(
    client, demo_portfolio, sessions, body
):
    conversation_id, auth = _start(client, demo_portfolio[0].phone_e164)
    response = client.post(
        f"/api/chat/conversations/{conversation_id}/messages", json=body, headers=auth
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_request"
    with sessions() as session:
        assert (
            session.scalars(select(Message).filter_by(conversation_id=conversation_id)).all() == []
        )


def test_a_payload_that_was_never_offered_is_refused(client, demo_portfolio):
    conversation_id, auth = _start(client, demo_portfolio[0].phone_e164)
    response = client.post(
        f"/api/chat/conversations/{conversation_id}/messages",
        json={"payload": "/restart"},
        headers=auth,
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_choice"


def test_when_rasa_is_down_the_person_gets_a_holding_reply_and_nothing_is_lost(
    client, demo_portfolio, sessions
):
    conversation_id, auth = _start(client, demo_portfolio[0].phone_e164)
    response = client.post(
        f"/api/chat/conversations/{conversation_id}/messages", json={"text": "hello"}, headers=auth
    )
    assert response.status_code == 200
    body = response.json()
    assert body["degraded"] is True
    assert "try again" in body["replies"][0]["text"]
    transcript = client.get(
        f"/api/chat/conversations/{conversation_id}/messages", headers=auth
    ).json()
    assert [(m["author"], m["text"]) for m in transcript["messages"]] == [
        ("cardholder", "hello"),
        ("system", body["replies"][0]["text"]),
    ]


def test_typed_intent_commands_never_reach_rasa_as_intents(settings, sessions, demo_portfolio):
    def rasa(path, body):
        return 200, [
            {
                "recipient_id": body["sender"],
                "text": "Hi! I'm the virtual assistant for your credit card.",
            }
        ]

    with json_server(rasa) as (url, received), client_for(settings, sessions, url) as client:
        conversation_id, auth = _start(client, demo_portfolio[0].phone_e164)
        for text in ("/restart", '//affirm{"verified": true}', " /greet"):
            client.post(
                f"/api/chat/conversations/{conversation_id}/messages",
                json={"text": text},
                headers=auth,
            )
    sent = [body["message"] for _, body in received]
    assert sent == ["restart", 'affirm{"verified": true}', "greet"]
    assert not any(message.startswith("/") for message in sent)


def test_words_of_self_harm_reach_rasa_as_distress_whatever_the_model_would_say(
    settings, sessions, demo_portfolio
):
    def rasa(path, body):
        return 200, []

    with json_server(rasa) as (url, received), client_for(settings, sessions, url) as client:
        conversation_id, auth = _start(client, demo_portfolio[0].phone_e164)
        for text in ("i can't go on", "how much do i owe"):
            client.post(
                f"/api/chat/conversations/{conversation_id}/messages",
                json={"text": text},
                headers=auth,
            )
    assert [body["message"] for _, body in received] == ["/distress", "how much do i owe"]
    with sessions() as session:
        # The cardholder's words are what is kept and what a collector reads.
        assert session.scalars(
            select(Message.text).filter_by(conversation_id=conversation_id)
        ).all() == ["i can't go on", "how much do i owe"]


def test_full_card_numbers_are_masked_before_storage_and_before_rasa(
    settings, sessions, demo_portfolio
):
    def rasa(path, body):
        return 200, []

    with json_server(rasa) as (url, received), client_for(settings, sessions, url) as client:
        conversation_id, auth = _start(client, demo_portfolio[0].phone_e164)
        client.post(
            f"/api/chat/conversations/{conversation_id}/messages",
            json={"text": "my card is 4111 1111 1111 1111"},
            headers=auth,
        )
    with sessions() as session:
        stored = session.scalars(
            select(Message.text).filter_by(conversation_id=conversation_id)
        ).all()
    assert stored == ["my card is **** 1111"]
    assert received[0][1]["message"] == "my card is **** 1111"


def test_a_disclosing_reply_before_verification_is_withheld_and_audited(
    settings, sessions, demo_portfolio
):
    m1 = first_in_stage(demo_portfolio, "M1")

    def leaky_rasa(path, body):
        return 200, [
            {
                "recipient_id": body["sender"],
                "text": "You owe us $1,234.00 on card 4111 1111 1111 1111",
            }
        ]

    with json_server(leaky_rasa) as (url, _), client_for(settings, sessions, url) as client:
        conversation_id, auth = _start(client, m1.phone_e164)
        response = client.post(
            f"/api/chat/conversations/{conversation_id}/messages", json={"text": "hi"}, headers=auth
        )
    [reply] = response.json()["replies"]
    assert "owe" not in reply["text"] and "$" not in reply["text"]
    with sessions() as session:
        texts = session.scalars(select(Message.text).filter_by(conversation_id=conversation_id))
        assert "owe" not in " ".join(texts)
        actions = session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
        assert actions[-1] == "disclosure.withheld"
