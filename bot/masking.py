"""Finding and masking card numbers in free text, so a full card number is never stored or shown."""

from __future__ import annotations

import re
from datetime import date

# Runs of 13 or more digits, optionally grouped by single spaces or dashes, as people type card
# numbers; not after a "+", which starts a phone number. A card number is a part of a run that
# starts and ends at a group's edge: "4111 1111 1111 1111 12" holds one.
_DIGIT_RUN = re.compile(r"(?<![\d+])\d(?:[ -]?\d){12,}(?!\d)")


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


def _card_spans(text: str) -> list[tuple[int, int, str]]:
    """(start, end, digits) of each full card number (13-19 digits passing Luhn) in `text`."""
    spans = []
    for run in _DIGIT_RUN.finditer(text):
        positions = [run.start() + i for i, char in enumerate(run.group()) if char.isdigit()]
        count, first = len(positions), 0
        while first <= count - 13:
            found = None
            if first == 0 or text[positions[first] - 1] in " -":
                for last in range(min(count, first + 19), first + 12, -1):
                    if last < count and text[positions[last - 1] + 1] not in " -":
                        continue
                    digits = "".join(text[i] for i in positions[first:last])
                    if luhn_valid(digits):
                        found = (positions[first], positions[last - 1] + 1, digits)
                        break
            if found is None:
                first += 1
                continue
            spans.append(found)
            first = positions.index(found[1] - 1) + 1
    return spans


def find_card_numbers(text: str) -> list[str]:
    """The full card numbers (13-19 digits passing Luhn) in `text`, digits only."""
    return [digits for _, _, digits in _card_spans(text)]


def mask_card_numbers(text: str) -> str:
    """`text` with every full card number replaced by its masked form, e.g. `**** 1234`."""
    masked, position = [], 0
    for start, end, digits in _card_spans(text):
        masked.append(text[position:start] + f"**** {digits[-4:]}")
        position = end
    masked.append(text[position:])
    return "".join(masked)


# Card data written with a card number, or named: expiry dates (12/29, exp 12/2029) and
# security codes (CVV 123). What a person may type around them is kept.
EXPIRY_HIDDEN = "[expiry hidden]"
CODE_HIDDEN = "[code hidden]"
DATE_HIDDEN = "[date hidden]"
ANSWER_HIDDEN = "[hidden]"

_EXPIRY = r"(?:0?[1-9]|1[0-2])\s?[/\-.]\s?(?:20)?[0-9]{2}"
_NAMED_EXPIRY = re.compile(
    r"(?i)(\b(?:exp(?:iry|ires|iration)?(?:\s*date)?|valid\s*(?:thru|through|until|to)"
    r"|good\s*thru)|有效期至?)(\s*[:：]?\s*)" + f"({_EXPIRY})" + r"(?![0-9])"
)
_NAMED_CODE = re.compile(
    r"(?i)(\b(?:cvv2?|cvc2?|cvn|csc|cid|security\s*code|card\s*verification(?:\s*(?:code|value"
    r"|number))?)|安全码|校验码)(\s*(?:is\s*)?[:：#=]?\s*)([0-9]{3,4})(?![0-9])"
)
_BARE_EXPIRY = re.compile(r"(?<![0-9/.\-])" + _EXPIRY + r"(?![0-9/.\-])")
_BARE_CODE = re.compile(r"(?<![0-9*])[0-9]{3,4}(?![0-9])")
_MASKED_CARD = re.compile(r"\*\*\*\* [0-9]{4}")


def mask_card_data(text: str) -> str:
    """`text` with card numbers masked and expiry dates and security codes hidden.

    Next to a full card number any expiry-like date and 3-4 digit group is card data; without
    one, only those named as such ("exp 12/29", "CVV 123") are, so "pay 500 on 12/15" stays.
    """
    had_card = bool(find_card_numbers(text))
    masked = mask_card_numbers(text)
    masked = _NAMED_EXPIRY.sub(lambda m: m.group(1) + m.group(2) + EXPIRY_HIDDEN, masked)
    masked = _NAMED_CODE.sub(lambda m: m.group(1) + m.group(2) + CODE_HIDDEN, masked)
    if not had_card:
        return masked
    parts = []
    position = 0
    for card in _MASKED_CARD.finditer(masked):
        parts.append(_mask_bare_card_data(masked[position : card.start()]))
        parts.append(card.group())
        position = card.end()
    parts.append(_mask_bare_card_data(masked[position:]))
    return "".join(parts)


def _mask_bare_card_data(segment: str) -> str:
    return _BARE_CODE.sub(CODE_HIDDEN, _BARE_EXPIRY.sub(EXPIRY_HIDDEN, segment))


# Dates written with a year: 1985-03-21, 21/03/1985, 3.21.85, 1985年3月21日, 21 March 1985,
# March 21st, 1985, 19850321. Those far enough in the past to be a date of birth are hidden.
_MONTHS = (
    "jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    "|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?"
)
_DAY = r"(?:0?[1-9]|[12][0-9]|3[01])(?:st|nd|rd|th)?"
_DATE_WITH_YEAR = re.compile(
    r"(?i)(?<![0-9])(?:"
    r"(?P<ymd>[0-9]{4})\s?[-/.年]\s?[0-9]{1,2}\s?[-/.月]\s?[0-9]{1,2}\s?日?"
    r"|[0-9]{1,2}\s?[-/.]\s?[0-9]{1,2}\s?[-/.]\s?(?P<year_last>[0-9]{4}|[0-9]{2})"
    rf"|{_DAY}\s+(?:of\s+)?(?:{_MONTHS})\.?,?\s+(?P<dmy>[0-9]{{4}})"
    rf"|(?:{_MONTHS})\.?\s+{_DAY},?\s+(?P<mdy>[0-9]{{4}})"
    r"|(?P<compact>(?:19|20)[0-9]{2})(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])"
    r")(?![0-9])"
)
# A date this many years back or more may be a date of birth; nearer ones (a promise, a payment)
# are what the conversation is about and stay.
_BIRTH_YEARS_BACK = 10


def mask_dates_of_birth(text: str, *, today: date) -> str:
    """`text` with every date that could be a date of birth replaced by `[date hidden]`."""

    def _mask(match: re.Match[str]) -> str:
        year_text = next(
            group for group in match.group("ymd", "year_last", "dmy", "mdy", "compact") if group
        )
        year = int(year_text)
        if len(year_text) == 2:
            year += 2000 if year <= today.year % 100 else 1900
        return DATE_HIDDEN if 1900 <= year <= today.year - _BIRTH_YEARS_BACK else match.group()

    return _DATE_WITH_YEAR.sub(_mask, text)


# An answer to "the last 4 digits?" or "your date of birth?": every run of digits, with the
# separators and month names around it, is hidden, whatever date it is.
_ANSWER_TOKEN = rf"(?:[0-9]+(?:st|nd|rd|th)?|\b(?:{_MONTHS})\b\.?)"
_ANSWER_PART = re.compile(rf"(?i){_ANSWER_TOKEN}(?:(?:[\s,./\-年月日]|\bof\b)*{_ANSWER_TOKEN})*日?")
# What the bot's identity questions say (domain.yml; tests/bot/test_masking.py holds the two to
# each other).
_IDENTITY_QUESTION = re.compile(
    r"(?i)last\s*(?:4|four)\s*digits|date\s*of\s*birth|birthday|后四位|出生日期|生日"
)


def is_identity_question(bot_text: str) -> bool:
    """True when the bot's message asks for the last 4 card digits or the date of birth."""
    return bool(_IDENTITY_QUESTION.search(bot_text))


def mask_for_storage(text: str, *, today: date, answers_identity_question: bool = False) -> str:
    """What may be kept of a cardholder's message: no card data, birth date or identity answer."""
    masked = mask_dates_of_birth(mask_card_data(text), today=today)
    if answers_identity_question:
        masked = _ANSWER_PART.sub(
            lambda m: ANSWER_HIDDEN if any(c.isdigit() for c in m.group()) else m.group(), masked
        )
    return masked
