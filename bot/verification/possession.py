"""Possession: the person in a conversation holds the phone of its number.

An SMS conversation proves it with every message (the webhook is signed). A web chat proves
nothing until the person types the one-time code we texted to the number
(`bot.verification.codes`). Until then it may not verify identity, opt out or mark the number
as a wrong party: whoever typed a number into a web page may not be its holder.
"""

from __future__ import annotations

from bot.conversations.models import Channel, Conversation


class PossessionNotProven(PermissionError):
    """The web chat has not shown that it holds the phone of its number."""


def possession_proven(conversation: Conversation) -> bool:
    """True when the person in `conversation` has shown they hold the phone of its number."""
    return conversation.channel == Channel.SMS or conversation.possession_proven_at is not None


def require_possession(conversation: Conversation) -> None:
    """Raise PossessionNotProven unless `conversation` holds the phone of its number."""
    if not possession_proven(conversation):
        raise PossessionNotProven(conversation.id)
