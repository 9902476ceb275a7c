"""Building feed files for tests and importing them."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from bot.portfolio.rejections import Rejection
from bot.portfolio.service import FeedSource, ImportSummary, import_feed
from bot.settings import Settings

AS_OF = "2026-11-20"


def account_row(number: int = 1, **changes: Any) -> dict[str, str]:
    """A valid accounts row, M1 and 12 days past due, with `changes` applied."""
    row = {
        "account_id": f"ACC-{number:06d}",
        "cardholder_id": f"CH-{number:06d}",
        "full_name": "Alice Walker",
        "phone": f"+1202555{number:04d}",
        "time_zone": "America/New_York",
        "locale": "en-US",
        "date_of_birth": "1984-03-07",
        "card_last4": "4417",
        "currency": "USD",
        "credit_limit": "5000.00",
        "statement_balance": "1830.45",
        "minimum_due": "183.05",
        "overdue_amount": "183.05",
        "due_date": "2026-11-08",
        "days_past_due": "12",
        "as_of": AS_OF,
        "behaviour_score": "640",
        "risk_tier": "",
        "deceased": "false",
        "bankruptcy": "false",
        "charged_off": "false",
        "closed": "false",
    }
    row.update({key: str(value) for key, value in changes.items()})
    return row


def payment_row(number: int = 1, **changes: Any) -> dict[str, str]:
    """A valid payments row for account `number`."""
    row = {
        "account_id": f"ACC-{number:06d}",
        "amount": "50.00",
        "currency": "USD",
        "paid_at": "2026-11-21T09:30:00-05:00",
        "reference": f"PAY-{number:06d}-1",
    }
    row.update({key: str(value) for key, value in changes.items()})
    return row


def to_csv(rows: list[dict[str, str]], columns: list[str] | None = None) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    names = columns or list(rows[0])
    writer.writerow(names)
    for row in rows:
        writer.writerow([row.get(name, "") for name in names])
    return out.getvalue().encode("utf-8")


@dataclass
class Outcome:
    summary: ImportSummary
    rejections: list[Rejection]

    def reasons(self) -> dict[tuple[int, str], str]:
        return {(r.row, r.column): r.reason for r in self.rejections}


class Importer:
    """Imports bytes as a named file into the test's database."""

    def __init__(self, engine: Engine, settings: Settings, directory: Path) -> None:
        self.engine, self.settings, self.directory = engine, settings, directory

    def __call__(self, content: bytes, name: str = "accounts.csv", **options: Any) -> Outcome:
        path = self.directory / name
        path.write_bytes(content)
        rejections: list[Rejection] = []
        summary = import_feed(
            engine=self.engine,
            source=FeedSource.from_path(path),
            settings=self.settings,
            actor="test",
            on_rejection=rejections.append,
            **options,
        )
        return Outcome(summary, rejections)
