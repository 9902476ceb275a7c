"""One settings object for every process, read from the environment and `.env`."""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.handoff.hours import BusinessHours
from bot.plans.products import PlanProducts

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# Values that ship in .env.example and the code; refused outside development.
_PLACEHOLDER_SECRETS = {"change-me", "dev-only-change-me", ""}
# Signs the simulator's webhook calls exactly as Twilio signs real ones; not a secret.
SIMULATOR_AUTH_TOKEN = "simulator-local-token"


class Settings(BaseSettings):
    """Configuration of the api, the action server and the command-line tools."""

    model_config = SettingsConfigDict(
        env_file=PROJECT_ROOT / ".env", env_file_encoding="utf-8", extra="ignore"
    )

    environment: str = Field(default="development", description="development, test or production")
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

    @property
    def twilio_configured(self) -> bool:
        return bool(self.twilio_account_sid and self.twilio_auth_token.get_secret_value())

    @property
    def webhook_auth_token(self) -> str:
        """The token Twilio webhooks are signed with: Twilio's, or the simulator's local one."""
        if self.twilio_configured:
            return self.twilio_auth_token.get_secret_value()
        return SIMULATOR_AUTH_TOKEN

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

    @model_validator(mode="after")
    def _refuse_placeholder_secrets(self) -> Settings:
        if self.environment == "production":
            for name in (
                "rasa_token",
                "rasa_channel_token",
                "action_server_token",
                "verification_hash_key",
                "admin_api_token",
                "payment_link_secret",
            ):
                if getattr(self, name).get_secret_value() in _PLACEHOLDER_SECRETS:
                    raise ValueError(f"{name.upper()} must be set to a real secret in production")
        return self


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, built on first use (never at import)."""
    return Settings()
