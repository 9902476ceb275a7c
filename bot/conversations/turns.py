"""One cardholder turn: store it, route it to the bot or a human, store and guard the replies."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot import audit
from bot.conversations.crisis import DISTRESS_INTENT, signals_self_harm
from bot.conversations.models import Author, Conversation, ConversationState, MessageKind
from bot.conversations.service import last_offered_buttons, record_inbound
from bot.disclosure import pre_verification_violation
from bot.masking import mask_card_data
from bot.messaging.outbox import enqueue
from bot.rasa_client import RasaClient, RasaUnavailable
from bot.verification.possession import require_possession
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


class DuplicateMessage(ValueError):
    """A provider message id that was already received (a retried webhook)."""


@dataclass(frozen=True)
class Reply:
    text: str
    buttons: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class Received:
    """A stored inbound message; `for_bot` is what Rasa gets, None when the bot must not answer."""

    conversation_id: str
    text: str
    for_bot: str | None
    state: ConversationState
    verified: bool


@dataclass(frozen=True)
class TurnOutcome:
    replies: list[Reply]
    state: ConversationState
    verified: bool
    degraded: bool = False


def text_for_bot(text: str) -> str:
    """Cardholder text as the dialogue model may see it: no `/intent` command, no card data."""
    return mask_card_data(text).strip().lstrip("/").strip()


class TurnRunner:
    """Runs cardholder turns; commits before calling Rasa so the action server sees them."""

    def __init__(self, sessions: sessionmaker[Session], rasa: RasaClient) -> None:
        self._sessions = sessions
        self._rasa = rasa

    def handle(
        self, conversation_id: str, *, text: str | None = None, payload: str | None = None
    ) -> TurnOutcome:
        """Receive what the cardholder sent and answer it in one go (web chat)."""
        return self.respond(self.receive(conversation_id, text=text, payload=payload))

    def receive(
        self,
        conversation_id: str,
        *,
        text: str | None = None,
        payload: str | None = None,
        provider_message_id: str | None = None,
    ) -> Received:
        """Store the inbound message and decide whether the bot answers it.

        `payload` is a button the person chose; it must be one the latest bot message offered.
        A web chat that has not proved it holds the phone gets PossessionNotProven: nothing is
        stored and the bot is not asked.
        """
        try:
            with self._sessions.begin() as session:
                conversation = load_conversation(session, conversation_id, for_update=True)
                require_possession(conversation)
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
                    shown = str(chosen["title"])
                else:
                    shown = text or ""
                record_inbound(
                    session,
                    conversation=conversation,
                    text=shown,
                    provider_message_id=provider_message_id,
                )
                for_bot: str | None = payload if payload is not None else text_for_bot(shown)
                if payload is None and signals_self_harm(shown):
                    for_bot = DISTRESS_INTENT
                if conversation.state != ConversationState.BOT:
                    for_bot = None
                return Received(
                    conversation_id,
                    mask_card_data(shown),
                    for_bot,
                    ConversationState(conversation.state),
                    conversation.verified,
                )
        except IntegrityError as error:
            if provider_message_id is not None:
                raise DuplicateMessage(provider_message_id) from error
            raise

    def respond(self, received: Received) -> TurnOutcome:
        """Ask the bot (when it may answer) and store its replies on the conversation's channel."""
        if received.for_bot is None:
            return TurnOutcome([], received.state, received.verified)
        if not received.for_bot:
            return self.reply_without_bot(received.conversation_id, EMPTY_REPLY)
        try:
            bot_messages = self._rasa.send_message(received.conversation_id, received.for_bot)
        except RasaUnavailable as error:
            logger.warning("rasa unavailable for %s: %s", received.conversation_id, error)
            return self.reply_without_bot(received.conversation_id, HOLDING_REPLY, degraded=True)

        with self._sessions.begin() as session:
            conversation = load_conversation(session, received.conversation_id)
            replies = []
            for bot_message in bot_messages:
                reply = Reply(bot_message.text, bot_message.buttons)
                if not conversation.verified:
                    reply = self._guarded(session, conversation.id, reply)
                enqueue(
                    session,
                    conversation=conversation,
                    text=reply.text,
                    author=Author.BOT,
                    kind=MessageKind.REPLY,
                    buttons=reply.buttons,
                )
                replies.append(reply)
            return self._outcome(conversation, replies)

    def reply_without_bot(
        self, conversation_id: str, text: str, *, degraded: bool = False
    ) -> TurnOutcome:
        """Answer with a fixed system message, e.g. when the bot cannot be reached."""
        with self._sessions.begin() as session:
            conversation = load_conversation(session, conversation_id)
            enqueue(
                session,
                conversation=conversation,
                text=text,
                author=Author.SYSTEM,
                kind=MessageKind.REPLY,
            )
            return self._outcome(conversation, [Reply(text)], degraded=degraded)

    @staticmethod
    def _outcome(
        conversation: Conversation, replies: list[Reply], *, degraded: bool = False
    ) -> TurnOutcome:
        return TurnOutcome(
            replies, ConversationState(conversation.state), conversation.verified, degraded
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
