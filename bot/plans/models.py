"""Instalment plans, stored with the quote they were accepted on."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import JSON, BigInteger, Date, ForeignKey, Integer, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.persistence import Base, utcnow


class PlanStatus(StrEnum):
    ACTIVE = "active"
    COMPLETED = "completed"
    BROKEN = "broken"
    CANCELLED = "cancelled"


class InstalmentPlan(Base):
    __tablename__ = "instalment_plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("card_accounts.id"), index=True)
    conversation_id: Mapped[str | None] = mapped_column(ForeignKey("conversations.id"))
    currency: Mapped[str] = mapped_column(String(3))
    principal_minor: Mapped[int] = mapped_column(BigInteger)
    months: Mapped[int] = mapped_column(Integer)
    monthly_fee_rate: Mapped[Decimal] = mapped_column(Numeric(8, 6))
    instalments_minor: Mapped[list[int]] = mapped_column(JSON)
    total_fee_minor: Mapped[int] = mapped_column(BigInteger)
    apr_percent: Mapped[Decimal] = mapped_column(Numeric(6, 2))
    first_due_date: Mapped[date] = mapped_column(Date)
    status: Mapped[PlanStatus] = mapped_column(String(12), default=PlanStatus.ACTIVE)
    created_by: Mapped[str] = mapped_column(String(64))
    accepted_at: Mapped[datetime] = mapped_column(default=utcnow)
