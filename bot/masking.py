"""Finding and masking card numbers in free text, so a full card number is never stored or shown."""

from __future__ import annotations

import re

# 13-19 digits, optionally grouped by single spaces or dashes, as people type card numbers;
# not after a "+", which starts a phone number.
_CARD_CANDIDATE = re.compile(r"(?<![\d+])(?:\d[ -]?){12,18}\d(?!\d)")


def luhn_valid(digits: str) -> bool:
    """True when `digits` passes the Luhn check."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def find_card_numbers(text: str) -> list[str]:
    """The full card numbers (13-19 digits passing Luhn) in `text`, digits only."""
    found = []
    for match in _CARD_CANDIDATE.finditer(text):
        digits = re.sub(r"\D", "", match.group())
        if 13 <= len(digits) <= 19 and luhn_valid(digits):
            found.append(digits)
    return found


def mask_card_numbers(text: str) -> str:
    """`text` with every full card number replaced by its masked form, e.g. `**** 1234`."""

    def _mask(match: re.Match[str]) -> str:
        digits = re.sub(r"\D", "", match.group())
        if 13 <= len(digits) <= 19 and luhn_valid(digits):
            return f"**** {digits[-4:]}"
        return match.group()

    return _CARD_CANDIDATE.sub(_mask, text)
