"""Database plumbing: declarative base, column types, engine and sessions."""

from bot.persistence.base import Base, UTCDateTime, utcnow
from bot.persistence.session import get_engine, session_factory, session_scope

__all__ = ["Base", "UTCDateTime", "get_engine", "session_factory", "session_scope", "utcnow"]
