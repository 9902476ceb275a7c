"""Reminders: one row per account, purpose and local day, so a run repeated never doubles."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.persistence import Base, utcnow


class ReminderPurpose(StrEnum):
    CADENCE = "cadence"
    PROMISE = "promise"


class Reminder(Base):
    __tablename__ = "reminders"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("card_accounts.id"))
    cardholder_id: Mapped[int] = mapped_column(ForeignKey("cardholders.id"), index=True)
    purpose: Mapped[ReminderPurpose] = mapped_column(String(8))
    # The cardholder's local date the reminder is for (the idempotency key with the above).
    slot_date: Mapped[date] = mapped_column(Date)
    promise_id: Mapped[int | None] = mapped_column(ForeignKey("promises_to_pay.id"))
    stage: Mapped[str] = mapped_column(String(12))
    tier: Mapped[str] = mapped_column(String(8))
    channel: Mapped[str] = mapped_column(String(8))
    template_id: Mapped[str] = mapped_column(String(64))
    template_version: Mapped[int] = mapped_column(Integer)
    may_offer_plans: Mapped[bool] = mapped_column(Boolean)
    # The planner's decision: allow or defer queue a message, block records why not.
    outcome: Mapped[str] = mapped_column(String(8))
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"), index=True)
    run_id: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        UniqueConstraint("account_id", "purpose", "slot_date", name="uq_reminders_slot"),
    )
