"""Parsing one feed value at a time, each with a specific reason when it is refused."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.masking import find_card_numbers
from bot.money import minor_digits
from bot.reminders.strategy import HOURS_PATTERN, Window

SUPPORTED_CURRENCIES = ("CNY", "USD", "HKD", "EUR", "GBP")
_AMOUNT = re.compile(r"\d{1,15}(?:\.\d+)?")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# Amounts with no more decimals than the currency has, by its minor digits.
_PLAIN_AMOUNTS = {d: re.compile(rf"(\d{{1,15}})(?:\.(\d{{1,{d}}}))?") for d in (1, 2, 3)}
_E164 = re.compile(r"\+[1-9]\d{6,14}")
_WHOLE = re.compile(r"\d{1,7}")
_HOURS = re.compile(HOURS_PATTERN)
_BOOLEANS = {"": False, "false": False, "no": False, "n": False, "0": False}
_BOOLEANS |= {"true": True, "yes": True, "y": True, "1": True}
# Card numbers are looked for in a whole row at once; NUL never occurs in text and stops a
# number running from one field into the next.
_FIELD_SEPARATOR = "\x00"
_SHORTEST_CARD_NUMBER = 13


class Invalid(ValueError):
    """A value is refused; the message is the reason a person reads."""


def columns_with_card_numbers(values: dict[str, str]) -> list[str]:
    """The columns of a row holding something that looks like a full card number."""
    # A card number needs at least 13 characters, so shorter values (most of a row) are skipped.
    long_values = [value for value in values.values() if len(value) >= _SHORTEST_CARD_NUMBER]
    if not long_values or not find_card_numbers(_FIELD_SEPARATOR.join(long_values)):
        return []
    return [column for column, value in values.items() if find_card_numbers(value)]


def text(value: str, *, max_length: int) -> str:
    """A required piece of text without control characters."""
    if not value:
        raise Invalid("required value is empty")
    if len(value) > max_length:
        raise Invalid(f"longer than {max_length} characters")
    if not value.isprintable():
        raise Invalid("contains a line break or another control character")
    return value


def amount_minor(value: str, currency: str | None, *, positive: bool = False) -> int:
    """A non-negative decimal amount as integer minor units (parsed with Decimal, never float)."""
    if not value:
        raise Invalid("required value is empty")
    if value.startswith("-") and _AMOUNT.fullmatch(value[1:]):
        raise Invalid("negative amounts are not allowed")
    if not _AMOUNT.fullmatch(value):
        raise Invalid("not a decimal amount (digits, optionally . and decimals; no sign or commas)")
    digits = minor_digits(currency) if currency in SUPPORTED_CURRENCIES else 2
    plain = _PLAIN_AMOUNTS[digits].fullmatch(value) if digits in _PLAIN_AMOUNTS else None
    if plain is not None:  # what Decimal would give, without building one
        whole, cents = plain.group(1), plain.group(2)
        minor: int = int(whole) * 10**digits + int((cents or "").ljust(digits, "0") or "0")
        if positive and minor == 0:
            raise Invalid("the amount must be above 0")
        return minor
    amount = Decimal(value)
    exponent = amount.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > digits:
        raise Invalid(f"more than {digits} decimal places")
    minor = int(amount.scaleb(digits))
    if positive and minor == 0:
        raise Invalid("the amount must be above 0")
    return minor


def currency(value: str) -> str:
    """One of the supported ISO 4217 codes."""
    code = value.upper()
    if code not in SUPPORTED_CURRENCIES:
        raise Invalid(f"unsupported currency (expected one of {', '.join(SUPPORTED_CURRENCIES)})")
    return code


def iso_date(value: str) -> date:
    """A calendar date written YYYY-MM-DD."""
    if not value:
        raise Invalid("required value is empty")
    if not _DATE.fullmatch(value):
        raise Invalid("not a date in the form YYYY-MM-DD")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise Invalid("not a real calendar date") from None


def aware_datetime(value: str) -> datetime:
    """An ISO 8601 instant that carries its UTC offset."""
    if not value:
        raise Invalid("required value is empty")
    try:
        instant = datetime.fromisoformat(value)
    except ValueError:
        raise Invalid("not an ISO 8601 date and time (e.g. 2026-11-21T09:30:00-05:00)") from None
    if instant.tzinfo is None:
        raise Invalid("no UTC offset: write the time with its zone (e.g. -05:00 or Z)")
    return instant


def whole_number(value: str, *, maximum: int) -> int:
    """A whole number from 0 to `maximum`."""
    if not value:
        raise Invalid("required value is empty")
    if not _WHOLE.fullmatch(value) or int(value) > maximum:
        raise Invalid(f"not a whole number from 0 to {maximum}")
    return int(value)


def e164(value: str) -> str:
    """A phone number already in E.164 form."""
    if not value:
        raise Invalid("required value is empty")
    if not _E164.fullmatch(value):
        raise Invalid("not an E.164 phone number (+, country code, number; e.g. +12025550101)")
    return value


def time_zone(value: str) -> str:
    """An IANA time zone name."""
    if not value:
        raise Invalid("required value is empty")
    if not _known_zone(value):
        raise Invalid("unknown time zone (expected an IANA name such as Asia/Shanghai)")
    return value


@lru_cache(maxsize=1024)
def _known_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def contact_hours(value: str) -> str | None:
    """The cardholder's stated contact hours, HH:MM-HH:MM in their zone; empty is no preference."""
    if not value:
        return None
    if not _HOURS.fullmatch(value):
        raise Invalid(
            "not contact hours in the form HH:MM-HH:MM "
            "(24-hour clock, 00:00 to 24:00, e.g. 18:00-20:00)"
        )
    try:
        Window.parse_hours(value)
    except ValueError:
        raise Invalid(
            "contact hours must start before they end, within one day (e.g. 18:00-20:00)"
        ) from None
    return value


def flag(value: str) -> bool:
    """true/false, yes/no, y/n, 1/0; empty is false."""
    try:
        return _BOOLEANS[value.lower()]
    except KeyError:
        raise Invalid("not true or false") from None
