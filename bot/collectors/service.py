"""Creating collectors, checking passwords with lock-out, and console sessions."""

from __future__ import annotations

import hashlib
import secrets
from contextlib import suppress
from dataclasses import dataclass
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import audit
from bot.collectors.models import Collector, ConsoleSession, Role, SessionKind
from bot.persistence import utcnow

SESSION_LIFETIME = {SessionKind.BROWSER: timedelta(hours=12), SessionKind.API: timedelta(days=90)}
MIN_PASSWORD_LENGTH = 12

_hasher = PasswordHasher()
# Checked when the username is unknown, so a wrong username costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash("no such collector, constant-time path")


class LoginRefused(Exception):
    """Wrong username or password, or a locked or inactive account (never says which)."""


class WeakPassword(ValueError):
    pass


@dataclass(frozen=True)
class IssuedSession:
    token: str
    csrf_token: str | None
    collector: Collector


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_collector(
    session: Session, *, username: str, display_name: str, role: Role, password: str
) -> Collector:
    """A new collector or supervisor with an Argon2id password hash."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPassword(f"passwords need at least {MIN_PASSWORD_LENGTH} characters")
    collector = Collector(
        username=username,
        display_name=display_name,
        role=role,
        password_hash=_hasher.hash(password),
        active=True,
        failed_logins=0,
    )
    session.add(collector)
    session.flush()
    audit.record(session, actor="system", action="collector.created", username=username, role=role)
    return collector


def authenticate(session: Session, *, username: str, password: str) -> Collector:
    """The collector with these credentials; LoginRefused otherwise, audited.

    Wrong passwords do not lock the account (anyone knowing a username could then lock its
    collector out at will): the api throttles them per client address instead. An inactive
    account, or one whose `locked_until` lies ahead, is refused.
    """
    collector = session.scalars(
        select(Collector).where(Collector.username == username).with_for_update()
    ).first()
    if collector is None:
        with suppress(VerificationError):
            _hasher.verify(_DUMMY_HASH, password)
        raise LoginRefused()
    now = utcnow()
    if not collector.active or (collector.locked_until and collector.locked_until > now):
        audit.record(session, actor=f"collector:{username}", action="login.refused_locked")
        raise LoginRefused()
    try:
        _hasher.verify(collector.password_hash, password)
    except (VerificationError, InvalidHashError):
        # Failures since the last sign-in, for a supervisor's eye; nothing is decided on it.
        collector.failed_logins += 1
        audit.record(session, actor=f"collector:{username}", action="login.failed")
        raise LoginRefused() from None
    collector.failed_logins = 0
    if _hasher.check_needs_rehash(collector.password_hash):
        collector.password_hash = _hasher.hash(password)
    audit.record(session, actor=f"collector:{username}", action="login.succeeded")
    return collector


def issue_session(session: Session, *, collector: Collector, kind: SessionKind) -> IssuedSession:
    """A new console session; browser sessions carry a CSRF token, API ones do not need one."""
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(24) if kind is SessionKind.BROWSER else None
    session.add(
        ConsoleSession(
            token_hash=_token_hash(token),
            collector_id=collector.id,
            kind=kind,
            csrf_token=csrf,
            expires_at=utcnow() + SESSION_LIFETIME[kind],
        )
    )
    session.flush()
    return IssuedSession(token, csrf, collector)


def session_for_token(session: Session, token: str) -> ConsoleSession | None:
    """The live session behind `token`, if it exists, has not expired and was not revoked."""
    found = session.get(ConsoleSession, _token_hash(token))
    if found is None or found.revoked_at is not None or found.expires_at <= utcnow():
        return None
    if not found.collector.active:
        return None
    return found


def revoke_session(session: Session, *, token: str) -> None:
    """End the session behind `token` (logout)."""
    found = session.get(ConsoleSession, _token_hash(token))
    if found is not None and found.revoked_at is None:
        found.revoked_at = utcnow()


def csrf_matches(console_session: ConsoleSession, presented: str | None) -> bool:
    """True when the presented CSRF token is the session's (constant time)."""
    expected = console_session.csrf_token
    if not expected or not presented:
        return False
    return secrets.compare_digest(expected, presented)
