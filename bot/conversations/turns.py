"""One cardholder turn: store it, route it to the bot or a human, store and guard the replies."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from bot import audit
from bot.conversations.models import Author, ConversationState
from bot.conversations.service import last_offered_buttons, record_inbound, record_outbound
from bot.disclosure import pre_verification_violation
from bot.masking import mask_card_numbers
from bot.rasa_client import RasaClient, RasaUnavailable
from bot.verification.service import load_conversation

logger = logging.getLogger(__name__)

HOLDING_REPLY = (
    "Sorry, I can't answer right now. Please try again in a few minutes, "
    "or ask for a person and a colleague will reply here."
)
SAFE_REPLACEMENT = (
    "I can help with questions about your card account once I've confirmed who you are."
)
EMPTY_REPLY = "Sorry, I didn't catch that. Could you type your answer?"


class InvalidChoice(ValueError):
    """A button payload that the latest bot message did not offer."""


@dataclass(frozen=True)
class Reply:
    text: str
    buttons: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class TurnOutcome:
    replies: list[Reply]
    state: ConversationState
    verified: bool
    degraded: bool = False


def text_for_bot(text: str) -> str:
    """Cardholder text as the dialogue model may see it: no `/intent` command, no card number."""
    return mask_card_numbers(text).strip().lstrip("/").strip()


class TurnRunner:
    """Runs cardholder turns; commits before calling Rasa so the action server sees them."""

    def __init__(self, sessions: sessionmaker[Session], rasa: RasaClient) -> None:
        self._sessions = sessions
        self._rasa = rasa

    def handle(
        self,
        conversation_id: str,
        *,
        text: str | None = None,
        payload: str | None = None,
        provider_message_id: str | None = None,
    ) -> TurnOutcome:
        """Process what the cardholder sent: typed `text`, or a button `payload` they chose."""
        with self._sessions.begin() as session:
            conversation = load_conversation(session, conversation_id, for_update=True)
            if payload is not None:
                chosen = next(
                    (
                        b
                        for b in last_offered_buttons(session, conversation_id)
                        if b["payload"] == payload
                    ),
                    None,
                )
                if chosen is None:
                    raise InvalidChoice(payload)
                inbound_text = chosen["title"]
            else:
                inbound_text = text or ""
            record_inbound(
                session,
                conversation=conversation,
                text=inbound_text,
                provider_message_id=provider_message_id,
            )
            if conversation.state != ConversationState.BOT:
                return TurnOutcome([], ConversationState(conversation.state), conversation.verified)

        message_for_bot = payload if payload is not None else text_for_bot(inbound_text)
        if not message_for_bot:
            return self._reply_without_bot(conversation_id, EMPTY_REPLY, degraded=False)
        try:
            bot_messages = self._rasa.send_message(conversation_id, message_for_bot)
        except RasaUnavailable as error:
            logger.warning("rasa unavailable for %s: %s", conversation_id, error)
            return self._reply_without_bot(conversation_id, HOLDING_REPLY, degraded=True)

        with self._sessions.begin() as session:
            conversation = load_conversation(session, conversation_id)
            replies = []
            for bot_message in bot_messages:
                reply = Reply(bot_message.text, bot_message.buttons)
                if not conversation.verified:
                    reply = self._guarded(session, conversation_id, reply)
                record_outbound(
                    session,
                    conversation=conversation,
                    text=reply.text,
                    author=Author.BOT,
                    buttons=reply.buttons,
                )
                replies.append(reply)
            return TurnOutcome(
                replies, ConversationState(conversation.state), conversation.verified
            )

    def _guarded(self, session: Session, conversation_id: str, reply: Reply) -> Reply:
        """`reply`, or a safe replacement when it would disclose something before verification."""
        problem = pre_verification_violation(
            " ".join([reply.text, *(b["title"] for b in reply.buttons)])
        )
        if problem is None:
            return reply
        logger.error("withheld a bot reply that %s before verification", problem)
        audit.record(
            session,
            actor="api",
            action="disclosure.withheld",
            conversation_id=conversation_id,
            problem=problem,
        )
        return Reply(SAFE_REPLACEMENT)

    def _reply_without_bot(self, conversation_id: str, text: str, *, degraded: bool) -> TurnOutcome:
        with self._sessions.begin() as session:
            conversation = load_conversation(session, conversation_id)
            record_outbound(session, conversation=conversation, text=text, author=Author.SYSTEM)
            return TurnOutcome(
                [Reply(text)],
                ConversationState(conversation.state),
                conversation.verified,
                degraded,
            )
