"""The columns of each feed: names, whether required, format and an example (documented in
examples/portfolio/README.md, which a test keeps in step with this module)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.portfolio.models import FeedKind


@dataclass(frozen=True)
class FeedColumn:
    name: str
    required: bool
    format: str
    example: str


ACCOUNT_COLUMNS = (
    FeedColumn("account_id", True, "the bank's account id, 1-64 characters", "ACC-000101"),
    FeedColumn("cardholder_id", True, "the bank's cardholder id, 1-64 characters", "CH-000101"),
    FeedColumn("full_name", True, "1-200 characters", "Alice Walker"),
    FeedColumn("phone", True, "E.164: + and 7-15 digits, no spaces", "+12025550101"),
    FeedColumn("time_zone", True, "IANA time zone", "America/New_York"),
    FeedColumn("locale", False, "language-REGION, default en", "en-US"),
    FeedColumn("date_of_birth", True, "YYYY-MM-DD; stored only as a keyed hash", "1984-03-07"),
    FeedColumn("card_last4", True, "exactly 4 digits", "4417"),
    FeedColumn("currency", True, "CNY, USD, HKD, EUR or GBP", "USD"),
    FeedColumn("credit_limit", True, "decimal, at most 2 places, no sign", "5000.00"),
    FeedColumn("statement_balance", True, "decimal, at most 2 places, no sign", "1830.45"),
    FeedColumn("minimum_due", True, "decimal <= statement_balance", "183.05"),
    FeedColumn("overdue_amount", True, "decimal, at most 2 places, no sign", "183.05"),
    FeedColumn("due_date", True, "YYYY-MM-DD: the oldest unpaid due date", "2026-11-08"),
    FeedColumn("days_past_due", True, "whole number: as_of - due_date when overdue", "12"),
    FeedColumn("as_of", True, "YYYY-MM-DD: the date the figures are true on", "2026-11-20"),
    FeedColumn("behaviour_score", False, "whole number 0-1000", "640"),
    FeedColumn("risk_tier", False, "low, medium or high; derived when empty", "medium"),
    FeedColumn("deceased", False, "true/false (also yes/no, y/n, 1/0); empty = false", "false"),
    FeedColumn("bankruptcy", False, "true/false; empty = false", "false"),
    FeedColumn("charged_off", False, "true/false; empty = false", "false"),
    FeedColumn("closed", False, "true/false; empty = false", "false"),
    FeedColumn(
        "contact_hours",
        False,
        "HH:MM-HH:MM in the cardholder's time_zone, start before end; empty = no preference",
        "18:00-20:00",
    ),
)

PAYMENT_COLUMNS = (
    FeedColumn("account_id", True, "the bank's account id of a known account", "ACC-000101"),
    FeedColumn("amount", True, "decimal above 0, at most 2 places, no sign", "183.05"),
    FeedColumn("currency", True, "the account's currency", "USD"),
    FeedColumn("paid_at", True, "ISO 8601 with offset", "2026-11-21T09:30:00-05:00"),
    FeedColumn("reference", True, "the bank's unique payment reference", "PAY-20261121-0001"),
)

COLUMNS: dict[FeedKind, tuple[FeedColumn, ...]] = {
    FeedKind.ACCOUNTS: ACCOUNT_COLUMNS,
    FeedKind.PAYMENTS: PAYMENT_COLUMNS,
}


def required_columns(kind: FeedKind) -> list[str]:
    """The names a file of `kind` must have."""
    return [column.name for column in COLUMNS[kind] if column.required]


def known_columns(kind: FeedKind) -> set[str]:
    """Every name a file of `kind` may have; others are reported and ignored."""
    return {column.name for column in COLUMNS[kind]}
