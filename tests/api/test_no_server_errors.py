"""Schemathesis over the api's own OpenAPI spec: no input, however odd, gets a server error.

Every documented operation is called with generated inputs (in-process, on this test's fresh
database), signed in where the operation needs it so the requests reach the code behind the
checks: admin calls carry the admin token, console calls a supervisor's API token, and chat calls
often the token of a real conversation. The budget is bounded so the run takes about a minute.
"""

from __future__ import annotations

import contextlib
import secrets
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from pydantic import SecretStr
from schemathesis import Case, GenerationMode
from schemathesis.checks import not_a_server_error

from api.main import create_app
from bot.collectors.models import Role, SessionKind
from bot.collectors.service import create_collector, issue_session
from bot.conversations.service import start_web_conversation
from bot.handoff.models import EscalationReason
from bot.handoff.service import escalate
from bot.payments.links import InvalidLink, read_link_token
from bot.persistence import utcnow
from bot.rasa_client import RasaClient
from tests.conftest import first_in_stage
from tests.fakes import json_server

ADMIN_TOKEN = secrets.token_urlsafe(32)
NOT_FUZZED = {
    # An endless server-sent event stream: nothing to fuzz, and a call would never end.
    "/api/console/events",
    # Takes no input, and would end the session every other console call is signed in with.
    "/api/console/logout",
}
EXAMPLES_PER_OPERATION = 30


@pytest.fixture
def signed_in(sessions, demo_portfolio):
    """A supervisor's API token, a web chat and its token, and a case on that chat."""
    person = first_in_stage(demo_portfolio, "M2-M3")
    with sessions.begin() as session:
        supervisor = create_collector(
            session,
            username="sam",
            display_name="Sam",
            role=Role.SUPERVISOR,
            password="correct horse battery",
        )
        console_token = issue_session(session, collector=supervisor, kind=SessionKind.API).token
        conversation, chat_token = start_web_conversation(session, phone_e164=person.phone_e164)
        conversation.verified_at = utcnow()
        escalation = escalate(
            session, conversation=conversation, reason=EscalationReason.HARDSHIP, summary="x"
        )
        session.flush()
        return {
            "console": console_token,
            "chat": chat_token,
            "conversation_id": conversation.id,
            "escalation_id": escalation.id,
        }


@pytest.fixture
def app(settings, sessions):
    settings = settings.model_copy(update={"admin_api_token": SecretStr(ADMIN_TOKEN)})
    # A Rasa that answers every turn and event with nothing: a Rasa that is down gets a 503 by
    # design (tests/api/test_chat.py), which is not what this run looks for.
    with json_server(lambda path, body: (200, [])) as (rasa_url, _):
        rasa = RasaClient(rasa_url, "token", timeout=5)
        app = create_app(settings, sessions=sessions, rasa=rasa)
        with TestClient(app):  # runs the lifespan: the outbox and the SMS gateway exist
            yield app


def _signed(case: Case, signed_in: dict[str, Any]) -> dict[str, str]:
    """The headers that let `case` past authentication (for about half of the chat cases)."""
    path = case.operation.path
    if path.startswith("/api/admin/"):
        return {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    if path.startswith("/api/console/"):
        # Even case numbers become the real case, so claims, replies and outcomes run for real.
        escalation_id = (case.path_parameters or {}).get("escalation_id")
        if isinstance(escalation_id, int) and escalation_id % 2 == 0:
            case.path_parameters["escalation_id"] = signed_in["escalation_id"]
        return {"Authorization": f"Bearer {signed_in['console']}"}
    generated_id = str((case.path_parameters or {}).get("conversation_id", ""))
    if path.startswith("/api/chat/conversations/") and len(generated_id) % 2 == 0:
        case.path_parameters["conversation_id"] = signed_in["conversation_id"]
        return {"Authorization": f"Bearer {signed_in['chat']}"}
    return {}


def test_no_generated_request_gets_a_server_error(app, signed_in):
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 15
    for operation in operations:
        if operation.path in NOT_FUZZED:
            continue
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(
                max_examples=EXAMPLES_PER_OPERATION,
                deadline=None,
                derandomize=True,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
            def call(case: Case) -> None:
                case.call_and_validate(
                    headers=_signed(case, signed_in), checks=[not_a_server_error]
                )

            try:
                call()
            except Unsatisfiable:
                # Nothing about this operation's inputs can be made invalid (free-form strings).
                assert mode is GenerationMode.NEGATIVE
            except Exception as error:
                error.add_note(f"{operation.method.upper()} {operation.path} ({mode.value} inputs)")
                raise


@given(token=st.text(max_size=300))
@settings(max_examples=300, deadline=None)
def test_reading_any_payment_token_either_succeeds_or_says_it_is_invalid(token):
    with contextlib.suppress(InvalidLink):
        read_link_token(token, secret="s" * 32, now=utcnow())
