"""Every response carries the security headers, and the pages work under their policy."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from api.main import STATIC, create_app
from bot.devstack import free_port
from bot.rasa_client import RasaClient
from bot.settings import Environment


def _client(settings, sessions, **update):
    settings = settings.model_copy(update=update)
    rasa = RasaClient(f"http://127.0.0.1:{free_port()}", "token", timeout=1)
    return TestClient(create_app(settings, sessions=sessions, rasa=rasa))


@pytest.fixture
def client(settings, sessions):
    with _client(settings, sessions) as client:
        yield client


REQUESTS = [
    ("GET", "/chat", 200, "text/html"),
    ("GET", "/console", 200, "text/html"),
    ("GET", "/pay?t=not-a-token", 400, "text/html"),
    ("GET", "/assets/chat.js", 200, "javascript"),
    ("GET", "/assets/console.css", 200, "text/css"),
    ("GET", "/healthz", 200, "application/json"),
    ("GET", "/api/console/me", 401, "application/json"),
    ("POST", "/api/chat/conversations", 422, "application/json"),
    ("GET", "/no/such/page", 404, "application/json"),
    ("GET", "/openapi.json", 200, "application/json"),
]


@pytest.mark.parametrize(("method", "path", "status", "content_type"), REQUESTS)
def test_every_response_carries_the_security_headers(client, method, path, status, content_type):
    response = client.request(method, path, json={})
    assert response.status_code == status
    assert content_type in response.headers["content-type"]
    csp = response.headers["content-security-policy"]
    assert "default-src 'self'" in csp
    assert "script-src 'self';" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["x-content-type-options"] == "nosniff"
    # The test app's public address is plain http: no HSTS there.
    assert "strict-transport-security" not in response.headers


def test_hsts_is_sent_when_the_public_address_is_https(settings, sessions):
    with _client(settings, sessions, public_base_url="https://bank.example") as client:
        for path in ("/chat", "/healthz"):
            hsts = client.get(path).headers["strict-transport-security"]
            assert hsts.startswith("max-age=31536000")


def test_the_api_documentation_keeps_working_under_its_own_policy(client):
    response = client.get("/docs")
    assert response.status_code == 200
    csp = response.headers["content-security-policy"]
    assert "https://cdn.jsdelivr.net" in csp and "frame-ancestors 'none'" in csp
    assert response.headers["x-frame-options"] == "DENY"


@pytest.mark.parametrize("page", ["chat.html", "console.html", "simulator.html"])
def test_pages_have_nothing_inline_that_the_policy_would_block(page):
    html = (STATIC / page).read_text()
    assert "<style" not in html
    assert re.search(r"\sstyle=", html) is None
    assert re.search(r"\son[a-z]+=", html) is None
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
    assert scripts, "the page's behaviour comes from a script file"
    for attributes, body in scripts:
        assert 'src="/assets/' in attributes and body.strip() == ""
    for asset in re.findall(r'(?:src|href)="(/assets/[^"]+)"', html):
        assert (STATIC / asset.lstrip("/")).is_file()


def test_the_simulator_page_carries_the_headers_in_development(settings, sessions):
    with _client(settings, sessions, environment=Environment.DEVELOPMENT) as client:
        response = client.get("/simulator")
    assert response.status_code == 200
    assert response.headers["x-frame-options"] == "DENY"
    assert "script-src 'self';" in response.headers["content-security-policy"]
