"""Checking one row of the accounts feed and turning it into what is staged for the database."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any, NamedTuple

from pydantic import SecretStr

from bot.accounts.models import RiskTier
from bot.portfolio import fields
from bot.portfolio.fields import Invalid
from bot.portfolio.reading import FeedRecord
from bot.portfolio.rejections import CARD_NUMBER_REASON, CARD_NUMBER_WITHHELD, Rejection, shown
from bot.verification.facts import hash_date_of_birth

_LAST4 = re.compile(r"\d{4}")
_LOCALE = re.compile(r"[a-z]{2,3}(?:-[A-Z]{2})?")
_EARLIEST_BIRTH = date(1900, 1, 1)


class StagedAccount(NamedTuple):
    """A valid accounts row, ready for the staging table (columns in this order)."""

    source_row: int
    account_ref: str
    cardholder_ref: str
    full_name: str
    phone_e164: str
    time_zone: str
    locale: str
    dob_hash: str
    card_last4: str
    currency: str
    credit_limit_minor: int
    statement_balance_minor: int
    minimum_due_minor: int
    overdue_amount_minor: int
    due_date: date
    days_past_due: int
    as_of: date
    risk_tier: str
    behaviour_score: int | None
    deceased: bool
    bankruptcy: bool
    charged_off: bool
    closed: bool
    contact_hours: str | None
    digest: str


def derived_risk_tier(days_past_due: int, overdue_minor: int, score: int | None) -> RiskTier:
    """The tier when the bank sends none: from DPD, overdue amount and behaviour score."""
    if days_past_due > 60 or (score is not None and score < 500):
        return RiskTier.HIGH
    if days_past_due > 15 or overdue_minor > 500_000 or (score is not None and score < 650):
        return RiskTier.MEDIUM
    return RiskTier.LOW


class AccountRowChecker:
    """Checks accounts rows; date of birth leaves this class only as a keyed hash."""

    def __init__(self, *, hash_key: SecretStr, today: date) -> None:
        self._hash_key = hash_key
        self._latest_feed_date = today + timedelta(days=1)

    @property
    def latest_feed_date(self) -> date:
        """The latest as_of a row may have (tomorrow: the bank's day may be ahead of ours)."""
        return self._latest_feed_date

    def check(self, record: FeedRecord) -> tuple[StagedAccount | None, list[Rejection]]:
        """The staged row, or every reason the row is refused."""
        values = {name: value.strip() for name, value in record.values.items()}
        card_columns = fields.columns_with_card_numbers(values)
        if card_columns:
            return None, _card_number_rejections(record.row, card_columns)
        try:
            return self._staged(record.row, self._parsed_if_valid(values)), []
        except Invalid:
            return self._every_problem(record.row, values)

    def full_check(self, record: FeedRecord) -> tuple[StagedAccount | None, list[Rejection]]:
        """What `check` gives, found the slow way: every column checked and every reason kept."""
        values = {name: value.strip() for name, value in record.values.items()}
        card_columns = fields.columns_with_card_numbers(values)
        if card_columns:
            return None, _card_number_rejections(record.row, card_columns)
        return self._every_problem(record.row, values)

    def _parsed_if_valid(self, values: dict[str, str]) -> dict[str, Any]:
        """Every value parsed, or Invalid at the first problem.

        Most rows are valid, so they are checked in one straight pass by the same parsers and
        cross-checks `_every_problem` uses; a row failing any goes to `_every_problem`, which finds
        every reason. A test holds `check` and `full_check` to the same answer on every kind of row.
        """
        get = values.get
        code = fields.currency(get("currency", ""))
        parsed: dict[str, Any] = {
            "account_id": fields.text(get("account_id", ""), max_length=64),
            "cardholder_id": fields.text(get("cardholder_id", ""), max_length=64),
            "full_name": fields.text(get("full_name", ""), max_length=200),
            "phone": fields.e164(get("phone", "")),
            "time_zone": fields.time_zone(get("time_zone", "")),
            "locale": locale(get("locale", "")),
            "currency": code,
            "credit_limit": fields.amount_minor(get("credit_limit", ""), code),
            "statement_balance": fields.amount_minor(get("statement_balance", ""), code),
            "minimum_due": fields.amount_minor(get("minimum_due", ""), code),
            "overdue_amount": fields.amount_minor(get("overdue_amount", ""), code),
            "card_last4": _last4(get("card_last4", "")),
            "due_date": fields.iso_date(get("due_date", "")),
            "as_of": self._feed_date(get("as_of", "")),
            "date_of_birth": fields.iso_date(get("date_of_birth", "")),
            "days_past_due": fields.whole_number(get("days_past_due", ""), maximum=99_999),
            "behaviour_score": _score(get("behaviour_score", "")),
            "risk_tier": _risk_tier(get("risk_tier", "")),
            "deceased": fields.flag(get("deceased", "")),
            "bankruptcy": fields.flag(get("bankruptcy", "")),
            "charged_off": fields.flag(get("charged_off", "")),
            "closed": fields.flag(get("closed", "")),
            "contact_hours": fields.contact_hours(get("contact_hours", "")),
        }
        if self._cross_checks(0, values, parsed):
            raise Invalid("a cross-check failed")
        return parsed

    def _every_problem(
        self, row: int, values: dict[str, str]
    ) -> tuple[StagedAccount | None, list[Rejection]]:
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
        take("cardholder_id", lambda v: fields.text(v, max_length=64))
        take("full_name", lambda v: fields.text(v, max_length=200))
        take("phone", fields.e164)
        take("time_zone", fields.time_zone)
        take("locale", locale)
        take("currency", fields.currency)
        code = parsed.get("currency")
        for column in ("credit_limit", "statement_balance", "minimum_due", "overdue_amount"):
            take(column, lambda v: fields.amount_minor(v, code))
        take("card_last4", _last4)
        take("due_date", fields.iso_date)
        take("as_of", self._feed_date)
        take("date_of_birth", fields.iso_date)
        take("days_past_due", lambda v: fields.whole_number(v, maximum=99_999))
        take("behaviour_score", _score)
        take("risk_tier", _risk_tier)
        for column in ("deceased", "bankruptcy", "charged_off", "closed"):
            take(column, fields.flag)
        take("contact_hours", fields.contact_hours)
        problems.extend(self._cross_checks(row, values, parsed))
        if problems:
            return None, problems
        return self._staged(row, parsed), []

    def _feed_date(self, value: str) -> date:
        day = fields.iso_date(value)
        if day > self._latest_feed_date:
            raise Invalid("as_of is in the future")
        return day

    def _cross_checks(
        self, row: int, values: dict[str, str], parsed: dict[str, Any]
    ) -> list[Rejection]:
        problems = []
        balance, minimum = parsed.get("statement_balance"), parsed.get("minimum_due")
        if balance is not None and minimum is not None and minimum > balance:
            problems.append(
                Rejection(
                    row,
                    "minimum_due",
                    shown("minimum_due", values["minimum_due"]),
                    "above the statement balance",
                )
            )
        birth, as_of = parsed.get("date_of_birth"), parsed.get("as_of")
        if birth is not None and as_of is not None and not _EARLIEST_BIRTH <= birth < as_of:
            problems.append(
                Rejection(row, "date_of_birth", shown("date_of_birth", "x" * 10), "not plausible")
            )
        dpd, due = parsed.get("days_past_due"), parsed.get("due_date")
        overdue = parsed.get("overdue_amount")
        if dpd is None or due is None or as_of is None or overdue is None:
            return problems
        reason = _days_past_due_problem(dpd, due, as_of, overdue)
        if reason:
            problems.append(
                Rejection(row, "days_past_due", shown("", values["days_past_due"]), reason)
            )
        return problems

    def _staged(self, row: int, parsed: dict[str, Any]) -> StagedAccount:
        dob_hash = hash_date_of_birth(
            self._hash_key,
            cardholder_ref=parsed["cardholder_id"],
            date_of_birth=parsed.pop("date_of_birth"),
        )
        tier = parsed["risk_tier"] or derived_risk_tier(
            parsed["days_past_due"], parsed["overdue_amount"], parsed["behaviour_score"]
        )
        content = (
            parsed["account_id"],
            parsed["cardholder_id"],
            parsed["full_name"],
            parsed["phone"],
            parsed["time_zone"],
            parsed["locale"],
            dob_hash,
            parsed["card_last4"],
            parsed["currency"],
            parsed["credit_limit"],
            parsed["statement_balance"],
            parsed["minimum_due"],
            parsed["overdue_amount"],
            parsed["due_date"],
            parsed["days_past_due"],
            parsed["as_of"],
            str(tier),
            parsed["behaviour_score"],
            parsed["deceased"],
            parsed["bankruptcy"],
            parsed["charged_off"],
            parsed["closed"],
        )
        hours = parsed["contact_hours"]
        # Stated hours join the digest only when there are some, so a row without them keeps the
        # digest it had before the column existed (a re-import stays `unchanged`).
        digested = (*content, hours) if hours else content
        # SHA-256 because PostgreSQL computes the same digest for the rows it checks itself.
        digest = hashlib.sha256("\x1f".join(map(str, digested)).encode()).hexdigest()
        return StagedAccount(row, *content, hours, digest)


def _days_past_due_problem(dpd: int, due: date, as_of: date, overdue: int) -> str | None:
    if dpd == 0:
        return "days past due is 0 but an amount is overdue" if overdue > 0 else None
    if overdue == 0:
        return "days past due is above 0 but nothing is overdue"
    expected = (as_of - due).days
    if expected != dpd:
        return (
            f"does not match due_date and as_of: {due.isoformat()} to {as_of.isoformat()} "
            f"is {max(expected, 0)} days past due"
        )
    return None


def locale(value: str) -> str:
    """A language or language-REGION tag; empty is en."""
    if not value:
        return "en"
    if not _LOCALE.fullmatch(value):
        raise Invalid("not a locale such as en, en-US or zh-CN")
    return value


def _last4(value: str) -> str:
    if not _LAST4.fullmatch(value):
        raise Invalid("not exactly 4 digits")
    return value


def _score(value: str) -> int | None:
    return fields.whole_number(value, maximum=1000) if value else None


def _risk_tier(value: str) -> RiskTier | None:
    if not value:
        return None
    try:
        return RiskTier(value.lower())
    except ValueError:
        raise Invalid("not low, medium or high") from None


def _card_number_rejections(row: int, columns: list[str]) -> list[Rejection]:
    return [Rejection(row, column, CARD_NUMBER_WITHHELD, CARD_NUMBER_REASON) for column in columns]
