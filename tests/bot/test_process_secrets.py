"""The secrets between the processes are refused in production while they are placeholders."""

from __future__ import annotations

import pytest
from pydantic import SecretStr, ValidationError

from bot.settings import Settings

REAL = SecretStr("k3Jx9-real-secret-from-the-vault-Qp2")


def _production(**overrides: object) -> Settings:
    values: dict[str, object] = {
        "environment": "production",
        "rasa_token": REAL,
        "rasa_channel_token": REAL,
        "action_server_token": REAL,
        "verification_hash_key": REAL,
        "admin_api_token": REAL,
        "payment_link_secret": REAL,
        "twilio_account_sid": "AC0123456789abcdef0123456789abcdef",
        "twilio_auth_token": REAL,
        **overrides,
    }
    return Settings(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize("name", ["rasa_token", "rasa_channel_token", "action_server_token"])
@pytest.mark.parametrize("placeholder", ["dev-only-change-me", "change-me", ""])
def test_a_placeholder_secret_between_processes_stops_production(name, placeholder):
    with pytest.raises(ValidationError, match=name.upper()):
        _production(**{name: SecretStr(placeholder)})


def test_development_runs_with_the_placeholders():
    placeholder = SecretStr("dev-only-change-me")
    Settings(
        environment="development", rasa_channel_token=placeholder, action_server_token=placeholder
    )
