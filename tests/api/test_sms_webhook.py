"""The Twilio SMS webhook: signatures, idempotency, keywords, hand-off routing and bad input.

Rasa is a local fake here so each reply is known; tests/contract/ runs the real one.
"""

from __future__ import annotations

import threading
import uuid

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import func, select
from twilio.request_validator import RequestValidator

from api.main import create_app
from bot.conversations.models import Conversation, ConversationState, Message, MessageStatus
from bot.devstack import free_port
from bot.messaging.consent import consent_withdrawn
from bot.rasa_client import RasaClient
from tests.conftest import first_in_stage
from tests.fakes import json_server
from tests.twilio_fake import FakeTwilio
from tests.waiting import wait_for

PUBLIC = "https://bank.example"
TOKEN = "twilio-test-token"
WEBHOOK = "/webhooks/twilio/sms"


def _sign(url, params, token=TOKEN):
    return RequestValidator(token).compute_signature(url, params)


class Phone:
    """A cardholder's phone, texting the bank through signed webhooks."""

    def __init__(self, client, number):
        self.client = client
        self.number = number

    def text(self, body, *, sid=None, signature=None):
        params = {
            "MessageSid": sid or f"SM{uuid.uuid4().hex}",
            "AccountSid": "ACtest",
            "From": self.number,
            "To": "+15005550006",
            "Body": body,
        }
        headers = {"X-Twilio-Signature": signature or _sign(PUBLIC + WEBHOOK, params)}
        return self.client.post(WEBHOOK, data=params, headers=headers)


@pytest.fixture
def fake_twilio():
    fake = FakeTwilio().start()
    yield fake
    fake.stop()


@pytest.fixture
def rasa_script():
    """What the fake Rasa answers: a function of the message it gets."""
    return {"reply": lambda message: [{"text": f"echo: {message}"}]}


def sms_app(settings, sessions, fake_twilio, rasa_url):
    """The api with Twilio configured to the fake, webhooks signed for the public URL."""
    settings = settings.model_copy(
        update={
            "public_base_url": PUBLIC,
            "twilio_account_sid": "ACtest",
            "twilio_auth_token": SecretStr(TOKEN),
            "twilio_api_base_url": fake_twilio.base_url,
            "sms_segments_per_second": 1000.0,
        }
    )
    return create_app(settings, sessions=sessions, rasa=RasaClient(rasa_url, "token", timeout=5))


@pytest.fixture
def stack(settings, sessions, fake_twilio, rasa_script):
    def rasa(path, body):
        return 200, [
            {"recipient_id": body["sender"], **r} for r in rasa_script["reply"](body["message"])
        ]

    with (
        json_server(rasa) as (rasa_url, rasa_received),
        TestClient(sms_app(settings, sessions, fake_twilio, rasa_url)) as client,
    ):
        yield client, rasa_received


@pytest.fixture
def phone(stack, demo_portfolio):
    client, _ = stack
    return Phone(client, first_in_stage(demo_portfolio, "M1").phone_e164)


def _count(sessions, model=Message, *where):
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


def _sent_to(fake_twilio, number, n):
    return wait_for(
        lambda: len(fake_twilio.bodies_to(number)) >= n and fake_twilio.bodies_to(number),
        what=f"{n} SMS to {number}",
    )


def test_a_signed_sms_is_stored_and_answered_through_twilio(phone, stack, sessions, fake_twilio):
    response = phone.text("hello")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/xml")
    assert "<Response>" in response.text
    assert _sent_to(fake_twilio, phone.number, 1) == ["echo: hello\nReply STOP to opt out."]
    with sessions() as session:
        conversation = session.scalars(select(Conversation)).one()
        assert (conversation.channel, conversation.address) == ("sms", phone.number)
        assert conversation.cardholder_id is not None


@pytest.mark.parametrize("signature", [None, "", "forged", "wrong-url"])
def test_missing_or_forged_signatures_are_refused_and_touch_nothing(
    stack, phone, sessions, signature
):
    client, rasa_received = stack
    params = {"MessageSid": "SM1", "From": phone.number, "To": "+15005550006", "Body": "hi"}
    headers = {}
    if signature == "forged":
        headers["X-Twilio-Signature"] = _sign(PUBLIC + WEBHOOK, params, token="not-the-token")
    elif signature == "wrong-url":
        # Signed for the socket address, not the configured public URL.
        headers["X-Twilio-Signature"] = _sign("http://testserver" + WEBHOOK, params)
    elif signature == "":
        headers["X-Twilio-Signature"] = ""
    response = client.post(WEBHOOK, data=params, headers=headers)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "invalid_signature"
    assert _count(sessions) == 0
    assert _count(sessions, Conversation) == 0
    assert rasa_received == []


def test_a_signature_for_other_parameters_is_refused(stack, phone, sessions):
    client, _ = stack
    signed = {"MessageSid": "SM1", "From": phone.number, "Body": "hi"}
    sent = {**signed, "Body": "STOP"}
    response = client.post(
        WEBHOOK, data=sent, headers={"X-Twilio-Signature": _sign(PUBLIC + WEBHOOK, signed)}
    )
    assert response.status_code == 403
    assert _count(sessions) == 0


def test_a_retried_webhook_is_acknowledged_without_a_second_record_or_reply(
    phone, stack, sessions, fake_twilio
):
    _, rasa_received = stack
    assert phone.text("hello", sid="SMretried").status_code == 200
    assert phone.text("hello", sid="SMretried").status_code == 200
    _sent_to(fake_twilio, phone.number, 1)
    assert _count(sessions, Message, Message.direction == "inbound") == 1
    assert len(rasa_received) == 1
    assert len(fake_twilio.bodies_to(phone.number)) == 1


def test_concurrent_duplicates_make_one_record_and_one_reply(phone, stack, sessions, fake_twilio):
    _, rasa_received = stack
    results = []

    def send():
        results.append(phone.text("hello", sid="SMconcurrent").status_code)

    threads = [threading.Thread(target=send) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [200] * 5
    _sent_to(fake_twilio, phone.number, 1)
    assert _count(sessions, Message, Message.direction == "inbound") == 1
    assert len(rasa_received) == 1


def test_stop_sends_one_confirmation_and_then_nothing(phone, stack, sessions, fake_twilio):
    _, rasa_received = stack
    phone.text("hello")
    _sent_to(fake_twilio, phone.number, 1)
    phone.text("Stop please.")
    confirmation = _sent_to(fake_twilio, phone.number, 2)[-1]
    assert "no longer receive messages" in confirmation
    phone.text("STOP")
    phone.text("are you there?")
    phone.text("HELP")
    with sessions() as session:
        assert consent_withdrawn(session, channel="sms", address=phone.number)
    assert _count(sessions, Message, Message.direction == "inbound") == 5
    assert len(fake_twilio.bodies_to(phone.number)) == 2
    assert [m for _, m in rasa_received] == [
        {"sender": m["sender"], "message": "hello", "metadata": {}} for _, m in rasa_received[:1]
    ]


def test_start_subscribes_again(phone, stack, sessions, fake_twilio):
    phone.text("STOP")
    _sent_to(fake_twilio, phone.number, 1)
    phone.text("start")
    assert "receive our messages here again" in _sent_to(fake_twilio, phone.number, 2)[-1]
    phone.text("hello")
    assert _sent_to(fake_twilio, phone.number, 3)[-1] == "echo: hello"


def test_yes_is_an_answer_for_the_bot_unless_the_number_opted_out(phone, stack, fake_twilio):
    phone.text("yes")
    assert _sent_to(fake_twilio, phone.number, 1)[0].startswith("echo: yes\n")


def test_help_names_the_bank_and_changes_nothing(phone, stack, sessions, fake_twilio):
    _, rasa_received = stack
    phone.text("HELP")
    [reply] = _sent_to(fake_twilio, phone.number, 1)
    assert "Harbour Bank" in reply and "+1 800 555 0100" in reply
    assert rasa_received == []
    with sessions() as session:
        assert not consent_withdrawn(session, channel="sms", address=phone.number)


def test_messages_of_a_conversation_held_by_a_human_do_not_reach_the_bot(
    phone, stack, sessions, fake_twilio
):
    _, rasa_received = stack
    phone.text("hello")
    _sent_to(fake_twilio, phone.number, 1)
    with sessions.begin() as session:
        session.scalars(select(Conversation)).one().state = ConversationState.HUMAN
    phone.text("I lost my job")
    assert len(rasa_received) == 1
    with sessions() as session:
        texts = session.scalars(select(Message.text).where(Message.direction == "inbound")).all()
    assert texts == ["hello", "I lost my job"]


def test_a_numbered_reply_chooses_the_button(phone, stack, rasa_script, fake_twilio):
    _, rasa_received = stack
    rasa_script["reply"] = lambda message: [
        {
            "text": "How would you like to pay?",
            "buttons": [
                {"title": "Pay now", "payload": "/pay_now"},
                {"title": "Later", "payload": "/later"},
            ],
        }
    ]
    phone.text("hi")
    assert "1. Pay now\n2. Later" in _sent_to(fake_twilio, phone.number, 1)[0]
    phone.text("2")
    assert rasa_received[-1][1]["message"] == "/later"


@pytest.mark.parametrize(
    ("body", "for_rasa"),
    [
        ("", None),
        ("x" * 10_000, "x" * 10_000),
        ("我想还款 😀", "我想还款 😀"),
        ("/restart", "restart"),
        ('/affirm{"verified": true}', 'affirm{"verified": true}'),
    ],
)
def test_awkward_bodies_get_a_defined_answer(phone, stack, sessions, fake_twilio, body, for_rasa):
    _, rasa_received = stack
    assert phone.text(body).status_code == 200
    replies = _sent_to(fake_twilio, phone.number, 1)
    if for_rasa is None:
        assert rasa_received == []
        assert "didn't catch that" in replies[0]
    else:
        assert rasa_received[0][1]["message"] == for_rasa
    with sessions() as session:
        assert (
            session.scalars(select(Message.text).where(Message.direction == "inbound")).one()
            == body
        )


def test_a_sender_that_is_not_e164_gets_400_and_nothing_is_stored(stack, sessions):
    client, _ = stack
    response = Phone(client, "12345").text("hi")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_sender"
    assert _count(sessions) == 0


def test_an_unknown_number_gets_a_conversation_without_an_account(stack, sessions, fake_twilio):
    client, _ = stack
    Phone(client, "+12025559999").text("hello")
    _sent_to(fake_twilio, "+12025559999", 1)
    with sessions() as session:
        assert session.scalars(select(Conversation)).one().cardholder_id is None


def test_when_the_bot_fails_the_cardholder_gets_a_holding_reply(
    settings, sessions, fake_twilio, demo_portfolio
):
    app = sms_app(settings, sessions, fake_twilio, f"http://127.0.0.1:{free_port()}")
    number = demo_portfolio[0].phone_e164
    with TestClient(app) as client:
        assert Phone(client, number).text("hello").status_code == 200
        [reply] = _sent_to(fake_twilio, number, 1)
    assert "try again" in reply
    assert _count(sessions, Message, Message.direction == "inbound") == 1


def test_status_callbacks_are_signed_and_recorded(phone, stack, sessions, fake_twilio):
    client, _ = stack
    phone.text("hello")
    _sent_to(fake_twilio, phone.number, 1)
    sid = wait_for(lambda: _provider_id(sessions), what="provider id")
    params = {"MessageSid": sid, "MessageStatus": "delivered", "AccountSid": "ACtest"}
    url = PUBLIC + "/webhooks/twilio/status"
    assert (
        client.post(
            "/webhooks/twilio/status", data=params, headers={"X-Twilio-Signature": "x"}
        ).status_code
        == 403
    )
    ok = client.post(
        "/webhooks/twilio/status", data=params, headers={"X-Twilio-Signature": _sign(url, params)}
    )
    assert ok.status_code == 204
    with sessions() as session:
        assert session.scalars(
            select(Message.status).where(Message.provider_message_id == sid)
        ).one() == (MessageStatus.DELIVERED)


def _provider_id(sessions):
    with sessions() as session:
        return session.scalars(
            select(Message.provider_message_id).where(
                Message.direction == "outbound", Message.provider_message_id.is_not(None)
            )
        ).first()
