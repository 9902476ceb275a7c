"""Consent to be contacted, per channel and address."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.persistence import Base, utcnow


class ContactConsent(Base):
    """Whether an address may receive messages; absent means never withdrawn."""

    __tablename__ = "contact_consents"

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(8))
    address: Mapped[str] = mapped_column(String(64))
    withdrawn_at: Mapped[datetime | None] = mapped_column()
    changed_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # Who or what changed it last: "keyword", "dialogue", "collector:<name>", "provider".
    changed_by: Mapped[str] = mapped_column(String(64))
    # Why it was withdrawn: "opt_out", or "wrong_party" (the number is not the cardholder's).
    reason: Mapped[str] = mapped_column(String(16), default="opt_out", server_default="opt_out")

    __table_args__ = (
        UniqueConstraint("channel", "address", name="uq_contact_consents_channel_address"),
    )

    @property
    def withdrawn(self) -> bool:
        return self.withdrawn_at is not None
