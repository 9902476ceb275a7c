"""Web chat: start a conversation, send a turn, read the transcript."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Request, status

from api.chat.schemas import (
    ConversationId,
    ConversationStarted,
    MessageOut,
    ReplyOut,
    SendMessage,
    StartConversation,
    TranscriptOut,
    TurnOut,
)
from api.deps import RateLimiterDep, SessionDep, TurnsDep
from api.errors import ApiError
from api.request_limits import Rule, client_address
from bot.conversations.models import Channel, Conversation
from bot.conversations.service import start_web_conversation, token_opens, transcript
from bot.conversations.turns import InvalidChoice
from bot.phones import normalize_e164

router = APIRouter(prefix="/api/chat", tags=["web chat"])


def _authorized(
    session: SessionDep, conversation_id: str, authorization: str | None
) -> Conversation:
    if not authorization or not authorization.startswith("Bearer "):
        raise ApiError(
            401,
            "token_required",
            "Send the conversation's token as 'Authorization: Bearer <token>'.",
        )
    conversation = session.get(Conversation, conversation_id)
    if (
        conversation is None
        or conversation.channel != Channel.WEB
        or not token_opens(conversation, authorization.removeprefix("Bearer "))
    ):
        raise ApiError(404, "conversation_not_found", "No conversation with that id and token.")
    return conversation


@router.post("/conversations", status_code=status.HTTP_201_CREATED)
def start_conversation(
    body: StartConversation, request: Request, session: SessionDep, limiter: RateLimiterDep
) -> ConversationStarted:
    """Open a web chat for a mobile number; the identity check happens in the conversation."""
    limiter.hit(Rule.CHAT_STARTS_PER_IP, client_address(request))
    phone = normalize_e164(body.phone)
    if phone is None:
        raise ApiError(
            422,
            "invalid_phone",
            "Enter your mobile number in international form, e.g. +8613800000000.",
        )
    limiter.hit(Rule.CHAT_STARTS_PER_PHONE, phone)
    conversation, token = start_web_conversation(session, phone_e164=phone)
    return ConversationStarted(conversation_id=conversation.id, token=token)


@router.post("/conversations/{conversation_id}/messages")
def send_message(
    conversation_id: ConversationId,
    body: SendMessage,
    session: SessionDep,
    turns: TurnsDep,
    authorization: Annotated[str | None, Header()] = None,
) -> TurnOut:
    """Send what the person typed (or the button they chose) and get the assistant's replies."""
    _authorized(session, conversation_id, authorization)
    session.close()
    try:
        outcome = turns.handle(conversation_id, text=body.text, payload=body.payload)
    except InvalidChoice:
        raise ApiError(
            422, "invalid_choice", "That option is no longer offered; please type your answer."
        ) from None
    return TurnOut(
        replies=[ReplyOut(text=r.text, buttons=r.buttons) for r in outcome.replies],
        state=outcome.state.value,
        verified=outcome.verified,
        degraded=outcome.degraded,
    )


@router.get("/conversations/{conversation_id}/messages")
def read_transcript(
    conversation_id: ConversationId,
    session: SessionDep,
    authorization: Annotated[str | None, Header()] = None,
) -> TranscriptOut:
    """Every message of the conversation, oldest first."""
    conversation = _authorized(session, conversation_id, authorization)
    return TranscriptOut(
        conversation_id=conversation.id,
        state=conversation.state,
        verified=conversation.verified,
        messages=[
            MessageOut(
                author=m.author,
                direction=m.direction,
                text=m.text,
                buttons=m.buttons,
                created_at=m.created_at,
            )
            for m in transcript(session, conversation.id)
        ],
    )
