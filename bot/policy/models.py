"""The record of every send-gate decision (append-only: the database refuses UPDATE and DELETE)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.persistence import Base, utcnow


class DecisionPoint(StrEnum):
    """Where the gate was asked: when a reminder is planned, or when any message is sent."""

    PLAN = "plan"
    SEND = "send"


class ContactDecision(Base):
    __tablename__ = "contact_decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    decided_at: Mapped[datetime] = mapped_column(default=utcnow)
    point: Mapped[DecisionPoint] = mapped_column(String(8))
    outcome: Mapped[str] = mapped_column(String(8))
    reason: Mapped[str] = mapped_column(String(200))
    # For a deferral: when the message may go; it stays queued until then.
    next_allowed_at: Mapped[datetime | None] = mapped_column()
    kind: Mapped[str] = mapped_column(String(24))
    channel: Mapped[str] = mapped_column(String(8))
    address: Mapped[str] = mapped_column(String(64))
    cardholder_id: Mapped[int | None] = mapped_column(ForeignKey("cardholders.id"), index=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("card_accounts.id"), index=True)
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"), index=True)
    reminder_id: Mapped[int | None] = mapped_column(ForeignKey("reminders.id"), index=True)
    template_id: Mapped[str | None] = mapped_column(String(64))
    template_version: Mapped[int | None] = mapped_column(Integer)
    profile: Mapped[str] = mapped_column(String(16))
    # The recipient's local time when the gate was asked, e.g. "2026-11-23 09:00 Asia/Shanghai".
    local_time: Mapped[str] = mapped_column(String(64))
    run_id: Mapped[str | None] = mapped_column(String(32), index=True)
