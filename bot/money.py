"""Exact money: integer minor units in storage, Decimal for arithmetic, text at the edge."""

from __future__ import annotations

import re
from decimal import Decimal

_SYMBOLS = {"CNY": "¥", "USD": "$", "HKD": "HK$", "EUR": "€", "GBP": "£"}
# Every currency this project handles has two minor digits; a three-digit one must be added here.
_MINOR_DIGITS = {"CNY": 2, "USD": 2, "HKD": 2, "EUR": 2, "GBP": 2}
# An amount as a person types it: digits, optional thousands commas, optional decimals. No sign,
# exponent, "Infinity" or "NaN"; at most 15 digits before the point.
_TYPED_AMOUNT = re.compile(r"(?:[0-9]{1,3}(?:,[0-9]{3}){1,4}|[0-9]{1,15})(?:\.[0-9]{1,10})?")


def minor_digits(currency: str) -> int:
    """How many minor digits `currency` has; unknown currencies are refused."""
    try:
        return _MINOR_DIGITS[currency]
    except KeyError:
        raise ValueError(f"unsupported currency {currency!r}") from None


def to_decimal(amount_minor: int, currency: str) -> Decimal:
    """Minor units as an exact Decimal amount."""
    return Decimal(amount_minor).scaleb(-minor_digits(currency))


def to_minor(amount: Decimal, currency: str) -> int:
    """An exact Decimal amount as minor units; refuses fractions of a minor unit."""
    scaled = amount.scaleb(minor_digits(currency))
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{amount} has more than {minor_digits(currency)} decimal places")
    return int(scaled)


def format_money(amount_minor: int, currency: str) -> str:
    """`1234567, 'CNY'` -> `¥12,345.67`."""
    amount = to_decimal(amount_minor, currency)
    symbol = _SYMBOLS.get(currency)
    text = f"{amount:,.{minor_digits(currency)}f}"
    return f"{symbol}{text}" if symbol else f"{text} {currency}"


def parse_amount(text: str, currency: str) -> int:
    """A positive amount typed by a person (`1,250.50`) in minor units; ValueError if it is not."""
    cleaned = text.strip()
    if not _TYPED_AMOUNT.fullmatch(cleaned):
        raise ValueError(f"{text[:40]!r} is not an amount like 1250.50")
    minor = to_minor(Decimal(cleaned.replace(",", "")), currency)
    if minor <= 0:
        raise ValueError("the amount must be above zero")
    return minor
