"""The record of every feed import: what came in, who ran it, and what became of each row."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Boolean, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.persistence import Base, utcnow


class FeedKind(StrEnum):
    ACCOUNTS = "accounts"
    PAYMENTS = "payments"


class ImportStatus(StrEnum):
    RUNNING = "running"  # still running, or interrupted: re-run the same file to complete it
    COMPLETED = "completed"
    REFUSED = "refused"  # the whole file was refused (e.g. required columns missing)
    FAILED = "failed"  # an unexpected error; nothing from the file was applied


class PortfolioImport(Base):
    __tablename__ = "portfolio_imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[FeedKind | None] = mapped_column(String(16))
    file_name: Mapped[str] = mapped_column(String(255))
    checksum_sha256: Mapped[str] = mapped_column(String(64), index=True)
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    actor: Mapped[str] = mapped_column(String(64))
    dry_run: Mapped[bool] = mapped_column(Boolean)
    status: Mapped[ImportStatus] = mapped_column(String(12))
    rows_read: Mapped[int] = mapped_column(Integer, default=0)
    accepted: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    # Why the file was refused or the import failed; never holds a row's values.
    error: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column()
