"""The production guard: what ENVIRONMENT means, and what production refuses to start with."""

from __future__ import annotations

import secrets

import pytest
from pydantic import ValidationError

from bot.settings import Environment, Settings


def strong() -> str:
    return secrets.token_urlsafe(32)


def production(**overrides: str) -> Settings:
    """Settings as a production deployment would give them, with `overrides` applied."""
    values = {
        "environment": "production",
        "rasa_token": strong(),
        "rasa_channel_token": strong(),
        "action_server_token": strong(),
        "verification_hash_key": strong(),
        "admin_api_token": strong(),
        "payment_link_secret": strong(),
        "twilio_account_sid": "AC" + secrets.token_hex(16),
        "twilio_auth_token": secrets.token_hex(16),
        **overrides,
    }
    return Settings(_env_file=None, **values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("name", "meaning"),
    [
        ("production", Environment.PRODUCTION),
        ("Production", Environment.PRODUCTION),
        (" production", Environment.PRODUCTION),
        ("PROD\n", Environment.PRODUCTION),
        ("prod", Environment.PRODUCTION),
        ("Development", Environment.DEVELOPMENT),
        ("dev", Environment.DEVELOPMENT),
        ("TEST", Environment.TEST),
    ],
)
def test_environment_names_are_read_whatever_their_case_or_spacing(name, meaning):
    if meaning is Environment.PRODUCTION:
        assert production(environment=name).environment is meaning
    else:
        assert Settings(_env_file=None, environment=name).environment is meaning  # type: ignore[call-arg]


@pytest.mark.parametrize("name", [" Production", "prod"])
def test_every_spelling_of_production_refuses_the_placeholder_secrets(name):
    with pytest.raises(ValidationError, match="RASA_TOKEN is not set or still the placeholder"):
        Settings(_env_file=None, environment=name)  # type: ignore[call-arg]


@pytest.mark.parametrize("name", ["staging", "prodution", ""])
def test_an_unknown_environment_refuses_to_start_and_lists_the_accepted_names(name):
    with pytest.raises(ValidationError) as refused:
        Settings(_env_file=None, environment=name)  # type: ignore[call-arg]
    message = str(refused.value)
    assert "is not one of" in message
    for accepted in ("development", "test", "production", "prod"):
        assert accepted in message


def test_production_starts_with_strong_secrets_and_twilio():
    settings = production()
    assert settings.environment is Environment.PRODUCTION
    assert not settings.simulator_enabled


@pytest.mark.parametrize(
    "secret",
    [
        "rasa_token",
        "rasa_channel_token",
        "action_server_token",
        "verification_hash_key",
        "admin_api_token",
        "payment_link_secret",
    ],
)
@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("x", "too weak"),
        ("x" * 64, "too weak"),
        ("abab" * 16, "too weak"),
        ("a-short-but-varied-secret", "too weak"),
        ("dev-only-change-me", "placeholder"),
        ("change-me", "placeholder"),
        ("", "placeholder"),
    ],
)
def test_production_refuses_weak_or_placeholder_secrets(secret, value, why):
    with pytest.raises(ValidationError) as refused:
        production(**{secret: value})
    message = str(refused.value)
    assert f"{secret.upper()} is" in message and why in message
    assert "32 characters" in message or why == "placeholder"


def test_a_refusal_never_prints_the_secrets_it_was_given():
    leaked = "Zq" + secrets.token_urlsafe(8)
    with pytest.raises(ValidationError) as refused:
        production(admin_api_token=leaked)
    assert leaked not in str(refused.value)


@pytest.mark.parametrize(
    ("overrides", "missing"),
    [
        ({"twilio_account_sid": ""}, "TWILIO_ACCOUNT_SID is not set"),
        ({"twilio_auth_token": ""}, "TWILIO_AUTH_TOKEN is not set"),
    ],
)
def test_production_refuses_to_start_without_twilio(overrides, missing):
    with pytest.raises(ValidationError, match=missing):
        production(**overrides)


def test_the_published_simulator_token_signs_webhooks_only_in_development():
    development = Settings(_env_file=None, environment="development")  # type: ignore[call-arg]
    test = Settings(_env_file=None, environment="test")  # type: ignore[call-arg]
    assert development.simulator_enabled and development.webhook_auth_token
    assert not test.simulator_enabled and test.webhook_auth_token is None
    assert production().webhook_auth_token != development.webhook_auth_token
