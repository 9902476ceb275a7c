"""The collector console's JSON API: sign-in, CSRF, roles, and working a case."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from api.main import create_app
from bot.collectors.models import Role
from bot.collectors.service import create_collector
from bot.conversations.models import Conversation, Message
from bot.conversations.service import start_web_conversation
from bot.handoff.models import Escalation, EscalationReason
from bot.handoff.service import escalate
from bot.persistence import utcnow
from bot.rasa_client import RasaClient
from tests.conftest import first_in_stage
from tests.fakes import json_server

PASSWORD = "correct horse battery"


@pytest.fixture
def rasa(settings):
    with json_server(lambda path, body: (200, {})) as (url, received):
        yield url, received


@pytest.fixture
def app(settings, sessions, rasa):
    return create_app(settings, sessions=sessions, rasa=RasaClient(rasa[0], "token", timeout=5))


@pytest.fixture
def users(sessions):
    with sessions.begin() as session:
        for username, role in (
            ("alice", Role.COLLECTOR),
            ("bob", Role.COLLECTOR),
            ("sam", Role.SUPERVISOR),
        ):
            create_collector(
                session,
                username=username,
                display_name=username.title(),
                role=role,
                password=PASSWORD,
            )


def _signed_in(app, username):
    client = TestClient(app)
    client.__enter__()
    response = client.post("/api/console/login", json={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    client.headers["X-CSRF-Token"] = response.json()["csrf_token"]
    return client


@pytest.fixture
def case(sessions, demo_portfolio):
    """A verified M2 cardholder's web chat, escalated for hardship."""
    person = first_in_stage(demo_portfolio, "M2-M3")
    with sessions.begin() as session:
        conversation, _ = start_web_conversation(session, phone_e164=person.phone_e164)
        conversation.verified_at = utcnow()
        escalation = escalate(
            session,
            conversation=conversation,
            reason=EscalationReason.HARDSHIP,
            summary="hardship; lost job",
        )
        session.flush()
        return escalation.id, conversation.id, person


@pytest.fixture
def clients(app, users):
    opened = {name: _signed_in(app, name) for name in ("alice", "bob", "sam")}
    yield opened
    for client in opened.values():
        client.__exit__(None, None, None)


ENDPOINTS = [
    ("GET", "/api/console/me"),
    ("GET", "/api/console/escalations"),
    ("GET", "/api/console/escalations/1"),
    ("POST", "/api/console/escalations/1/claim"),
    ("POST", "/api/console/escalations/1/messages"),
    ("POST", "/api/console/escalations/1/notes"),
    ("POST", "/api/console/escalations/1/outcome"),
    ("POST", "/api/console/escalations/1/resolve"),
    ("POST", "/api/console/escalations/1/reassign"),
    ("GET", "/api/console/events"),
]


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_no_console_endpoint_answers_without_a_session_or_token(app, method, path):
    with TestClient(app) as client:
        response = client.request(method, path, json={})
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "not_signed_in"
        forged = client.request(method, path, json={}, headers={"Authorization": "Bearer forged"})
        assert forged.status_code == 401


def test_changes_from_the_browser_need_the_csrf_token(clients, case):
    escalation_id, _, _ = case
    alice = clients["alice"]
    token = alice.headers.pop("X-CSRF-Token")
    refused = alice.post(f"/api/console/escalations/{escalation_id}/claim")
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "csrf_failed"
    wrong = alice.post(
        f"/api/console/escalations/{escalation_id}/claim", headers={"X-CSRF-Token": "x" + token}
    )
    assert wrong.status_code == 403
    # Reading needs no CSRF token.
    assert alice.get("/api/console/escalations").status_code == 200
    ok = alice.post(
        f"/api/console/escalations/{escalation_id}/claim", headers={"X-CSRF-Token": token}
    )
    assert ok.status_code == 200


def test_session_cookie_is_httponly_and_strict(app, users):
    with TestClient(app) as client:
        response = client.post(
            "/api/console/login", json={"username": "alice", "password": PASSWORD}
        )
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie


def _login(client, username, password=PASSWORD):
    return client.post("/api/console/login", json={"username": username, "password": password})


def test_wrong_passwords_shut_out_the_address_that_sent_them_not_the_collector(app, users):
    """The rule: 5 wrong passwords for one username from one address stop that address trying
    that username for 15 minutes; the collector still signs in from anywhere else."""
    with (
        TestClient(app, client=("203.0.113.9", 40000)) as attacker,
        TestClient(app, client=("198.51.100.7", 40000)) as bobs_desk,
    ):
        for _ in range(5):
            assert _login(attacker, "bob", "nope").status_code == 401
        shut_out = _login(attacker, "bob")
        assert shut_out.status_code == 429
        assert int(shut_out.headers["retry-after"]) > 0
        assert shut_out.json()["error"]["code"] == "rate_limited"
        # The collector is not locked out: the right password works from another address.
        assert _login(bobs_desk, "bob").status_code == 200
        # An unknown username is treated exactly alike, so the answers reveal nobody.
        for _ in range(5):
            assert (
                _login(attacker, "nobody", "nope").json() == _login(bobs_desk, "bob", "nope").json()
            )
        assert _login(attacker, "nobody").status_code == 429
        # Other usernames from the attacker's address are not held by bob's failures.
        assert _login(attacker, "alice").status_code == 200


def test_one_address_cannot_try_many_usernames(settings, sessions, users, rasa):
    settings = settings.model_copy(update={"rate_limit_login_failures_per_ip": "3/hour"})
    app = create_app(settings, sessions=sessions, rasa=RasaClient(rasa[0], "token", timeout=5))
    with (
        TestClient(app, client=("203.0.113.9", 40000)) as sprayer,
        TestClient(app, client=("198.51.100.7", 40000)) as office,
    ):
        for username in ("alice", "bob", "sam"):
            assert _login(sprayer, username, "nope").status_code == 401
        refused = _login(sprayer, "alice")
        assert refused.status_code == 429 and "retry-after" in refused.headers
        assert _login(office, "alice").status_code == 200


def test_sign_in_attempts_per_address_are_capped(settings, sessions, users, rasa):
    settings = settings.model_copy(update={"rate_limit_logins_per_ip": "3/minute"})
    app = create_app(settings, sessions=sessions, rasa=RasaClient(rasa[0], "token", timeout=5))
    with TestClient(app) as client:
        assert [_login(client, "alice").status_code for _ in range(4)] == [200, 200, 200, 429]


def test_one_collector_per_case_until_a_supervisor_reassigns(clients, case):
    escalation_id, _, _ = case
    alice, bob, sam = clients["alice"], clients["bob"], clients["sam"]
    assert alice.post(f"/api/console/escalations/{escalation_id}/claim").status_code == 200
    second = bob.post(f"/api/console/escalations/{escalation_id}/claim")
    assert second.status_code == 409
    # Bob can neither read nor act on Alice's case, nor see it in his queue.
    assert bob.get(f"/api/console/escalations/{escalation_id}").status_code == 403
    assert (
        bob.post(
            f"/api/console/escalations/{escalation_id}/messages", json={"text": "hi"}
        ).status_code
        == 403
    )
    assert bob.get("/api/console/escalations").json() == []
    # Only a supervisor reassigns.
    assert (
        bob.post(
            f"/api/console/escalations/{escalation_id}/reassign", json={"username": "bob"}
        ).status_code
        == 403
    )
    assert (
        sam.post(
            f"/api/console/escalations/{escalation_id}/reassign", json={"username": "bob"}
        ).status_code
        == 200
    )
    assert bob.get(f"/api/console/escalations/{escalation_id}").status_code == 200
    assert alice.get(f"/api/console/escalations/{escalation_id}").status_code == 403
    assert [c["id"] for c in sam.get("/api/console/escalations").json()] == [escalation_id]


def test_working_a_case_from_claim_to_return_to_bot(clients, case, sessions, rasa):
    escalation_id, conversation_id, person = case
    alice = clients["alice"]
    [queued] = alice.get("/api/console/escalations").json()
    assert (queued["reason"], queued["status"], queued["channel"]) == ("hardship", "open", "web")
    alice.post(f"/api/console/escalations/{escalation_id}/claim")
    assert (
        alice.post(
            f"/api/console/escalations/{escalation_id}/messages",
            json={"text": "I'm sorry to hear that. Let's look at a plan."},
        ).status_code
        == 202
    )
    assert (
        alice.post(
            f"/api/console/escalations/{escalation_id}/notes", json={"text": "Lost job in October"}
        ).status_code
        == 201
    )
    outcome = alice.post(
        f"/api/console/escalations/{escalation_id}/outcome",
        json={"disposition": "dispute_opened", "disputed_amount": "12.34"},
    )
    assert outcome.status_code == 200
    detail = alice.get(f"/api/console/escalations/{escalation_id}").json()
    assert detail["disposition"] == "dispute_opened"
    assert detail["accounts"][0]["card"] == f"**** {person.card_last4}"
    assert detail["accounts"][0]["disputed_amount"].endswith("12.34")
    assert detail["notes"][0]["text"] == "Lost job in October"
    assert detail["messages"][-1]["author"] == "collector"
    assert detail["messages"][-1]["text"] == "I'm sorry to hear that. Let's look at a plan."

    resolved = alice.post(
        f"/api/console/escalations/{escalation_id}/resolve", json={"return_to_bot": True}
    )
    assert resolved.status_code == 200
    listen = {"event": "action", "name": "action_listen"}
    assert rasa[1] == [
        (
            f"/conversations/{conversation_id}/tracker/events?token=token",
            [{"event": "resume"}, listen],
        )
    ]
    with sessions() as session:
        assert session.get(Conversation, conversation_id).state == "bot"
        escalation = session.get(Escalation, escalation_id)
        assert escalation.status == "resolved" and escalation.resolved_by == "alice"
        assert escalation.first_human_reply_at is not None
        # The note stayed internal: it is not a message to the cardholder.
        assert "Lost job in October" not in session.scalars(select(Message.text)).all()
    # A resolved case takes no more replies.
    again = alice.post(f"/api/console/escalations/{escalation_id}/messages", json={"text": "hello"})
    assert again.status_code == 409


def test_resolving_a_lockout_lifts_the_lock_and_resets_the_check(
    clients, sessions, demo_portfolio, rasa
):
    with sessions.begin() as session:
        conversation, _ = start_web_conversation(session, phone_e164=demo_portfolio[3].phone_e164)
        conversation.locked_at = utcnow()
        conversation.failed_verification_count = 3
        escalation = escalate(
            session,
            conversation=conversation,
            reason=EscalationReason.VERIFICATION_LOCKOUT,
            summary="locked",
        )
        session.flush()
        escalation_id, conversation_id = escalation.id, conversation.id
    alice = clients["alice"]
    alice.post(f"/api/console/escalations/{escalation_id}/claim")
    assert (
        alice.post(
            f"/api/console/escalations/{escalation_id}/resolve", json={"return_to_bot": True}
        ).status_code
        == 200
    )
    assert rasa[1][-1][1] == [
        {"event": "resume"},
        {"event": "slot", "name": "verification_locked", "value": False},
        {"event": "action", "name": "action_listen"},
    ]
    with sessions() as session:
        conversation = session.get(Conversation, conversation_id)
        assert not conversation.locked and conversation.failed_verification_count == 0


def test_resolving_a_lockout_releases_the_cardholder_on_every_channel(
    clients, sessions, settings, demo_portfolio
):
    """Locked from a web chat and SMS, released on one case: the person can verify again."""
    from datetime import date

    from bot.conversations.service import open_sms_conversation
    from bot.verification.models import IdentityCheck
    from bot.verification.service import verify_identity

    person = demo_portfolio[3]

    def attempt(conversation_id, born):
        with sessions.begin() as session:
            return verify_identity(
                session,
                conversation_id=conversation_id,
                card_last4=person.card_last4,
                date_of_birth=born,
                settings=settings,
            )

    with sessions.begin() as session:
        chat, _ = start_web_conversation(session, phone_e164=person.phone_e164)
        chat.possession_proven_at = utcnow()
        sms = open_sms_conversation(session, person.phone_e164, settings=settings)
        chat_id, sms_id = chat.id, sms.id
    for day in (1, 2, 3):
        attempt(chat_id, date(1900, 1, day))
    assert attempt(sms_id, person.date_of_birth).locked
    with sessions() as session:
        escalation_id = session.scalars(
            select(Escalation.id).where(Escalation.conversation_id == chat_id)
        ).one()
    alice = clients["alice"]
    alice.post(f"/api/console/escalations/{escalation_id}/claim")
    resolved = alice.post(
        f"/api/console/escalations/{escalation_id}/resolve", json={"return_to_bot": True}
    )
    assert resolved.status_code == 200
    with sessions() as session:
        check = session.scalars(select(IdentityCheck)).one()
        assert check.locked_at is None and check.released_by == "collector:alice"
    with sessions.begin() as session:
        later, _ = start_web_conversation(session, phone_e164=person.phone_e164)
        later.possession_proven_at = utcnow()
        later_id = later.id
    assert attempt(later_id, person.date_of_birth).verified


def test_resolve_changes_nothing_when_the_bot_cannot_be_resumed(settings, sessions, users, case):
    from bot.devstack import free_port

    escalation_id, conversation_id, _ = case
    app = create_app(
        settings,
        sessions=sessions,
        rasa=RasaClient(f"http://127.0.0.1:{free_port()}", "t", timeout=2),
    )
    alice = _signed_in(app, "alice")
    alice.post(f"/api/console/escalations/{escalation_id}/claim")
    response = alice.post(
        f"/api/console/escalations/{escalation_id}/resolve", json={"return_to_bot": True}
    )
    alice.__exit__(None, None, None)
    assert response.status_code == 503
    with sessions() as session:
        assert session.get(Escalation, escalation_id).status == "claimed"
        assert session.get(Conversation, conversation_id).state == "human"


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"disposition": "dispute_opened"}, "invalid_amount"),
        ({"disposition": "dispute_opened", "disputed_amount": "1.234"}, "invalid_amount"),
        ({"disposition": "made_up"}, "invalid_request"),
    ],
)
def test_bad_outcomes_get_a_specific_answer(clients, case, body, code):
    escalation_id, _, _ = case
    alice = clients["alice"]
    alice.post(f"/api/console/escalations/{escalation_id}/claim")
    response = alice.post(f"/api/console/escalations/{escalation_id}/outcome", json=body)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == code


def test_api_tokens_work_without_csrf_for_the_banks_agent_desktop(app, users, sessions, case):
    from bot.collectors.models import Collector, SessionKind
    from bot.collectors.service import issue_session

    escalation_id, _, _ = case
    with sessions.begin() as session:
        alice = session.scalars(select(Collector).where(Collector.username == "alice")).one()
        token = issue_session(session, collector=alice, kind=SessionKind.API).token
    with TestClient(app) as client:
        headers = {"Authorization": f"Bearer {token}"}
        assert (
            client.post(
                f"/api/console/escalations/{escalation_id}/claim", headers=headers
            ).status_code
            == 200
        )
        # An API token is not accepted as a cookie.
        client.cookies.set("console_session", token)
        assert client.get("/api/console/me").status_code == 401
