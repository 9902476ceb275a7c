"""Rows checked and staged: every row in Python, or (accounts on PostgreSQL) in SQL first.

Both leave the valid rows in the staging table and every rejected row's reasons in the spool;
they return how many rows were read and how many were rejected.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any, Protocol

from sqlalchemy import Connection, text

from bot.portfolio.account_rows import AccountRowChecker, StagedAccount
from bot.portfolio.models import FeedKind
from bot.portfolio.payment_rows import PaymentRowChecker
from bot.portfolio.raw_accounts import (
    RawAccountsWriter,
    records_left_to_python,
    stage_checked_rows,
)
from bot.portfolio.reading import FeedFormat, FeedReader, FeedRecord
from bot.portfolio.rejection_spool import RejectionSpool
from bot.portfolio.rejections import Rejection
from bot.portfolio.staging import STAGED_ACCOUNTS, STAGED_PAYMENTS, StagingWriter
from bot.settings import Settings

PROGRESS_EVERY = 50_000
_PYTHON_BATCH = 2_000


class Progress(Protocol):
    def __call__(self, *, phase: str, rows: int, bytes_read: int, total_bytes: int) -> None: ...


def stage_in_python(
    connection: Connection,
    reader: FeedReader,
    kind: FeedKind,
    settings: Settings,
    spool: RejectionSpool,
    progress: Progress,
    size: int,
    now: datetime,
) -> tuple[int, int]:
    """Check every row in Python and stage the valid ones; how many rows, how many rejected."""
    writer = StagingWriter(
        connection, STAGED_ACCOUNTS if kind is FeedKind.ACCOUNTS else STAGED_PAYMENTS
    )
    check = (
        AccountRowChecker(hash_key=settings.verification_hash_key, today=now.date()).check
        if kind is FeedKind.ACCOUNTS
        else PaymentRowChecker(now=now).check
    )
    rows = rejected = 0
    try:
        for record in reader.records():
            rows += 1
            if _checked(record, check, writer.add, spool):
                rejected += 1
            if rows % PROGRESS_EVERY == 0:
                progress(phase="reading", rows=rows, bytes_read=reader.bytes_read, total_bytes=size)
    except BaseException:
        writer.abort()
        raise
    writer.close()
    return rows, rejected


def stage_accounts_in_sql(
    connection: Connection,
    reader: FeedReader,
    settings: Settings,
    spool: RejectionSpool,
    progress: Progress,
    size: int,
    today: date,
    holds_nul: bool,
    control_free: bool,
) -> tuple[int, int]:
    """Stage the raw rows with COPY, check them in SQL, and the rest in Python."""
    raw = RawAccountsWriter(
        connection,
        columns=reader.columns,
        may_hold_nul=reader.format is not FeedFormat.CSV or holds_nul,
        csv=reader.format is FeedFormat.CSV,
    )
    rows = 0
    try:
        for record in reader.records():
            rows += 1
            raw.add(record)
            if rows % PROGRESS_EVERY == 0:
                progress(phase="reading", rows=rows, bytes_read=reader.bytes_read, total_bytes=size)
    except BaseException:
        raw.abort()
        raise
    raw.close()
    progress(phase="checking", rows=rows, bytes_read=size, total_bytes=size)
    checker = AccountRowChecker(hash_key=settings.verification_hash_key, today=today)
    latest = checker.latest_feed_date
    stage_checked_rows(
        connection,
        hash_key=settings.verification_hash_key,
        latest_feed_date=latest,
        control_free=reader.format is FeedFormat.CSV and control_free,
    )
    rejected = 0
    batch: list[dict[str, object]] = []
    names = [column.name for column in STAGED_ACCOUNTS.columns]

    def stage(row: StagedAccount) -> None:
        batch.append(dict(zip(names, row, strict=True)))
        if len(batch) >= _PYTHON_BATCH:
            connection.execute(STAGED_ACCOUNTS.insert(), batch)
            batch.clear()

    for record in records_left_to_python(connection, reader.columns):
        if _checked(record, checker.check, stage, spool):
            rejected += 1
    if batch:
        connection.execute(STAGED_ACCOUNTS.insert(), batch)
    connection.execute(text(f"ANALYZE {STAGED_ACCOUNTS.name}"))
    return rows, rejected


def _checked(
    record: FeedRecord,
    check: Callable[[FeedRecord], tuple[Any, list[Rejection]]],
    stage: Callable[[Any], None],
    spool: RejectionSpool,
) -> bool:
    """Stage one record if it is valid; True when it was rejected (its reasons spooled)."""
    if record.problem is not None:
        spool.add_read(Rejection(record.row, "", "", record.problem))
        return True
    valid_row, problems = check(record)
    if valid_row is not None:
        stage(valid_row)
        return False
    for problem in problems:
        spool.add_read(problem)
    return True
