"""Checking one row of the payments feed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

from bot.portfolio import fields
from bot.portfolio.fields import Invalid
from bot.portfolio.reading import FeedRecord
from bot.portfolio.rejections import CARD_NUMBER_REASON, CARD_NUMBER_WITHHELD, Rejection, shown

# Clocks differ a little between the bank's systems and this one.
_CLOCK_SKEW = timedelta(minutes=5)


class StagedPayment(NamedTuple):
    """A valid payments row, ready for the staging table (columns in this order)."""

    source_row: int
    account_ref: str
    amount_minor: int
    currency: str
    paid_at: datetime
    reference: str


class PaymentRowChecker:
    """Checks payments rows; that the account exists is checked against the database later."""

    def __init__(self, *, now: datetime) -> None:
        self._latest = now + _CLOCK_SKEW

    def check(self, record: FeedRecord) -> tuple[StagedPayment | None, list[Rejection]]:
        """The staged row, or every reason the row is refused."""
        values = {name: value.strip() for name, value in record.values.items()}
        row = record.row
        card_columns = fields.columns_with_card_numbers(values)
        if card_columns:
            return None, [
                Rejection(row, column, CARD_NUMBER_WITHHELD, CARD_NUMBER_REASON)
                for column in card_columns
            ]
        problems: list[Rejection] = []
        parsed: dict[str, Any] = {}

        def take(column: str, parse: Callable[[str], Any]) -> None:
            value = values.get(column, "")
            try:
                parsed[column] = parse(value)
            except Invalid as reason:
                why = str(reason) if column in values else "the column is missing from this row"
                problems.append(Rejection(row, column, shown(column, value), why))

        take("account_id", lambda v: fields.text(v, max_length=64))
        take("currency", fields.currency)
        code = parsed.get("currency")
        take("amount", lambda v: fields.amount_minor(v, code, positive=True))
        take("paid_at", self._paid_at)
        take("reference", lambda v: fields.text(v, max_length=64))
        if problems:
            return None, problems
        return StagedPayment(
            row,
            parsed["account_id"],
            parsed["amount"],
            parsed["currency"],
            parsed["paid_at"],
            parsed["reference"],
        ), []

    def _paid_at(self, value: str) -> datetime:
        instant = fields.aware_datetime(value).astimezone(UTC)
        if instant > self._latest:
            raise Invalid("paid_at is in the future")
        return instant
