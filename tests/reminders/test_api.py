"""Reminder runs through the admin API, sent by the outbox, answered by SMS into the dialogue."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from bot.conversations.models import Direction, Message, MessageKind, MessageStatus
from bot.reminders.models import Reminder
from bot.settings import PROJECT_ROOT
from tests.api.test_sms_webhook import Phone, _sent_to, sms_app
from tests.fakes import json_server
from tests.twilio_fake import FakeTwilio
from tests.waiting import wait_for

RUNS = "/api/admin/reminders/runs"
ADMIN = {"Authorization": "Bearer dev-only-change-me"}


@pytest.fixture
def fake_twilio():
    fake = FakeTwilio().start()
    yield fake
    fake.stop()


@pytest.fixture
def always_open(settings, tmp_path):
    """The real strategy, open round the clock and without holidays: tests run at any hour."""
    text = (PROJECT_ROOT / "config" / "contact_strategy.yml").read_text(encoding="utf-8")
    text = text.replace('"09:00-20:00"', '"00:00-24:00"').replace('"08:00-21:00"', '"00:00-24:00"')
    text = re.sub(r"\nholidays:\n(  - .*\n)+", "\nholidays: []\n", text)
    path = tmp_path / "strategy.yml"
    path.write_text(text, encoding="utf-8")
    return settings.model_copy(update={"contact_strategy_file": str(path)})


def test_runs_need_the_admin_token(settings, sessions, fake_twilio):
    with TestClient(sms_app(settings, sessions, fake_twilio, "http://127.0.0.1:9")) as client:
        assert client.post(RUNS, json={}).status_code == 401
        assert (
            client.post(RUNS, json={}, headers={"Authorization": "Bearer wrong"}).status_code == 403
        )


def test_a_dry_run_reports_and_a_naive_time_is_refused(
    settings, sessions, demo_portfolio, fake_twilio
):
    with TestClient(sms_app(settings, sessions, fake_twilio, "http://127.0.0.1:9")) as client:
        dry = client.post(
            RUNS, json={"at": "2026-11-20T11:00:00+08:00", "dry_run": True}, headers=ADMIN
        )
        naive = client.post(RUNS, json={"at": "2026-11-20T11:00:00"}, headers=ADMIN)
    assert dry.status_code == 200
    assert dry.json()["planned"] > 0 and dry.json()["dry_run"] is True
    assert naive.status_code == 422
    assert naive.json()["error"]["code"] == "naive_time"
    with sessions() as session:
        assert session.scalars(select(Reminder)).first() is None


def test_a_reminder_is_sent_and_a_reply_continues_into_the_dialogue(
    always_open, sessions, demo_portfolio, fake_twilio
):
    m1 = next(d for d in demo_portfolio if d.stage == "M1")

    def rasa(path, body):
        return 200, [{"recipient_id": body["sender"], "text": f"echo: {body['message']}"}]

    with (
        json_server(rasa) as (rasa_url, rasa_received),
        TestClient(sms_app(always_open, sessions, fake_twilio, rasa_url)) as client,
    ):
        response = client.post(RUNS, json={}, headers=ADMIN)
        assert response.status_code == 200
        assert response.json()["allowed"] > 0
        [reminder_text] = _sent_to(fake_twilio, m1.phone_e164, 1)
        assert reminder_text.endswith("Reply STOP to opt out.")
        with sessions() as session:
            reminder_message = session.scalars(
                select(Message)
                .join(Reminder, Reminder.message_id == Message.id)
                .where(Message.conversation.has(address=m1.phone_e164))
            ).one()
        assert reminder_message.kind == MessageKind.REMINDER
        wait_for(
            lambda: _status(sessions, reminder_message.id) == MessageStatus.SENT,
            what="reminder recorded as sent",
        )
        assert Phone(client, m1.phone_e164).text("hello").status_code == 200
        assert _sent_to(fake_twilio, m1.phone_e164, 2)[1] == "echo: hello"
        with sessions() as session:
            inbound = session.scalars(
                select(Message).where(Message.direction == Direction.INBOUND)
            ).one()
        # The same conversation: Rasa hears the reply with the reminder's conversation id.
        assert inbound.conversation_id == reminder_message.conversation_id
        assert rasa_received[-1][1]["sender"] == reminder_message.conversation_id


def _status(sessions, message_id):
    with sessions() as session:
        return session.get(Message, message_id).status


def test_the_api_refuses_to_start_with_a_broken_strategy(settings, sessions, tmp_path, fake_twilio):
    broken = tmp_path / "broken.yml"
    text = (PROJECT_ROOT / "config" / "contact_strategy.yml").read_text(encoding="utf-8")
    broken.write_text(text.replace("m1: {dpd: [1, 30]}", "m1: {dpd: [1, 40]}"), encoding="utf-8")
    bad = settings.model_copy(update={"contact_strategy_file": str(broken)})
    with pytest.raises(ValueError, match=r"broken.yml, line \d+ .*overlaps"):
        sms_app(bad, sessions, fake_twilio, "http://127.0.0.1:9")
