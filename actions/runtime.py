"""What every action needs: the settings and one unit of work per call."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rasa_sdk import Tracker
from sqlalchemy.orm import Session

from bot.accounts.models import CardAccount
from bot.accounts.service import account_for
from bot.conversations.models import Conversation
from bot.persistence import session_scope, utcnow
from bot.settings import Settings, get_settings
from bot.verification.service import load_conversation, verified_now

# What an action says when the web chat has not yet entered the code texted to its number.
CONFIRM_PHONE_FIRST = (
    "First, please enter the code we sent by text message to this number; then I can do that."
)

__all__ = [
    "CONFIRM_PHONE_FIRST",
    "Settings",
    "conversation_of",
    "settings",
    "unit_of_work",
    "verified_account",
    "yes_no_buttons",
]


def yes_no_buttons() -> list[dict[str, str]]:
    """The buttons of a question the cardholder confirms or declines (a fresh list each time)."""
    return [{"title": "Yes", "payload": "/affirm"}, {"title": "No", "payload": "/deny"}]


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


def verified_account(session: Session, tracker: Tracker) -> tuple[Conversation, CardAccount] | None:
    """The conversation and its card account, only when the database says the person is verified.

    Slots are never trusted for this: whatever the tracker says, the stored conversation decides.
    """
    conversation = conversation_of(session, tracker)
    if not verified_now(conversation, now=utcnow(), settings=settings()):
        return None
    account = account_for(conversation.cardholder)
    if account is None:
        return None
    return conversation, account
