"""One settings object for every process, read from the environment and `.env`."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Any

from limits import parse_many
from pydantic import Field, SecretStr, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.handoff.hours import BusinessHours
from bot.plans.products import PlanProducts

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# Values that ship in .env.example and the code; refused in production.
_PLACEHOLDER_SECRETS = {"change-me", "dev-only-change-me", ""}
# What production asks of every secret: long, and not a few characters repeated.
MIN_SECRET_LENGTH = 32
MIN_SECRET_DISTINCT_CHARACTERS = 8
# Signs the simulator's webhook calls exactly as Twilio signs real ones; published in this
# source, so it opens the webhooks only in development.
SIMULATOR_AUTH_TOKEN = "simulator-local-token"


class Environment(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


# Every spelling ENVIRONMENT may take (after trimming and casefolding), and what it means.
_ENVIRONMENT_NAMES = {
    "development": Environment.DEVELOPMENT,
    "dev": Environment.DEVELOPMENT,
    "test": Environment.TEST,
    "testing": Environment.TEST,
    "production": Environment.PRODUCTION,
    "prod": Environment.PRODUCTION,
}


class Settings(BaseSettings):
    """Configuration of the api, the action server and the command-line tools."""

    model_config = SettingsConfigDict(
        env_file=PROJECT_ROOT / ".env",
        env_file_encoding="utf-8",
        extra="ignore",
        # A refusal must not print the values it was given: they include the secrets.
        hide_input_in_errors=True,
    )

    environment: Environment = Field(
        default=Environment.DEVELOPMENT, description="development, test or production"
    )
    database_url: str = f"sqlite:///{PROJECT_ROOT / 'var' / 'collections.db'}"

    rasa_url: str = "http://127.0.0.1:5005"
    # Rasa's HTTP API (--auth-token): trackers and events, used to resume after a hand-off.
    rasa_token: SecretStr = SecretStr("dev-only-change-me")
    # Sent by the api to Rasa's input channel (rasa_channels/): only the api drives a turn.
    rasa_channel_token: SecretStr = SecretStr("dev-only-change-me")
    rasa_timeout_seconds: float = 30.0
    action_server_url: str = "http://127.0.0.1:5055/webhook"
    # Sent by Rasa to the action server (endpoints.yml): only Rasa runs actions.
    action_server_token: SecretStr = SecretStr("dev-only-change-me")
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    public_base_url: str = "http://127.0.0.1:8000"

    # Keys the date of birth hash; rotating it invalidates every stored verification fact.
    verification_hash_key: SecretStr = SecretStr("dev-only-change-me")
    max_verification_attempts: int = 3
    # A web chat proves it holds the phone with a one-time code sent there by SMS.
    possession_code_ttl_minutes: int = 10
    possession_code_max_attempts: int = 5
    possession_codes_per_hour: int = 3
    # A web chat's token, and a verified SMS conversation, end after this long without activity
    # or this long in all.
    session_idle_minutes: int = 30
    session_max_hours: int = 12

    # SMS over Twilio; without an account SID and auth token the local simulator stands in.
    twilio_account_sid: str = ""
    twilio_auth_token: SecretStr = SecretStr("")
    twilio_from_number: str = "+15005550006"
    twilio_messaging_service_sid: str = ""
    # Only for tests and staging: where the Twilio client sends instead of Twilio's API.
    twilio_api_base_url: str = ""
    sms_segments_per_second: float = 1.0
    sms_max_send_attempts: int = 6

    # Bearer token for machine clients of the admin API (portfolio feeds, reminder runs).
    admin_api_token: SecretStr = SecretStr("dev-only-change-me")

    # The dialogue model's confidence at or above which a consequential intent (opt-out in words,
    # wrong number, dispute, a yes that records a promise or accepts a plan) acts without asking
    # first (bot/conversations/understanding.py). Keywords and buttons always act.
    consequential_intent_confidence: float = Field(default=0.85, ge=0.0, le=1.0)

    # Promises to pay: how far ahead a promised date may be.
    promise_horizon_days: int = 14
    # Instalment plans: the product table and who may have one (stage values as in
    # bot/accounts/stages.py; amounts in major units).
    plan_terms_months: str = "3,6,12,24"
    plan_monthly_fee_rate: Decimal = Decimal("0.006")
    plan_min_amount: Decimal = Decimal("100.00")
    plan_stages: str = "m1,m2_m3,m4_plus"
    plan_excluded_risk_tiers: str = ""
    # Payment links to the bank's payment page (default: the demo page this api serves).
    payment_link_base_url: str = ""
    payment_link_secret: SecretStr = SecretStr("dev-only-change-me")
    payment_link_ttl_minutes: int = 1440

    bank_name: str = "Harbour Bank"
    bank_phone: str = "+1 800 555 0100"
    # The collection team's hours, in its own zone; cardholders are told times in theirs.
    handoff_business_hours: str = "Mon-Fri 09:00-18:00"
    handoff_time_zone: str = "Asia/Shanghai"
    # Minutes within which a person should answer a case during business hours.
    handoff_sla_minutes: int = 30
    pre_due_days: int = 5

    # Reminders and the send gate. The strategy file holds stages, tiers, cadence, templates,
    # contact windows, caps, holidays and the promise grace and tolerance (validated at start).
    contact_strategy_file: str = "config/contact_strategy.yml"
    # The regulator's profile in the strategy file (cn, us); the bank's stricter rules also hold.
    contact_policy_profile: str = "cn"
    # How often the api plans reminders; 0 turns the scheduler off (tests, or an external cron).
    reminder_interval_seconds: float = 300.0

    # Rate limits, in the `limits` library's notation ("10/minute;60/hour", "5 per 15 minutes").
    # Counted in Redis when REDIS_URL is set (shared by every api process), else in memory.
    redis_url: str = ""
    rate_limit_chat_starts_per_ip: str = "10/minute;60/hour"
    rate_limit_chat_starts_per_phone: str = "10/hour"
    # Every sign-in attempt costs an Argon2 hash, so attempts per address are capped too.
    rate_limit_logins_per_ip: str = "60/minute"
    # Wrong passwords shut out the address that sent them, not the collector's account.
    rate_limit_login_failures_per_ip: str = "20 per 15 minutes"
    rate_limit_login_failures_per_ip_and_user: str = "5 per 15 minutes"
    rate_limit_webhooks_per_ip: str = "600/minute"
    # Signed inbound SMS from one phone number.
    rate_limit_sms_per_phone: str = "20/minute;300/day"
    rate_limit_bad_payment_links_per_ip: str = "10 per 10 minutes"
    # Request body sizes in bytes: JSON calls, form-encoded webhooks, feed file uploads.
    max_body_bytes: int = Field(default=64 * 1024, gt=0)
    max_webhook_body_bytes: int = Field(default=256 * 1024, gt=0)
    max_upload_bytes: int = Field(default=1024 * 1024 * 1024, gt=0)

    def rate_limit(self, name: str) -> str:
        """The limit called `name` (e.g. `chat_starts_per_ip`), as written in the settings."""
        return str(getattr(self, f"rate_limit_{name}"))

    @property
    def twilio_configured(self) -> bool:
        return bool(self.twilio_account_sid and self.twilio_auth_token.get_secret_value())

    @property
    def simulator_enabled(self) -> bool:
        """The local SMS simulator stands in for Twilio only in development."""
        return self.environment is Environment.DEVELOPMENT and not self.twilio_configured

    @property
    def webhook_auth_token(self) -> str | None:
        """The token webhooks are signed with: Twilio's, the simulator's, or None (refuse all)."""
        if self.twilio_configured:
            return self.twilio_auth_token.get_secret_value()
        return SIMULATOR_AUTH_TOKEN if self.simulator_enabled else None

    def plan_products(self) -> PlanProducts:
        def names(text: str) -> frozenset[str]:
            return frozenset(part.strip() for part in text.split(",") if part.strip())

        return PlanProducts(
            terms_months=tuple(int(m) for m in self.plan_terms_months.split(",")),
            monthly_fee_rate=self.plan_monthly_fee_rate,
            min_principal_minor=int(self.plan_min_amount * 100),
            stages=names(self.plan_stages),
            excluded_risk_tiers=names(self.plan_excluded_risk_tiers),
        )

    @property
    def payment_page_url(self) -> str:
        return self.payment_link_base_url or self.public_base_url.rstrip("/") + "/pay"

    def business_hours(self) -> BusinessHours:
        return BusinessHours.parse(self.handoff_business_hours, self.handoff_time_zone)

    @model_validator(mode="after")
    def _check_business_hours(self) -> Settings:
        try:
            self.business_hours()
        except (ValueError, KeyError) as error:
            raise ValueError(f"HANDOFF_BUSINESS_HOURS / HANDOFF_TIME_ZONE: {error}") from error
        return self

    @field_validator("redis_url")
    @classmethod
    def _redis_url(cls, value: str) -> str:
        if value and not value.startswith(("redis://", "rediss://", "redis+unix://")):
            raise ValueError("REDIS_URL must be a redis:// or rediss:// URL")
        return value

    @field_validator("*")
    @classmethod
    def _rate_limit_notation(cls, value: Any, info: ValidationInfo) -> Any:
        if info.field_name and info.field_name.startswith("rate_limit_"):
            try:
                parse_many(value)
            except ValueError:
                raise ValueError(
                    f"{info.field_name.upper()}={value!r} is not a rate limit like "
                    "'10/minute;60/hour'"
                ) from None
        return value

    @field_validator("environment", mode="before")
    @classmethod
    def _environment_name(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        name = value.strip().casefold()
        if name not in _ENVIRONMENT_NAMES:
            accepted = ", ".join(sorted(_ENVIRONMENT_NAMES))
            raise ValueError(f"ENVIRONMENT={value!r} is not one of: {accepted}")
        return _ENVIRONMENT_NAMES[name]

    @model_validator(mode="after")
    def _production_needs_real_secrets(self) -> Settings:
        """Production starts only with strong secrets and real Twilio credentials."""
        if self.environment is not Environment.PRODUCTION:
            return self
        problems = [
            problem
            for name in _SECRETS
            if (problem := _weak_secret(name, getattr(self, name).get_secret_value()))
        ]
        if not self.twilio_account_sid.strip():
            problems.append(
                "TWILIO_ACCOUNT_SID is not set (production answers SMS only through Twilio)"
            )
        if problems:
            raise ValueError("refusing to start in production: " + "; ".join(problems))
        return self


# Every secret setting; production refuses placeholders and weak values for each.
_SECRETS = (
    "rasa_token",
    "rasa_channel_token",
    "action_server_token",
    "verification_hash_key",
    "admin_api_token",
    "payment_link_secret",
    "twilio_auth_token",
)


def _weak_secret(name: str, value: str) -> str | None:
    """Why `value` cannot be the secret `name` in production, or None when it can."""
    env_name = name.upper()
    if value.strip() in _PLACEHOLDER_SECRETS:
        return f"{env_name} is not set or still the placeholder"
    if len(value) < MIN_SECRET_LENGTH or len(set(value)) < MIN_SECRET_DISTINCT_CHARACTERS:
        return (
            f"{env_name} is too weak (it needs at least {MIN_SECRET_LENGTH} characters, "
            f"at least {MIN_SECRET_DISTINCT_CHARACTERS} of them different, e.g. "
            "`python -c 'import secrets; print(secrets.token_urlsafe(32))'`)"
        )
    return None


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, built on first use (never at import)."""
    return Settings()
