"""The api with the obedient stand-in for Rasa behind it, Twilio's fake, and the demo portfolio."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from twilio.request_validator import RequestValidator

from api.main import create_app
from bot.conversations.models import Channel, Conversation, Direction, Message
from bot.demo.seed import DemoCardholder
from bot.rasa_client import RasaClient
from tests.security.scripted_rasa import ScriptedRasa, scripted_rasa
from tests.twilio_fake import FakeTwilio

PUBLIC = "https://bank.example"
TWILIO_TOKEN = "security-suite-twilio-token"
CHANNEL_TOKEN = "security-suite-channel-token"


@dataclass
class World:
    client: TestClient
    sessions: sessionmaker[Session]
    rasa: ScriptedRasa
    portfolio: list[DemoCardholder]

    def text(self, sender: str, body: str) -> None:
        """An SMS from `sender`, through the signed webhook, answered before this returns."""
        params = {
            "MessageSid": f"SM{uuid.uuid4().hex}",
            "AccountSid": "ACsecurity",
            "From": sender,
            "To": "+15005550006",
            "Body": body,
        }
        signature = RequestValidator(TWILIO_TOKEN).compute_signature(
            PUBLIC + "/webhooks/twilio/sms", params
        )
        response = self.client.post(
            "/webhooks/twilio/sms", data=params, headers={"X-Twilio-Signature": signature}
        )
        assert response.status_code == 200, response.text

    def sms_to(self, number: str) -> list[str]:
        """Every text the outbox holds for `number`, in order."""
        with self.sessions() as session:
            return list(
                session.scalars(
                    select(Message.text)
                    .join(Conversation)
                    .where(
                        Conversation.channel == Channel.SMS,
                        Conversation.address == number,
                        Message.direction == Direction.OUTBOUND,
                    )
                    .order_by(Message.id)
                )
            )

    def conversations_of(self, number: str) -> list[Conversation]:
        with self.sessions() as session:
            return list(session.scalars(select(Conversation).where(Conversation.address == number)))


@pytest.fixture
def world(settings, sessions, demo_portfolio) -> Iterator[World]:
    twilio = FakeTwilio().start()
    settings = settings.model_copy(
        update={
            "public_base_url": PUBLIC,
            "twilio_account_sid": "ACsecurity",
            "twilio_auth_token": SecretStr(TWILIO_TOKEN),
            "twilio_api_base_url": twilio.base_url,
            "sms_segments_per_second": 1000.0,
            # Many chats for one number in a test; the hourly limit has its own tests.
            "possession_codes_per_hour": 1000,
            # Every chat and text here comes from one test client: the per-address and
            # per-phone limits are tested in tests/api, the identity rules here.
            "rate_limit_chat_starts_per_ip": "10000/minute",
            "rate_limit_chat_starts_per_phone": "10000/hour",
            "rate_limit_sms_per_phone": "10000/minute",
        }
    )
    try:
        with scripted_rasa(CHANNEL_TOKEN) as (url, rasa):
            client_rasa = RasaClient(url, "unused", channel_token=CHANNEL_TOKEN, timeout=30)
            app = create_app(settings, sessions=sessions, rasa=client_rasa)
            with TestClient(app) as client:
                yield World(client, sessions, rasa, demo_portfolio)
    finally:
        twilio.stop()
