"""What every action needs: the settings and one unit of work per call."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rasa_sdk import Tracker
from sqlalchemy.orm import Session

from bot.conversations.models import Conversation
from bot.persistence import session_scope
from bot.settings import Settings, get_settings
from bot.verification.service import load_conversation

__all__ = ["Settings", "conversation_of", "settings", "unit_of_work"]


def settings() -> Settings:
    return get_settings()


@contextmanager
def unit_of_work() -> Iterator[Session]:
    """A session that commits when the action's work succeeds."""
    with session_scope() as session:
        yield session


def conversation_of(
    session: Session, tracker: Tracker, *, for_update: bool = False
) -> Conversation:
    """The stored conversation behind the tracker (the Rasa sender id is our conversation id)."""
    return load_conversation(session, tracker.sender_id, for_update=for_update)
