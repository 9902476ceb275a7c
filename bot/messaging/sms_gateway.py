"""Inbound SMS: find the conversation, keep every message once, keywords before the bot."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from bot.conversations.models import (
    Author,
    Channel,
    Conversation,
    MessageKind,
)
from bot.conversations.service import last_offered_buttons, open_sms_conversation
from bot.conversations.turns import HOLDING_REPLY, DuplicateMessage, Received, TurnRunner
from bot.messaging.consent import (
    consent_withdrawn,
    help_reply,
    opt_in_confirmation,
    opt_out_confirmation,
    restore_consent,
)
from bot.messaging.keywords import Keyword, keyword_in
from bot.messaging.opt_out import opt_out
from bot.messaging.outbox import enqueue
from bot.messaging.sms_text import chosen_button
from bot.phones import normalize_e164
from bot.settings import Settings
from bot.verification.service import load_conversation

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class InboundSms:
    message_sid: str
    sender: str
    body: str


class InvalidSender(ValueError):
    """A `From` that is not an E.164 phone number."""


class SmsGateway:
    """Accepts inbound SMS quickly, then answers them in the background."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        turns: TurnRunner,
        settings: Settings,
        *,
        wake_outbox: Callable[[], None] = lambda: None,
    ) -> None:
        self._sessions = sessions
        self._turns = turns
        self._settings = settings
        self._wake_outbox = wake_outbox

    def accept(self, sms: InboundSms) -> Received | None:
        """Store the message once; None for a retried webhook that was already stored."""
        sender = normalize_e164(sms.sender)
        if sender is None or sender != sms.sender.strip():
            raise InvalidSender(sms.sender)
        with self._sessions.begin() as session:
            conversation = open_sms_conversation(session, sender, settings=self._settings)
            chosen = chosen_button(sms.body, last_offered_buttons(session, conversation.id))
            conversation_id = conversation.id
        try:
            if chosen is not None:
                return self._turns.receive(
                    conversation_id,
                    payload=str(chosen["payload"]),
                    provider_message_id=sms.message_sid,
                )
            return self._turns.receive(
                conversation_id, text=sms.body, provider_message_id=sms.message_sid
            )
        except DuplicateMessage:
            logger.info("duplicate webhook for %s ignored", sms.message_sid)
            return None

    def process(self, received: Received) -> None:
        """Answer an accepted message: keyword, bot or silence; never leave it unanswered."""
        try:
            self._answer(received)
        except Exception:
            logger.exception("turn failed for conversation %s", received.conversation_id)
            self._turns.reply_without_bot(received.conversation_id, HOLDING_REPLY, degraded=True)
        finally:
            self._wake_outbox()

    def _answer(self, received: Received) -> None:
        keyword = keyword_in(received.text)
        with self._sessions.begin() as session:
            conversation = load_conversation(session, received.conversation_id)
            address = conversation.address
            opted_out = consent_withdrawn(session, channel=Channel.SMS, address=address)
            if keyword is Keyword.OPT_OUT:
                opt_out(
                    session,
                    conversation=conversation,
                    by="keyword",
                    confirmation=opt_out_confirmation(self._settings),
                )
                return
            if keyword is Keyword.OPT_IN or (keyword is Keyword.YES and opted_out):
                if restore_consent(
                    session,
                    channel=Channel.SMS,
                    address=address,
                    by="keyword",
                    conversation_id=conversation.id,
                ):
                    self._send(
                        session,
                        conversation,
                        opt_in_confirmation(self._settings),
                        MessageKind.KEYWORD_REPLY,
                    )
                return
            if opted_out:
                return  # kept for the record; nothing may be sent to this address
            if keyword is Keyword.HELP:
                self._send(
                    session, conversation, help_reply(self._settings), MessageKind.KEYWORD_REPLY
                )
                return
        self._turns.respond(received)

    @staticmethod
    def _send(session: Session, conversation: Conversation, text: str, kind: MessageKind) -> None:
        enqueue(session, conversation=conversation, text=text, author=Author.SYSTEM, kind=kind)
