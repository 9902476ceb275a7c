"""Rate limits (429 with Retry-After) and body size limits (413) as a client meets them."""

from __future__ import annotations

import secrets
import uuid
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import func, select
from twilio.request_validator import RequestValidator

from api.main import create_app
from api.request_limits import RateLimiter
from bot.conversations.models import Channel, Conversation, Message
from bot.devstack import free_port
from bot.rasa_client import RasaClient
from tests.conftest import first_in_stage

PUBLIC = "https://bank.example"
TWILIO_TOKEN = "twilio-test-token"


def _app(settings, sessions, **update):
    settings = settings.model_copy(update=update)
    rasa = RasaClient(f"http://127.0.0.1:{free_port()}", "token", timeout=1)
    return create_app(settings, sessions=sessions, rasa=rasa)


def _from(app, address):
    return TestClient(app, client=(address, 40000))


def _count(sessions, model, *where):
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


INBOUND = Message.direction == "inbound"


def _assert_limited(response):
    assert response.status_code == 429, response.text
    assert 0 < int(response.headers["retry-after"]) <= 3600
    error = response.json()["error"]
    assert error["code"] == "rate_limited"
    assert f"Try again in {response.headers['retry-after']} seconds" in error["message"]


def test_chat_starts_are_limited_per_address(settings, sessions, demo_portfolio):
    app = _app(settings, sessions, rate_limit_chat_starts_per_ip="3/minute")
    phones = [person.phone_e164 for person in demo_portfolio[:5]]
    with _from(app, "203.0.113.5") as noisy, _from(app, "198.51.100.1") as other:
        for phone in phones[:3]:
            assert noisy.post("/api/chat/conversations", json={"phone": phone}).status_code == 201
        _assert_limited(noisy.post("/api/chat/conversations", json={"phone": phones[3]}))
        # Bad input counts too: an address cannot probe numbers without limit.
        _assert_limited(noisy.post("/api/chat/conversations", json={"phone": "12"}))
        assert other.post("/api/chat/conversations", json={"phone": phones[4]}).status_code == 201
    assert _count(sessions, Conversation, Conversation.channel == Channel.WEB) == 4


def test_chat_starts_are_limited_per_phone_number_from_any_address(
    settings, sessions, demo_portfolio
):
    app = _app(settings, sessions, rate_limit_chat_starts_per_phone="2/hour")
    phone = demo_portfolio[0].phone_e164
    # The same number typed differently is the same number.
    typed = [phone, phone[:3] + " " + phone[3:], "00" + phone[1:]]
    for number, address in zip(typed, ("203.0.113.5", "203.0.113.6", "203.0.113.7"), strict=True):
        with _from(app, address) as client:
            response = client.post("/api/chat/conversations", json={"phone": number})
    _assert_limited(response)
    with _from(app, "203.0.113.8") as client:
        other = demo_portfolio[1].phone_e164
        assert client.post("/api/chat/conversations", json={"phone": other}).status_code == 201


def _sms(client, number, body="hi", token=TWILIO_TOKEN):
    params = {
        "MessageSid": f"SM{uuid.uuid4().hex}",
        "AccountSid": "ACtest",
        "From": number,
        "To": "+15005550006",
        "Body": body,
    }
    signature = RequestValidator(token).compute_signature(PUBLIC + "/webhooks/twilio/sms", params)
    return client.post(
        "/webhooks/twilio/sms", data=params, headers={"X-Twilio-Signature": signature}
    )


@pytest.fixture
def twilio_settings():
    return {
        "public_base_url": PUBLIC,
        "twilio_account_sid": "ACtest",
        "twilio_auth_token": SecretStr(TWILIO_TOKEN),
        # Sends go nowhere in these tests: nothing is ever due before they end.
        "twilio_api_base_url": f"http://127.0.0.1:{free_port()}",
    }


def test_webhooks_are_limited_per_address_forged_or_not(
    settings, sessions, demo_portfolio, twilio_settings
):
    app = _app(settings, sessions, **twilio_settings, rate_limit_webhooks_per_ip="4/minute")
    phone = first_in_stage(demo_portfolio, "M1").phone_e164
    with _from(app, "203.0.113.5") as flood, _from(app, "198.51.100.1") as twilio:
        for _ in range(2):
            assert _sms(flood, phone, token="forged").status_code == 403
            assert flood.post("/webhooks/twilio/status", data={}).status_code == 403
        _assert_limited(_sms(flood, phone))
        assert _sms(twilio, phone).status_code == 200
    assert _count(sessions, Message, INBOUND) == 1


def test_inbound_sms_is_limited_per_phone_once_the_signature_holds(
    settings, sessions, demo_portfolio, twilio_settings
):
    app = _app(settings, sessions, **twilio_settings, rate_limit_sms_per_phone="3/minute")
    phone = first_in_stage(demo_portfolio, "M1").phone_e164
    with _from(app, "198.51.100.1") as twilio:
        # Forged messages for the number do not use up its allowance.
        for _ in range(5):
            assert _sms(twilio, phone, token="forged").status_code == 403
        assert [_sms(twilio, phone).status_code for _ in range(3)] == [200, 200, 200]
        _assert_limited(_sms(twilio, phone))
        other = first_in_stage(demo_portfolio, "M2-M3").phone_e164
        assert _sms(twilio, other).status_code == 200
    assert _count(sessions, Message, INBOUND) == 4


def test_bad_payment_links_are_limited_per_address_and_good_ones_still_open(
    settings, sessions, demo_portfolio
):
    from bot.accounts.models import CardAccount
    from bot.payments.links import payment_link
    from bot.persistence import utcnow

    app = _app(settings, sessions, rate_limit_bad_payment_links_per_ip="3/minute")
    with sessions() as session:
        account_id = session.scalars(select(CardAccount.id)).first()
    good = payment_link(
        base_url="/pay",
        secret=settings.payment_link_secret.get_secret_value(),
        account_id=account_id,
        amount_minor=1000,
        currency="USD",
        now=utcnow(),
        ttl=timedelta(minutes=5),
    )
    with _from(app, "203.0.113.5") as guesser, _from(app, "198.51.100.1") as cardholder:
        assert guesser.get(good).status_code == 200  # good links are not counted
        for _ in range(3):
            assert guesser.get("/pay", params={"t": secrets.token_urlsafe(20)}).status_code == 400
        held = guesser.get(good)
        assert held.status_code == 429
        assert int(held.headers["retry-after"]) > 0
        assert "text/html" in held.headers["content-type"]
        assert f"try again in {held.headers['retry-after']} seconds" in held.text
        assert cardholder.get(good).status_code == 200


def test_redis_holds_the_counts_for_every_api_process(settings, sessions, demo_portfolio):
    """Two api instances on one Redis share the count (memory:// would give each its own)."""
    redis = {"redis_url": "redis://127.0.0.1:6379/0", "rate_limit_chat_starts_per_ip": "2/minute"}
    address = f"203.0.113.{secrets.randbelow(250) + 1}-{uuid.uuid4().hex[:8]}"
    first, second = _app(settings, sessions, **redis), _app(settings, sessions, **redis)
    phones = [person.phone_e164 for person in demo_portfolio[:3]]
    with _from(first, address) as one, _from(second, address) as two:
        assert one.post("/api/chat/conversations", json={"phone": phones[0]}).status_code == 201
        assert two.post("/api/chat/conversations", json={"phone": phones[1]}).status_code == 201
        _assert_limited(one.post("/api/chat/conversations", json={"phone": phones[2]}))
        _assert_limited(two.post("/api/chat/conversations", json={"phone": phones[2]}))


def test_tests_can_inject_their_own_limiter(settings, sessions, demo_portfolio):
    from limits import parse_many

    from api.request_limits import Rule

    limiter = RateLimiter({rule: parse_many("1/hour") for rule in Rule})
    rasa = RasaClient(f"http://127.0.0.1:{free_port()}", "token", timeout=1)
    app = create_app(settings, sessions=sessions, rasa=rasa, rate_limiter=limiter)
    with TestClient(app) as client:
        phone = demo_portfolio[0].phone_e164
        assert client.post("/api/chat/conversations", json={"phone": phone}).status_code == 201
        _assert_limited(client.post("/api/chat/conversations", json={"phone": phone}))


# Body size limits.


def _assert_too_large(response):
    assert response.status_code == 413, response.text
    assert response.json()["error"]["code"] == "body_too_large"


@pytest.fixture
def small_bodies(settings, sessions):
    app = _app(
        settings,
        sessions,
        max_body_bytes=1024,
        max_webhook_body_bytes=4096,
        max_upload_bytes=8192,
        admin_api_token=SecretStr("an-admin-token-long-enough-for-this-test"),
    )
    with TestClient(app) as client:
        yield client


def test_a_json_body_over_the_limit_is_refused_whether_or_not_it_declares_its_length(
    small_bodies, sessions
):
    body = b'{"phone": "+8613800000004", "pad": "' + b"x" * 2000 + b'"}'
    headers = {"Content-Type": "application/json"}
    _assert_too_large(small_bodies.post("/api/chat/conversations", content=body, headers=headers))

    def chunked():
        for start in range(0, len(body), 256):
            yield body[start : start + 256]

    response = small_bodies.post("/api/chat/conversations", content=chunked(), headers=headers)
    _assert_too_large(response)
    assert _count(sessions, Conversation) == 0


def test_a_json_body_within_the_limit_is_served(small_bodies, demo_portfolio):
    phone = demo_portfolio[0].phone_e164
    assert small_bodies.post("/api/chat/conversations", json={"phone": phone}).status_code == 201


def test_webhooks_have_their_own_larger_limit(small_bodies):
    # 3 KB: over the JSON limit, within the webhook limit (refused for its signature instead).
    within = {"From": "+8613800000004", "Body": "x" * 3000}
    assert small_bodies.post("/webhooks/twilio/sms", data=within).status_code == 403
    over = {"From": "+8613800000004", "Body": "x" * 5000}
    _assert_too_large(small_bodies.post("/webhooks/twilio/sms", data=over))


def test_feed_uploads_have_their_own_larger_limit(small_bodies):
    headers = {
        "Authorization": "Bearer an-admin-token-long-enough-for-this-test",
        "Content-Type": "text/csv",
    }
    within = small_bodies.post("/api/admin/portfolio/imports", content=b"x" * 6000, headers=headers)
    assert within.status_code == 422  # read whole, then refused as a feed

    def chunked():
        for _ in range(10):
            yield b"account_id,phone\n" * 60

    _assert_too_large(
        small_bodies.post("/api/admin/portfolio/imports", content=chunked(), headers=headers)
    )


def test_a_lost_redis_lets_requests_through_and_says_so(settings, sessions, demo_portfolio, caplog):
    # Nothing listens on this port: every count fails.
    unreachable = f"redis://127.0.0.1:{free_port()}/0"
    app = _app(settings, sessions, redis_url=unreachable, rate_limit_chat_starts_per_ip="1/hour")
    with TestClient(app) as client:
        for person in demo_portfolio[:2]:
            response = client.post("/api/chat/conversations", json={"phone": person.phone_e164})
            assert response.status_code == 201
    assert "rate limit store unavailable" in caplog.text
