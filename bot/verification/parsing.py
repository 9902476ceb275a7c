"""Reading the last 4 card digits and a date of birth from what people type."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Generic, TypeVar

import dateparser

from bot.masking import find_card_numbers

T = TypeVar("T")

_FOUR_DIGITS = re.compile(r"(?<!\d)\d{4}(?!\d)")
_ANY_DIGITS = re.compile(r"\d+")
_ISO_DATE = re.compile(r"(?<!\d)(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?!\d)")


@dataclass(frozen=True)
class Parsed(Generic[T]):
    value: T | None
    problem: str | None = None


def parse_card_last4(text: str) -> Parsed[str]:
    """The 4 digits in `text`, or why it is not just 4 digits."""
    if find_card_numbers(text):
        return Parsed(None, "full_card_number")
    candidates = _FOUR_DIGITS.findall(text)
    other_digits = [d for d in _ANY_DIGITS.findall(text) if len(d) != 4]
    if len(candidates) == 1 and not other_digits:
        return Parsed(candidates[0])
    return Parsed(None, "not_four_digits")


def _date_order(locale: str) -> str:
    if locale.lower().startswith("zh"):
        return "YMD"
    if locale.lower() in {"en-us", "en_us"}:
        return "MDY"
    return "DMY"


def parse_date_of_birth(text: str, *, locale: str, today: date) -> Parsed[date]:
    """A plausible date of birth in `text` (full day, month and year), or why not."""
    cleaned = text.strip()
    iso = _ISO_DATE.search(cleaned)
    parsed: date | None = None
    if iso:
        try:
            parsed = date(int(iso.group(1)), int(iso.group(2)), int(iso.group(3)))
        except ValueError:
            return Parsed(None, "not_a_date")
    else:
        result = dateparser.parse(
            cleaned,
            languages=["en", "zh"],
            settings={
                "DATE_ORDER": _date_order(locale),
                "REQUIRE_PARTS": ["day", "month", "year"],
                "PREFER_DATES_FROM": "past",
                "STRICT_PARSING": True,
            },
        )
        parsed = result.date() if result else None
    if parsed is None:
        return Parsed(None, "not_a_date")
    age_years = (today - parsed).days / 365.25
    if parsed > today or not 16 <= age_years <= 120:
        return Parsed(None, "implausible")
    return Parsed(parsed)
