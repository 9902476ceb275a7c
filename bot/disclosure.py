"""What may be said before the person is verified: no amount, no card digits beyond the last 4,
no word that reveals a debt (../shared/DOMAIN.md, "What the assistant may say")."""

from __future__ import annotations

import re

_DEBT_WORDS = re.compile(
    r"\b(overdue|owe[sd]?|owing|debts?|arrears?|past[ -]due|delinquen\w*|collections?|"
    r"late (payment|fee)s?|outstanding|minimum (payment|due)|balance)\b|逾期|欠款|欠费|催收|还款",
    re.IGNORECASE,
)
_AMOUNT = re.compile(
    r"([$¥€£]|\b(CNY|USD|RMB|HKD|EUR|GBP)\b)\s?\d|\d[\d,]*\.\d{2}\b|\d\s?(元|块)",
    re.IGNORECASE,
)
# More than 4 digits of a card number: 8 or more digits in a row, or groups of 4 as on a card.
_LONG_DIGITS = re.compile(r"\d{8,}|\d{4}(?:[ -]\d{4}){2,}")


def pre_verification_violation(text: str) -> str | None:
    """Why `text` may not go to an unverified person, or None when it may."""
    if _DEBT_WORDS.search(text):
        return "reveals a debt"
    if _AMOUNT.search(text):
        return "contains an amount"
    if _LONG_DIGITS.search(text):
        return "contains card digits beyond the last 4"
    return None
