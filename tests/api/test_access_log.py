"""The api as `python -m bot run` starts it: its access log holds no token or conversation id."""

from __future__ import annotations

import os
import signal
import stat
import sys

import httpx
import pytest

from api.access_log import redact_path
from bot.devstack import free_port, spawn_logged
from tests.conftest import TEST_HASH_KEY
from tests.waiting import wait_for


@pytest.fixture
def api_process(settings, tmp_path):
    """uvicorn serving create_app on a free port, its output in a log file, as DevStack does."""
    port = free_port()
    log = tmp_path / "log" / "api.log"
    env = {
        **os.environ,
        "DATABASE_URL": settings.database_url,
        "VERIFICATION_HASH_KEY": TEST_HASH_KEY,
        "ENVIRONMENT": "test",
        "REMINDER_INTERVAL_SECONDS": "0",
        "RASA_URL": f"http://127.0.0.1:{free_port()}",
        "PYTHONUNBUFFERED": "1",
    }
    argv = [sys.executable, "-m", "uvicorn", "api.main:create_app", "--factory"]
    process = spawn_logged([*argv, "--port", str(port)], log_path=log, env=env)
    base = f"http://127.0.0.1:{port}"

    def up():
        try:
            return httpx.get(base + "/healthz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        wait_for(up, timeout=60, what="the api to start")
        yield base, log
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


def test_the_access_log_holds_no_payment_token_or_conversation_id(api_process, demo_portfolio):
    base, log = api_process
    token = "eyJhY2NvdW50IjoxLCJhbW91bnQiOjUwMH0.c2lnbmF0dXJlLWhlcmU"
    with httpx.Client(base_url=base, timeout=10) as client:
        assert client.get("/pay", params={"t": token}).status_code == 400
        started = client.post(
            "/api/chat/conversations", json={"phone": demo_portfolio[0].phone_e164}
        )
        conversation_id, chat_token = started.json()["conversation_id"], started.json()["token"]
        client.get(
            f"/api/chat/conversations/{conversation_id}/messages",
            headers={"Authorization": f"Bearer {chat_token}"},
        )
    written = wait_for(
        lambda: "/messages" in log.read_text() and log.read_text(), what="the access log"
    )
    assert '"GET /pay?t=[redacted] HTTP/1.1" 400' in written
    assert "/api/chat/conversations/[redacted]/messages" in written
    for secret in (token, token[:20], conversation_id, chat_token):
        assert secret not in written
    assert stat.S_IMODE(log.stat().st_mode) == 0o600


@pytest.mark.parametrize(
    ("path", "logged"),
    [
        ("/pay?t=abc.def", "/pay?t=[redacted]"),
        ("/simulator/api/thread?phone=%2B8613800000004", "/simulator/api/thread?phone=[redacted]"),
        (
            "/api/chat/conversations/0123456789abcdef0123456789abcdef/messages",
            "/api/chat/conversations/[redacted]/messages",
        ),
        ("/api/console/escalations/12/claim", "/api/console/escalations/12/claim"),
        ("/assets/console.js", "/assets/console.js"),
    ],
)
def test_query_values_and_opaque_ids_are_redacted_and_the_rest_kept(path, logged):
    assert redact_path(path) == logged
