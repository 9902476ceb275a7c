"""Importing one feed file: read, check, stage, apply as one transaction, record, report."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from sqlalchemy import Connection, Engine, select, text, update
from sqlalchemy.orm import Session

from bot import audit
from bot.persistence import utcnow
from bot.portfolio import apply
from bot.portfolio.checking import Progress, stage_accounts_in_sql, stage_in_python
from bot.portfolio.columns import known_columns, required_columns
from bot.portfolio.models import FeedKind, ImportStatus, PortfolioImport
from bot.portfolio.reading import FeedFormat, FeedReader, FileRefused, format_for_name
from bot.portfolio.rejection_spool import RejectionSpool
from bot.portfolio.rejections import Rejection
from bot.portfolio.staging import STAGED_ACCOUNTS, STAGED_PAYMENTS
from bot.settings import Settings

# Serialises imports on PostgreSQL, so two runs never decide on the same rows at once.
_IMPORT_LOCK = 7_007_007
_WORK_MEM = "128MB"
_CONTROL_OR_QUOTE = re.compile(rb'[\x00-\x09\x0b\x0c\x0e-\x1f\x7f"]')


@dataclass(frozen=True)
class FeedSource:
    """A file to import: its name and a way to open it (again) from the start."""

    name: str
    open: Callable[[], IO[bytes]]

    @classmethod
    def from_path(cls, path: Path) -> FeedSource:
        return cls(path.name, lambda: path.open("rb"))


@dataclass
class ImportSummary:
    """What became of one import."""

    import_id: int
    file_name: str
    checksum_sha256: str
    dry_run: bool
    kind: FeedKind | None = None
    status: ImportStatus = ImportStatus.RUNNING
    rows_read: int = 0
    accepted: int = 0
    rejected: int = 0
    unchanged: int = 0
    error: str | None = None
    missing_columns: list[str] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)


def import_feed(
    *,
    engine: Engine,
    source: FeedSource,
    settings: Settings,
    actor: str,
    kind: FeedKind | None = None,
    fmt: FeedFormat | None = None,
    dry_run: bool = False,
    on_rejection: Callable[[Rejection], None] | None = None,
    on_progress: Progress | None = None,
) -> ImportSummary:
    """Import one accounts or payments file; every row is accepted, unchanged or rejected."""
    import bot.models  # noqa: F401  (every mapper registered before the first flush)

    checksum, size, *found = _checksum(source)
    scan = (found[0], found[1])
    summary = ImportSummary(
        _start_record(engine, source, checksum, size, actor, dry_run),
        source.name,
        checksum,
        dry_run,
    )
    progress = on_progress or _no_progress
    spool = RejectionSpool()
    try:
        with source.open() as binary, engine.connect() as connection:
            reader = _open_reader(binary, source.name, fmt)
            summary.kind = kind or _infer_kind(reader.columns)
            _check_columns(reader.columns, summary)
            _stage_and_apply(connection, reader, summary, settings, spool, progress, size, scan)
            summary.status = ImportStatus.COMPLETED
            if dry_run:
                connection.rollback()
            else:
                _finish_record(connection, summary, actor)
                connection.commit()
    except FileRefused as refusal:
        summary.status, summary.error = ImportStatus.REFUSED, refusal.reason
        summary.missing_columns = refusal.missing_columns
        summary.rows_read = summary.accepted = summary.rejected = summary.unchanged = 0
    except BaseException as error:
        summary.status = ImportStatus.FAILED
        summary.error = f"unexpected {type(error).__name__}: nothing from the file was applied"
        _record_outcome(engine, summary, actor)
        spool.close()
        raise
    if summary.status is not ImportStatus.COMPLETED or dry_run:
        _record_outcome(engine, summary, actor)
    progress(phase="done", rows=summary.rows_read, bytes_read=size, total_bytes=size)
    with spool:
        for rejection in spool.merged():
            if on_rejection is not None:
                on_rejection(rejection)
    return summary


def _stage_and_apply(
    connection: Connection,
    reader: FeedReader,
    summary: ImportSummary,
    settings: Settings,
    spool: RejectionSpool,
    progress: Progress,
    size: int,
    scan: tuple[bool, bool],
) -> None:
    now = utcnow()
    if connection.dialect.name == "postgresql":
        connection.execute(text(f"SELECT pg_advisory_xact_lock({_IMPORT_LOCK})"))
        # The set checks and upserts sort and hash every staged row; in memory, not on disk.
        connection.execute(text(f"SET LOCAL work_mem = '{_WORK_MEM}'"))
        # Compiling the long check and upsert statements costs more than it saves.
        connection.execute(text("SET LOCAL jit = off"))
    kind = summary.kind
    assert kind is not None
    if kind is FeedKind.ACCOUNTS and connection.dialect.name == "postgresql":
        rows, rejected = stage_accounts_in_sql(
            connection, reader, settings, spool, progress, size, now.date(), *scan
        )
    else:
        rows, rejected = stage_in_python(
            connection, reader, kind, settings, spool, progress, size, now
        )
    progress(phase="checking", rows=rows, bytes_read=size, total_bytes=size)
    staged_before = apply.staged_count(connection, kind=kind)
    apply.find_conflicts(connection, kind=kind)
    for rejection in apply.conflicts(connection, kind=kind):
        spool.add_conflict(rejection)
    apply.drop_conflicting_rows(connection, kind=kind)
    staged = apply.staged_count(connection, kind=kind)
    progress(phase="applying", rows=rows, bytes_read=size, total_bytes=size)
    apply_rows = apply.apply_accounts if kind is FeedKind.ACCOUNTS else apply.apply_payments
    accepted = apply_rows(connection, import_id=summary.import_id, now=now)
    (STAGED_ACCOUNTS if kind is FeedKind.ACCOUNTS else STAGED_PAYMENTS).drop(connection)
    summary.rows_read = rows
    summary.rejected = rejected + staged_before - staged
    summary.accepted = accepted
    summary.unchanged = staged - accepted


def _checksum(source: FeedSource) -> tuple[str, int, bool, bool]:
    """The file's SHA-256 and size; whether it holds NUL, and whether no control byte or quote."""
    digest, size, holds_nul, control_free = hashlib.sha256(), 0, False, True
    with source.open() as binary:
        while block := binary.read(1 << 20):
            digest.update(block)
            size += len(block)
            holds_nul = holds_nul or b"\x00" in block
            # Without quotes no CSV field can hold a line break: only tabs and the like are left.
            control_free = control_free and _CONTROL_OR_QUOTE.search(block) is None
    return digest.hexdigest(), size, holds_nul, control_free


def _open_reader(binary: IO[bytes], name: str, fmt: FeedFormat | None) -> FeedReader:
    fmt = fmt or format_for_name(name)
    if fmt is None:
        raise FileRefused("unknown file format: name the file .csv or .jsonl, or give the format")
    return FeedReader(binary, fmt)


def _infer_kind(columns: list[str]) -> FeedKind:
    if {"amount", "paid_at", "reference"} & set(columns):
        return FeedKind.PAYMENTS
    return FeedKind.ACCOUNTS


def _check_columns(columns: list[str], summary: ImportSummary) -> None:
    assert summary.kind is not None
    missing = [name for name in required_columns(summary.kind) if name not in columns]
    summary.ignored_columns = [name for name in columns if name not in known_columns(summary.kind)]
    if missing:
        raise FileRefused(
            f"required columns missing from the {summary.kind} file: {', '.join(missing)}",
            missing_columns=missing,
        )


def _start_record(
    engine: Engine, source: FeedSource, checksum: str, size: int, actor: str, dry_run: bool
) -> int:
    record = PortfolioImport(
        file_name=source.name[:255],
        checksum_sha256=checksum,
        size_bytes=size,
        actor=actor[:64],
        dry_run=dry_run,
        status=ImportStatus.RUNNING,
        rows_read=0,
        accepted=0,
        rejected=0,
        unchanged=0,
    )
    with Session(engine) as session, session.begin():
        session.add(record)
        session.flush()
        return record.id


def _finish_record(connection: Connection, summary: ImportSummary, actor: str) -> None:
    connection.execute(
        update(PortfolioImport)
        .where(PortfolioImport.id == summary.import_id)
        .values(
            kind=summary.kind,
            status=summary.status,
            rows_read=summary.rows_read,
            accepted=summary.accepted,
            rejected=summary.rejected,
            unchanged=summary.unchanged,
            error=summary.error,
            finished_at=utcnow(),
        )
    )
    with Session(bind=connection) as session:
        audit.record(
            session,
            actor=actor[:64],
            action=f"portfolio.import.{summary.status}",
            dry_run=summary.dry_run,
            import_id=summary.import_id,
            kind=str(summary.kind) if summary.kind else None,
            status=str(summary.status),
            file_name=summary.file_name,
            checksum_sha256=summary.checksum_sha256,
            rows_read=summary.rows_read,
            accepted=summary.accepted,
            rejected=summary.rejected,
            unchanged=summary.unchanged,
        )
        session.flush()


def _record_outcome(engine: Engine, summary: ImportSummary, actor: str) -> None:
    with engine.begin() as connection:
        _finish_record(connection, summary, actor)


def list_imports(session: Session, *, limit: int = 50) -> list[PortfolioImport]:
    """The most recent imports, newest first."""
    statement = select(PortfolioImport).order_by(PortfolioImport.id.desc()).limit(limit)
    return list(session.scalars(statement))


def _no_progress(*, phase: str, rows: int, bytes_read: int, total_bytes: int) -> None:
    return None
