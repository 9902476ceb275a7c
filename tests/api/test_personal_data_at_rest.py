"""Identity answers and card data never reach the messages table, on either channel.

A local fake of Rasa asks the identity questions with the domain's own wording and records what
it was sent, as the real verification form reads it from its tracker. Whole conversations then
run through the api, and every stored row is scanned.
"""

from __future__ import annotations

import uuid

import pytest
import yaml
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import select
from twilio.request_validator import RequestValidator

from api.main import create_app
from bot.collectors.models import Role, SessionKind
from bot.collectors.service import create_collector, issue_session
from bot.conversations.models import Conversation, Message
from bot.handoff.models import EscalationReason
from bot.handoff.service import escalate
from bot.rasa_client import RasaClient
from bot.settings import PROJECT_ROOT
from tests.conftest import first_in_stage
from tests.fakes import json_server
from tests.twilio_fake import FakeTwilio
from tests.waiting import wait_for
from tests.webchat import open_chat

PUBLIC = "https://bank.example"
TWILIO_TOKEN = "twilio-test-token"
CARD = "4111 1111 1111 1111"


def _response(name):
    domain = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text())
    return domain["responses"][name][0]["text"]


@pytest.fixture
def fake_rasa():
    """Asks for the last 4 digits, then the date of birth, then answers anything."""
    steps = [
        _response("utter_ask_card_last4"),
        _response("utter_ask_date_of_birth"),
        "Thanks, that's you confirmed.",
    ]
    turns: dict[str, int] = {}

    def rasa(path, body):
        turn = turns.get(body["sender"], 0)
        turns[body["sender"]] = turn + 1
        text = steps[min(turn, len(steps) - 1)]
        return 200, [{"recipient_id": body["sender"], "text": text}]

    with json_server(rasa) as (url, received):
        yield url, received


def _said_to_rasa(received):
    return [body["message"] for path, body in received if path.endswith("/webhook")]


def _stored(sessions, address):
    """What the cardholder's messages hold in the database (the bot's own are its domain text)."""
    with sessions() as session:
        return session.scalars(
            select(Message.text)
            .join(Conversation)
            .where(Conversation.address == address, Message.direction == "inbound")
            .order_by(Message.id)
        ).all()


def _assert_nothing_personal(rows, person):
    every_word = "\n".join(rows)
    for secret in (
        person.card_last4,
        str(person.date_of_birth.year),
        person.date_of_birth.isoformat(),
        "1111 1111",
        "12/29",
        "cvv 123",
        "1985",
    ):
        assert secret not in every_word, (secret, rows)


def _what_the_cardholder_types(person):
    return [
        "hi",
        f"it's {person.card_last4}",
        person.date_of_birth.strftime("%d/%m/%Y"),
        f"my card is {CARD} expiry 12/29 cvv 123",
        "my husband was born 21 March 1985",
    ]


def test_a_web_chat_keeps_no_identity_answer_or_card_data(
    settings, sessions, demo_portfolio, fake_rasa
):
    rasa_url, rasa_received = fake_rasa
    person = first_in_stage(demo_portfolio, "M2-M3")
    app = create_app(settings, sessions=sessions, rasa=RasaClient(rasa_url, "t", timeout=5))
    with TestClient(app) as client:
        conversation_id, auth = open_chat(client, sessions, person.phone_e164)
        for text in _what_the_cardholder_types(person):
            response = client.post(
                f"/api/chat/conversations/{conversation_id}/messages",
                json={"text": text},
                headers=auth,
            )
            assert response.status_code == 200
        transcript = client.get(f"/api/chat/conversations/{conversation_id}/messages", headers=auth)

    rows = _stored(sessions, person.phone_e164)
    _assert_nothing_personal(rows, person)
    inbound = [m["text"] for m in transcript.json()["messages"] if m["direction"] == "inbound"]
    assert inbound == [
        "hi",
        "it's [hidden]",
        "[date hidden]",
        "my card is **** 1111 expiry [expiry hidden] cvv [code hidden]",
        "my husband was born [date hidden]",
    ]
    # The identity check reads the answers as typed, from what Rasa was sent.
    said = _said_to_rasa(rasa_received)
    assert said[1:3] == [f"it's {person.card_last4}", person.date_of_birth.strftime("%d/%m/%Y")]
    assert "123" not in said[3] and "12/29" not in said[3] and "1111 1111" not in said[3]

    # A collector reading the case sees the same hidden text.
    with sessions.begin() as session:
        collector = create_collector(
            session,
            username="alice",
            display_name="Alice",
            role=Role.SUPERVISOR,
            password="correct horse battery",
        )
        token = issue_session(session, collector=collector, kind=SessionKind.API).token
        conversation = session.get(Conversation, conversation_id)
        escalation = escalate(
            session, conversation=conversation, reason=EscalationReason.HARDSHIP, summary="x"
        )
        session.flush()
        case_id = escalation.id
    with TestClient(app) as client:
        case = client.get(
            f"/api/console/escalations/{case_id}", headers={"Authorization": f"Bearer {token}"}
        ).json()
    shown = [m["text"] for m in case["messages"] if m["direction"] == "inbound"]
    assert len(shown) == 5
    _assert_nothing_personal(shown, person)


def test_an_sms_conversation_keeps_no_identity_answer_or_card_data(
    settings, sessions, demo_portfolio, fake_rasa
):
    rasa_url, rasa_received = fake_rasa
    person = first_in_stage(demo_portfolio, "M1")
    twilio = FakeTwilio().start()
    settings = settings.model_copy(
        update={
            "public_base_url": PUBLIC,
            "twilio_account_sid": "ACtest",
            "twilio_auth_token": SecretStr(TWILIO_TOKEN),
            "twilio_api_base_url": twilio.base_url,
            "sms_segments_per_second": 1000.0,
        }
    )
    app = create_app(settings, sessions=sessions, rasa=RasaClient(rasa_url, "t", timeout=5))
    try:
        with TestClient(app) as client:
            for count, text in enumerate(_what_the_cardholder_types(person), start=1):
                params = {
                    "MessageSid": f"SM{uuid.uuid4().hex}",
                    "From": person.phone_e164,
                    "To": "+15005550006",
                    "Body": text,
                }
                signature = RequestValidator(TWILIO_TOKEN).compute_signature(
                    PUBLIC + "/webhooks/twilio/sms", params
                )
                response = client.post(
                    "/webhooks/twilio/sms", data=params, headers={"X-Twilio-Signature": signature}
                )
                assert response.status_code == 200
                # Each answer follows the question it answers, as on a real phone.
                wait_for(
                    lambda n=count: len(twilio.bodies_to(person.phone_e164)) >= n,
                    what=f"reply {count}",
                )
    finally:
        twilio.stop()
    rows = _stored(sessions, person.phone_e164)
    _assert_nothing_personal(rows, person)
    assert "it's [hidden]" in rows and "[date hidden]" in rows
    said = _said_to_rasa(rasa_received)
    assert said[1:3] == [f"it's {person.card_last4}", person.date_of_birth.strftime("%d/%m/%Y")]
