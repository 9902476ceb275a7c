"""Collectors and their console sessions."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.persistence import Base, utcnow


class Role(StrEnum):
    COLLECTOR = "collector"
    SUPERVISOR = "supervisor"


class SessionKind(StrEnum):
    BROWSER = "browser"  # cookie + CSRF token
    API = "api"  # bearer token for the bank's agent desktop


class Collector(Base):
    __tablename__ = "collectors"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def is_supervisor(self) -> bool:
        return self.role == Role.SUPERVISOR


class ConsoleSession(Base):
    __tablename__ = "console_sessions"

    # SHA-256 of the token; the token itself lives only in the cookie or the client.
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    collector_id: Mapped[int] = mapped_column(ForeignKey("collectors.id"), index=True)
    kind: Mapped[SessionKind] = mapped_column(String(8))
    csrf_token: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column()

    collector: Mapped[Collector] = relationship()
