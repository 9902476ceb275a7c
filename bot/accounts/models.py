"""Cardholders, card accounts and payments."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    String,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.accounts.stages import DEFAULT_BOUNDS, Stage, StageBounds, stage_for
from bot.persistence import Base, utcnow


class RiskTier(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class Cardholder(Base):
    __tablename__ = "cardholders"

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    phone_e164: Mapped[str] = mapped_column(String(16), unique=True)
    time_zone: Mapped[str] = mapped_column(String(64))
    locale: Mapped[str] = mapped_column(String(16), default="en")
    # HMAC of the date of birth: checkable, never readable back.
    dob_hash: Mapped[str] = mapped_column(String(64))
    # Flags from the bank's feed: no automated contact with a deceased or bankrupt cardholder.
    deceased: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    bankruptcy: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # The cardholder's own stated contact hours, "HH:MM-HH:MM" in `time_zone` (None: no
    # preference); the send gate keeps outreach inside them and the policy window both.
    contact_hours: Mapped[str | None] = mapped_column(String(11))
    # The feed date the details above come from (None: never imported, e.g. the demo seed).
    as_of: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    accounts: Mapped[list[CardAccount]] = relationship(
        back_populates="cardholder", order_by="CardAccount.id"
    )

    __table_args__ = (
        CheckConstraint("phone_e164 LIKE '+%'", name="phone_e164"),
        # The shape only; the intake checks the hours themselves (`Window.parse_hours`).
        CheckConstraint("contact_hours LIKE '__:__-__:__'", name="contact_hours_shape"),
    )


class CardAccount(Base):
    __tablename__ = "card_accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(String(64), unique=True)
    cardholder_id: Mapped[int] = mapped_column(ForeignKey("cardholders.id"), index=True)
    card_last4: Mapped[str] = mapped_column(String(4))
    currency: Mapped[str] = mapped_column(String(3))
    credit_limit_minor: Mapped[int] = mapped_column(BigInteger)
    statement_balance_minor: Mapped[int] = mapped_column(BigInteger)
    minimum_due_minor: Mapped[int] = mapped_column(BigInteger)
    overdue_amount_minor: Mapped[int] = mapped_column(BigInteger)
    due_date: Mapped[date] = mapped_column(Date)
    days_past_due: Mapped[int] = mapped_column(Integer)
    # The bank's snapshot date the figures above are true on.
    as_of: Mapped[date] = mapped_column(Date)
    risk_tier: Mapped[RiskTier] = mapped_column(String(8))
    behaviour_score: Mapped[int | None] = mapped_column(Integer)
    charged_off: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    closed: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Which feed import wrote this snapshot, and a digest of the feed row, so re-importing the
    # same snapshot is recognised as unchanged.
    snapshot_import_id: Mapped[int | None] = mapped_column(ForeignKey("portfolio_imports.id"))
    snapshot_digest: Mapped[str | None] = mapped_column(String(64))
    # Amount under an open dispute: on hold, not to be collected until the dispute is resolved.
    disputed_amount_minor: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    cardholder: Mapped[Cardholder] = relationship(back_populates="accounts")

    __table_args__ = (
        CheckConstraint("length(card_last4) = 4", name="card_last4_length"),
        CheckConstraint("overdue_amount_minor >= 0", name="overdue_not_negative"),
        CheckConstraint("minimum_due_minor >= 0", name="minimum_due_not_negative"),
        CheckConstraint("days_past_due >= 0", name="dpd_not_negative"),
    )

    @property
    def collectable_overdue_minor(self) -> int:
        """The overdue amount not on hold for a dispute: what the bot may ask for or spread."""
        return self.overdue_amount_minor - self.disputed_amount_minor

    @property
    def masked_card(self) -> str:
        return f"**** {self.card_last4}"

    def stage(self, bounds: StageBounds = DEFAULT_BOUNDS) -> Stage:
        """The delinquency stage on the snapshot date."""
        return stage_for(self.days_past_due, (self.due_date - self.as_of).days, bounds)


class Payment(Base):
    __tablename__ = "payments"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("card_accounts.id"), index=True)
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    paid_at: Mapped[datetime] = mapped_column()
    reference: Mapped[str] = mapped_column(String(64), unique=True)
    # The payments feed import that recorded it (None when recorded another way).
    import_id: Mapped[int | None] = mapped_column(ForeignKey("portfolio_imports.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (CheckConstraint("amount_minor > 0", name="amount_positive"),)
