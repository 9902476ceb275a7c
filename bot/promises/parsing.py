"""Amounts and dates in what people type: "500 on friday", "half next week", "the 15th", "明天"."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from dateparser.search import search_dates

from bot.money import to_minor

_ABBREVIATIONS = [
    (r"\bwks?\b", "weeks"),
    (r"\bmths?\b|\bmnths?\b", "months"),
    (r"\b(tmrw?|tmr|2moro|2morrow|tomoz)\b", "tomorrow"),
    (r"\bnxt\b", "next"),
    (r"\btil+\b", "until"),
]
_BARE_SPAN = re.compile(r"(?<!in )\b(\d+)\s+(days?|weeks?|months?)\b")
_DAY_OF_MONTH_ONLY = re.compile(r"^\D*\b\d{1,2}(st|nd|rd|th)?\b\D*$")
_MONTH_END = re.compile(r"\b(end of (the )?month|month end|月底)\b")
_NUMBER = re.compile(
    r"(?<![\d/.:])(?:[$¥£€]\s?)?(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d{1,2}))?\s*(k\b|元|块)?"
)
_HALF = re.compile(r"\bhalf\b|一半")
_ALL = re.compile(r"\b(all|everything|full|whole|the lot|entire)\b|全部|全额")
_MINIMUM = re.compile(r"\b(min|minimum|minimum payment|min payment)\b|最低")


@dataclass(frozen=True)
class AmountAndDate:
    amount_minor: int | None
    promised_date: date | None


_CJK_DIGIT_BOUNDARY = re.compile(r"(?<=[\u4e00-\u9fff])(?=\d)|(?<=\d)(?=[\u4e00-\u9fff])")
_MONTHS = r"(jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*"
# Digits that belong to a date, so they are never read as an amount.
_DATE_DIGITS = re.compile(
    r"\bin \d+ (days?|weeks?|months?)\b|\b\d{1,2}(st|nd|rd|th)\b"
    r"|\b\d{1,4}[/-]\d{1,2}([/-]\d{1,4})?\b|\b\d{1,2}\.\d{1,2}\.\d{2,4}\b"
    rf"|\b{_MONTHS}\.? \d{{1,2}}\b|\b\d{{1,2}} {_MONTHS}\b|\d+\s*(号|日|月)"
)


def _normalised(text: str) -> str:
    lowered = _CJK_DIGIT_BOUNDARY.sub(" ", text.lower())
    for pattern, replacement in _ABBREVIATIONS:
        lowered = re.sub(pattern, replacement, lowered)
    return _BARE_SPAN.sub(r"in \1 \2", lowered)


# Amounts ("300", "1,200.50", "1.5k") that would otherwise be read as years or times.
_AMOUNT_LIKE = re.compile(
    r"(?<![\d/-])(?:[$¥£€]\s?)?\d{1,3}(?:,\d{3})+(?:\.\d{1,2})?(?![\d/-])"
    r"|(?<![\d/.-])\d+\.\d{1,2}k?(?![\d./-])|(?<![\d/.-])\d{3,}k?(?![\d/.-])|[$¥£€]\s?\d+"
)


def _date_order(locale: str) -> str:
    if locale.lower().startswith("zh"):
        return "YMD"
    return "MDY" if locale.lower() in {"en-us", "en_us"} else "DMY"


def parse_date(text: str, *, today: date, locale: str) -> tuple[date | None, str]:
    """The date in `text` seen from `today` (the cardholder's own day), and its words."""
    normalised = _normalised(text)
    if _MONTH_END.search(normalised):
        last = calendar.monthrange(today.year, today.month)[1]
        return today.replace(day=last), _MONTH_END.search(normalised).group()  # type: ignore[union-attr]
    found = search_dates(
        _AMOUNT_LIKE.sub(" ", normalised),
        languages=["en", "zh"],
        settings={
            "PREFER_DATES_FROM": "future",
            "RELATIVE_BASE": datetime.combine(today, datetime.min.time()).replace(hour=12),
            "DATE_ORDER": _date_order(locale),
        },
    )
    # A bare number ("1000") can parse as a year; only dates within a year of today are meant.
    plausible = [(w, m) for w, m in found or [] if abs((m.date() - today).days) <= 366]
    if not plausible:
        return None, ""
    words, moment = plausible[-1]
    day = moment.date()
    # "the 15th" after the 15th means next month's.
    if day < today and _DAY_OF_MONTH_ONLY.match(words):
        month = today.month % 12 + 1
        year = today.year + (today.month == 12)
        day = date(year, month, min(day.day, calendar.monthrange(year, month)[1]))
    return day, words


def parse_amount(text: str, *, overdue_minor: int, minimum_minor: int, currency: str) -> int | None:
    """An amount in `text` in minor units: a number, or "half", "all", "the minimum"."""
    lowered = text.lower()
    if _HALF.search(lowered):
        return int((Decimal(overdue_minor) / 2).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    if _MINIMUM.search(lowered):
        return minimum_minor
    if _ALL.search(lowered):
        return overdue_minor
    for match in _NUMBER.finditer(lowered):
        whole, cents, suffix = match.group(1), match.group(2), match.group(3)
        try:
            value = Decimal(whole.replace(",", "") + (f".{cents}" if cents else ""))
        except InvalidOperation:
            continue
        if suffix == "k":
            value *= 1000
        return to_minor(value, currency)
    return None


def parse_amount_and_date(
    text: str,
    *,
    today: date,
    locale: str,
    overdue_minor: int,
    minimum_minor: int,
    currency: str,
) -> AmountAndDate:
    """Both parts of a promise from one message; the date's own digits are not an amount."""
    promised_date, _ = parse_date(text, today=today, locale=locale)
    rest = _DATE_DIGITS.sub(" ", _normalised(text))
    amount = parse_amount(
        rest, overdue_minor=overdue_minor, minimum_minor=minimum_minor, currency=currency
    )
    return AmountAndDate(amount, promised_date)
