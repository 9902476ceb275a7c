"""Bad input gets a 4xx that says what is wrong, never a server error, and changes nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import func, select

from api.main import create_app
from bot.collectors.models import Role, SessionKind
from bot.collectors.service import create_collector, issue_session
from bot.conversations.models import Conversation
from bot.conversations.service import start_web_conversation
from bot.devstack import free_port
from bot.handoff.models import EscalationReason
from bot.handoff.service import escalate
from bot.persistence import utcnow
from bot.rasa_client import RasaClient
from tests.conftest import first_in_stage


@pytest.fixture
def client(settings, sessions):
    rasa = RasaClient(f"http://127.0.0.1:{free_port()}", "token", timeout=1)
    with TestClient(create_app(settings, sessions=sessions, rasa=rasa)) as client:
        yield client


@pytest.fixture
def collector(client, sessions, demo_portfolio):
    """A collector's API client holding an escalated case; yields (client, case id)."""
    person = first_in_stage(demo_portfolio, "M2-M3")
    with sessions.begin() as session:
        alice = create_collector(
            session,
            username="alice",
            display_name="Alice",
            role=Role.COLLECTOR,
            password="correct horse battery",
        )
        token = issue_session(session, collector=alice, kind=SessionKind.API).token
        conversation, _ = start_web_conversation(session, phone_e164=person.phone_e164)
        conversation.verified_at = utcnow()
        escalation = escalate(
            session, conversation=conversation, reason=EscalationReason.HARDSHIP, summary="x"
        )
        session.flush()
        case_id = escalation.id
    client.headers["Authorization"] = f"Bearer {token}"
    assert client.post(f"/api/console/escalations/{case_id}/claim").status_code == 200
    return client, case_id


@pytest.mark.parametrize("token", ["abc.é", "é", "abc.déf", "....", "a" * 3000, "%00"])
def test_a_malformed_payment_link_gets_the_invalid_link_page(client, token):
    response = client.get("/pay", params={"t": token})
    assert response.status_code == 400
    assert "invalid or has expired" in response.text


@pytest.mark.parametrize("case_id", [2**63, 2**63 + 1, 2**64, 2**31, 10**30, 0, -1])
def test_case_numbers_out_of_range_are_refused_not_looked_up(collector, case_id):
    client, _ = collector
    for method, path in [
        ("GET", f"/api/console/escalations/{case_id}"),
        ("POST", f"/api/console/escalations/{case_id}/claim"),
        ("POST", f"/api/console/escalations/{case_id}/notes"),
    ]:
        response = client.request(method, path, json={"text": "a note"})
        assert response.status_code in (404, 422), (path, response.text)


def test_a_case_number_in_range_that_does_not_exist_is_not_found(collector):
    client, _ = collector
    assert client.get(f"/api/console/escalations/{2**31 - 1}").status_code == 404


@pytest.mark.parametrize(
    "amount", ["Infinity", "-Infinity", "NaN", "-5", "0", "0.00", "1.234", "1e5", "12,34", "$5"]
)
def test_promised_amounts_must_be_positive_finite_with_two_decimals(collector, amount, sessions):
    client, case_id = collector
    response = client.post(
        f"/api/console/escalations/{case_id}/outcome",
        json={"disposition": "promise_taken", "promised_amount": amount},
    )
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "invalid_amount"
    _assert_no_outcome(client, case_id)


@pytest.mark.parametrize("amount", ["Infinity", "NaN", "-120.50", "0"])
def test_disputed_amounts_must_be_positive_and_finite(collector, amount):
    client, case_id = collector
    response = client.post(
        f"/api/console/escalations/{case_id}/outcome",
        json={"disposition": "dispute_opened", "disputed_amount": amount},
    )
    assert response.status_code == 422
    _assert_no_outcome(client, case_id)


@pytest.mark.parametrize("day", ["not-a-date", "2026-02-30", "2026-13-01", 1700000000, "yesterday"])
def test_promised_dates_must_be_real_dates(collector, day):
    client, case_id = collector
    response = client.post(
        f"/api/console/escalations/{case_id}/outcome",
        json={"disposition": "promise_taken", "promised_amount": "100", "promised_date": day},
    )
    assert response.status_code == 422, response.text
    _assert_no_outcome(client, case_id)


def test_a_promised_date_in_the_past_is_refused(collector):
    client, case_id = collector
    last_week = (utcnow().date() - timedelta(days=7)).isoformat()
    response = client.post(
        f"/api/console/escalations/{case_id}/outcome",
        json={"disposition": "promise_taken", "promised_amount": "100", "promised_date": last_week},
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_date"


def test_a_good_promise_is_recorded_exactly(collector):
    client, case_id = collector
    tomorrow = (utcnow().date() + timedelta(days=1)).isoformat()
    response = client.post(
        f"/api/console/escalations/{case_id}/outcome",
        json={
            "disposition": "promise_taken",
            "promised_amount": "1,250.50",
            "promised_date": tomorrow,
        },
    )
    assert response.status_code == 200, response.text
    details = client.get(f"/api/console/escalations/{case_id}").json()["disposition_details"]
    assert details == {"promised_amount_minor": 125050, "promised_date": tomorrow}


@pytest.mark.parametrize("phone", ["+٨٦١٣٨٠٠٠٠٠٠٠٤", "+８６１３８００００００４", "+86१३८००००००४"])
def test_phone_numbers_in_other_scripts_digits_are_refused(client, sessions, phone):
    response = client.post("/api/chat/conversations", json={"phone": phone})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_phone"
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Conversation)) == 0


def _assert_no_outcome(client, case_id):
    case = client.get(f"/api/console/escalations/{case_id}").json()
    assert case["disposition"] is None and case["disposition_details"] is None


def test_text_with_control_characters_is_refused_everywhere(collector, sessions):
    client, case_id = collector
    nul = "a\x00b"
    calls = [
        ("POST", f"/api/console/escalations/{case_id}/notes", {"text": nul}, None),
        ("POST", f"/api/console/escalations/{case_id}/messages", {"text": "hi\x1b[2J"}, None),
        ("POST", f"/api/console/escalations/{case_id}/reassign", {"username": nul}, None),
        (
            "POST",
            f"/api/console/escalations/{case_id}/outcome",
            {"disposition": "no_contact", "note": nul},
            None,
        ),
        ("GET", "/api/console/escalations", None, {"reason": nul}),
        ("POST", "/api/console/login", {"username": nul, "password": nul}, None),
        ("POST", "/api/chat/conversations", {"phone": "+8613800000004\x00"}, None),
        ("POST", "/api/chat/conversations/ab%00cd/messages", {"text": "x"}, None),
        ("GET", "/api/chat/conversations/ab%00cd/messages", None, None),
    ]
    for method, path, body, params in calls:
        response = client.request(method, path, json=body, params=params)
        assert response.status_code == 422, (path, response.text)
    case = client.get(f"/api/console/escalations/{case_id}").json()
    assert case["notes"] == [] and case["disposition"] is None
    assert [m for m in case["messages"] if m["author"] == "collector"] == []


def test_a_chat_message_with_a_nul_character_is_refused(client, demo_portfolio):
    started = client.post("/api/chat/conversations", json={"phone": demo_portfolio[0].phone_e164})
    conversation_id, token = started.json()["conversation_id"], started.json()["token"]
    response = client.post(
        f"/api/chat/conversations/{conversation_id}/messages",
        json={"text": "my birthday\x00"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 422


@pytest.mark.parametrize(
    "at",
    [
        "0001-01-01T00:00:00+00:00",
        "0001-01-01T00:00:00+23:59",
        "9999-12-31T23:59:59-23:59",
        "1999-12-31T23:59:59+00:00",
        "2100-01-01T00:00:00+00:00",
    ],
)
def test_reminder_runs_at_the_ends_of_the_calendar_are_refused(settings, sessions, at):
    token = "a-strong-enough-admin-token-for-this-test"
    settings = settings.model_copy(update={"admin_api_token": SecretStr(token)})
    rasa = RasaClient(f"http://127.0.0.1:{free_port()}", "token", timeout=1)
    with TestClient(create_app(settings, sessions=sessions, rasa=rasa)) as client:
        response = client.post(
            "/api/admin/reminders/runs",
            json={"at": at, "dry_run": True},
            headers={"Authorization": f"Bearer {token}"},
        )
    assert response.status_code == 422
    assert response.json()["error"]["fields"][0]["field"] == "at"
