"""Opting out: stop SMS to the conversation's number and send the one confirmation still allowed."""

from __future__ import annotations

from sqlalchemy.orm import Session

from bot.conversations.models import Author, Channel, Conversation, MessageKind
from bot.messaging.consent import withdraw_for_conversation
from bot.messaging.outbox import enqueue


def opt_out(
    session: Session,
    *,
    conversation: Conversation,
    by: str,
    confirmation: str,
    reason: str = "opt_out",
    confirm_when_already_out: bool = False,
) -> str | None:
    """Withdraw SMS consent for the conversation's number; the confirmation left for a web chat.

    On SMS the confirmation is queued (the only message an opted-out number may still get),
    when consent was withdrawn now or `confirm_when_already_out`; a web chat's page shows the
    returned text instead. Raises PossessionNotProven for a web chat that has not proved it
    holds the phone: nobody opts out a number that is not theirs.
    """
    withdrawn = withdraw_for_conversation(session, conversation=conversation, by=by, reason=reason)
    if conversation.channel != Channel.SMS:
        return confirmation
    if withdrawn or confirm_when_already_out:
        enqueue(
            session,
            conversation=conversation,
            text=confirmation,
            author=Author.SYSTEM,
            kind=MessageKind.OPT_OUT_CONFIRMATION,
        )
    return None
