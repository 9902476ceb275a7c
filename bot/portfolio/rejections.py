"""Rejected rows: what a person may see of a refused value, and the rejection report."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from typing import IO

CARD_NUMBER_WITHHELD = "[card number withheld]"
CARD_NUMBER_REASON = (
    "looks like a full card number (13-19 digits passing the Luhn check); "
    "the row was not imported and the value is not shown anywhere"
)
REPORT_HEADER = ("row", "column", "value", "reason")
_SHOWN_LENGTH = 40
# Personal details are shown only enough to find the row, never in full.
_HIDDEN = {"date_of_birth", "card_last4"}


@dataclass(frozen=True)
class Rejection:
    """One reason a row was not imported; `value` is already masked."""

    row: int
    column: str
    value: str
    reason: str


def shown(column: str, value: str) -> str:
    """`value` as the rejection report may show it."""
    if not value:
        return ""
    if column in _HIDDEN:
        return "*" * min(len(value), 10)
    if column == "full_name":
        return value[0] + "***"
    if column == "phone":
        return value[:3] + "*" * max(len(value) - 5, 0) + value[-2:] if len(value) > 5 else "***"
    return value if len(value) <= _SHOWN_LENGTH else value[:_SHOWN_LENGTH] + "…"


def _cell(text: str) -> str:
    # A spreadsheet would run a cell starting with these as a formula.
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


class ReportWriter:
    """The rejection report as CSV: row, column, masked value, reason."""

    def __init__(self, stream: IO[str]) -> None:
        self._writer = csv.writer(stream)
        self._writer.writerow(REPORT_HEADER)

    def add(self, rejection: Rejection) -> None:
        """One line of the report."""
        self._writer.writerow(
            (rejection.row, rejection.column, _cell(rejection.value), _cell(rejection.reason))
        )
