"""The action server as a process: only calls carrying Rasa's secret run an action.

The issue's forged calls, replayed: `action_submit_promise` with made-up slots and
`action_explain_overdue` for a verified conversation, posted straight to the action server.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.conversations.service import start_web_conversation
from bot.demo.seed import demo_cardholders, seed_demo_portfolio
from bot.devstack import free_port
from bot.persistence import utcnow
from bot.persistence.session import make_engine, session_factory
from bot.promises.models import PromiseToPay
from bot.settings import Settings
from tests.action_server import action_server, base_env, launch, stop
from tests.actions.trackers import action_call
from tests.conftest import AS_OF, TEST_HASH_KEY

TOKEN = "action-server-test-secret"


def _listening_addresses(port: int) -> set[str]:
    """Local IPv4 addresses with a socket listening on `port` (Linux /proc/net/tcp)."""
    found = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        address, port_hex = local.split(":")
        if state == "0A" and int(port_hex, 16) == port:
            found.add(".".join(str(int(address[i : i + 2], 16)) for i in (6, 4, 2, 0)))
    return found


@dataclass
class Running:
    url: str
    sessions: sessionmaker[Session]
    conversation_id: str


@pytest.fixture(scope="module")
def server(template_database) -> Iterator[Running]:
    database_url = template_database.copy()
    settings = Settings(database_url=database_url, verification_hash_key=TEST_HASH_KEY)  # type: ignore[arg-type]
    engine = make_engine(database_url)
    sessions = session_factory(engine)
    with sessions.begin() as session:
        seed_demo_portfolio(session, settings=settings, as_of=AS_OF)
        person = next(d for d in demo_cardholders() if d.stage == "M2-M3")
        conversation, _ = start_web_conversation(session, phone_e164=person.phone_e164)
        conversation.possession_proven_at = conversation.verified_at = utcnow()
        conversation_id = conversation.id
    try:
        with action_server(database_url, TOKEN) as url:
            yield Running(url, sessions, conversation_id)
    finally:
        engine.dispose()
        template_database.drop(database_url)


def _forged_promise(running: Running) -> dict:
    later = (AS_OF + timedelta(days=365)).isoformat()
    return action_call(
        "action_submit_promise",
        running.conversation_id,
        slots={"promise_amount": "50000.00", "promise_date": later, "promise_confirmed": True},
    )


@pytest.mark.parametrize(
    ("headers", "params"),
    [
        ({}, {}),
        ({"Authorization": "Bearer wrong"}, {}),
        ({"Authorization": TOKEN}, {}),
        ({}, {"token": TOKEN}),
    ],
    ids=["no secret", "wrong secret", "not a bearer", "secret in the query"],
)
def test_calls_without_rasas_secret_run_nothing(server, headers, params):
    explain = action_call("action_explain_overdue", server.conversation_id)
    for body in (explain, _forged_promise(server)):
        response = httpx.post(f"{server.url}/webhook", json=body, headers=headers, params=params)
        assert response.status_code == 401
        assert response.json() == {"error": "unauthorized"}
    assert httpx.get(f"{server.url}/actions", headers=headers, params=params).status_code == 401
    with server.sessions() as session:
        assert session.scalars(select(PromiseToPay)).all() == []


def test_rasas_secret_runs_the_action(server):
    auth = {"Authorization": f"Bearer {TOKEN}"}
    explain = action_call("action_explain_overdue", server.conversation_id)
    response = httpx.post(f"{server.url}/webhook", json=explain, headers=auth)
    assert response.status_code == 200
    assert "overdue amount" in response.json()["responses"][0]["text"]
    # Even with the secret, the forged promise is checked against the rules and refused.
    forged = httpx.post(f"{server.url}/webhook", json=_forged_promise(server), headers=auth)
    assert forged.status_code == 200
    assert "more than the overdue amount" in forged.json()["responses"][0]["text"]
    with server.sessions() as session:
        assert session.scalars(select(PromiseToPay)).all() == []


def test_an_unknown_conversation_gets_a_clean_404_that_echoes_nothing(server):
    marker = "probe-4111111111111111"
    body = action_call("action_explain_overdue", "no-such-conversation", text=marker)
    response = httpx.post(
        f"{server.url}/webhook", json=body, headers={"Authorization": f"Bearer {TOKEN}"}
    )
    assert response.status_code == 404
    assert response.json() == {"error": "unknown conversation"}


def test_a_broken_call_gets_a_bare_500_that_echoes_nothing(server):
    body = {
        "next_action": "action_explain_overdue",
        "domain": {"slots": {}},
        "tracker": {"probe": "4111111111111111"},
    }
    response = httpx.post(
        f"{server.url}/webhook", json=body, headers={"Authorization": f"Bearer {TOKEN}"}
    )
    assert response.status_code == 500
    assert "4111" not in response.text and "probe" not in response.text


def test_it_listens_on_loopback_only_by_default(server):
    port = int(server.url.rsplit(":", 1)[1])
    assert _listening_addresses(port) == {"127.0.0.1"}


def test_it_refuses_to_start_without_a_secret(tmp_path):
    env = base_env(ACTION_SERVER_TOKEN="", DATABASE_URL=f"sqlite:///{tmp_path}/x.db")
    process = launch(env, "--port", str(free_port()))
    try:
        output, _ = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            stop(process)
    assert process.returncode != 0
    assert b"ACTION_SERVER_TOKEN is empty" in output
