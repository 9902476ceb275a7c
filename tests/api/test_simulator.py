"""The SMS simulator exists only in development; its published token signs nothing elsewhere."""

from __future__ import annotations

import secrets

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import func, select
from twilio.request_validator import RequestValidator

from api.main import create_app
from bot.conversations.models import Message
from bot.devstack import free_port
from bot.messaging.consent import consent_withdrawn
from bot.rasa_client import RasaClient
from bot.settings import SIMULATOR_AUTH_TOKEN, Environment
from tests.conftest import first_in_stage
from tests.waiting import wait_for

WEBHOOK = "/webhooks/twilio/sms"


def _app(settings, sessions, **update):
    settings = settings.model_copy(update=update)
    rasa = RasaClient(f"http://127.0.0.1:{free_port()}", "token", timeout=1)
    return create_app(settings, sessions=sessions, rasa=rasa)


def _forged_stop(client, settings, phone):
    """A STOP signed with the simulator's token, which anyone can read in the source."""
    params = {"MessageSid": "SMforged", "From": phone, "To": "+15005550006", "Body": "STOP"}
    url = settings.public_base_url.rstrip("/") + WEBHOOK
    signature = RequestValidator(SIMULATOR_AUTH_TOKEN).compute_signature(url, params)
    return client.post(WEBHOOK, data=params, headers={"X-Twilio-Signature": signature})


def _strong() -> SecretStr:
    return SecretStr(secrets.token_urlsafe(32))


@pytest.mark.parametrize(
    "update",
    [
        {"environment": Environment.TEST},
        {
            "environment": Environment.PRODUCTION,
            "twilio_account_sid": "ACprod",
            "twilio_auth_token": _strong(),
        },
    ],
    ids=["test", "production"],
)
def test_outside_development_there_is_no_simulator_and_its_token_signs_nothing(
    settings, sessions, demo_portfolio, update
):
    phone = first_in_stage(demo_portfolio, "M1").phone_e164
    with TestClient(_app(settings, sessions, **update)) as client:
        assert client.get("/simulator").status_code == 404
        response = client.post("/simulator/api/messages", json={"phone": phone, "text": "STOP"})
        assert response.status_code == 404
        forged = _forged_stop(client, settings, phone)
        assert forged.status_code == 403
    with sessions() as session:
        assert not consent_withdrawn(session, channel="sms", address=phone)
        assert session.scalar(select(func.count()).select_from(Message)) == 0


def test_in_development_the_simulator_texts_the_bank_through_the_signed_webhook(
    settings, sessions, demo_portfolio
):
    phone = first_in_stage(demo_portfolio, "M1").phone_e164
    with TestClient(_app(settings, sessions, environment=Environment.DEVELOPMENT)) as client:
        page = client.get("/simulator")
        assert page.status_code == 200 and "text/html" in page.headers["content-type"]
        sent = client.post("/simulator/api/messages", json={"phone": phone, "text": "STOP"})
        assert sent.status_code == 202, sent.text
        wait_for(
            lambda: _withdrawn(sessions, phone),
            what="the simulated STOP to withdraw consent",
        )


def _withdrawn(sessions, phone):
    with sessions() as session:
        return consent_withdrawn(session, channel="sms", address=phone)
