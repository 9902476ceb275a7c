"""Web chat: start a conversation, send a turn, read the transcript."""

from __future__ import annotations

import math
from typing import Annotated

from fastapi import APIRouter, Header, Request, status

from api.bearer import bearer_token
from api.chat.schemas import (
    CodeSent,
    ConversationId,
    ConversationStarted,
    EnterCode,
    MessageOut,
    PossessionOut,
    ReplyOut,
    SendMessage,
    StartConversation,
    TranscriptOut,
    TurnOut,
)
from api.deps import RateLimiterDep, SessionDep, SettingsDep, TurnsDep
from api.errors import ApiError
from api.request_limits import Rule, client_address
from bot.conversations.models import Channel, Conversation
from bot.conversations.service import (
    session_expired,
    start_web_conversation,
    token_opens,
    transcript,
)
from bot.conversations.turns import InvalidChoice
from bot.persistence import utcnow
from bot.phones import normalize_e164
from bot.settings import Settings
from bot.verification.codes import TooManyCodes, check_code, send_code
from bot.verification.possession import possession_proven

router = APIRouter(prefix="/api/chat", tags=["web chat"])


def _authorized(
    session: SessionDep, settings: Settings, conversation_id: str, authorization: str | None
) -> Conversation:
    """The conversation the bearer token opens, while its session lasts (401 once it ended)."""
    token = bearer_token(authorization)
    if token is None:
        raise ApiError(
            401,
            "token_required",
            "Send the conversation's token as 'Authorization: Bearer <token>'.",
        )
    conversation = session.get(Conversation, conversation_id)
    if (
        conversation is None
        or conversation.channel != Channel.WEB
        or not token_opens(conversation, token)
    ):
        raise ApiError(404, "conversation_not_found", "No conversation with that id and token.")
    now = utcnow()
    if session_expired(conversation, now=now, settings=settings):
        raise ApiError(
            401,
            "session_expired",
            "This chat has ended because it was idle or open for too long. "
            "Please start a new chat.",
        )
    conversation.last_seen_at = now
    return conversation


def _too_many_codes(error: TooManyCodes) -> ApiError:
    minutes = max(1, math.ceil(error.retry_after.total_seconds() / 60))
    return ApiError(
        429,
        "too_many_codes",
        f"Too many codes were asked for this number. Please try again in {minutes} minutes.",
        headers={"Retry-After": str(math.ceil(error.retry_after.total_seconds()))},
    )


@router.post("/conversations", status_code=status.HTTP_201_CREATED)
def start_conversation(
    body: StartConversation,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    limiter: RateLimiterDep,
) -> ConversationStarted:
    """Open a web chat for a mobile number and text a one-time code to it.

    The chat can say nothing until the code is entered; every number gets the same answer.
    """
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
    try:
        send_code(session, conversation=conversation, settings=settings, now=utcnow())
    except TooManyCodes as error:
        raise _too_many_codes(error) from None
    return ConversationStarted(
        conversation_id=conversation.id,
        token=token,
        possession_required=True,
        code_expires_in_minutes=settings.possession_code_ttl_minutes,
    )


@router.post("/conversations/{conversation_id}/code", status_code=status.HTTP_202_ACCEPTED)
def send_new_code(
    conversation_id: str,
    session: SessionDep,
    settings: SettingsDep,
    authorization: Annotated[str | None, Header()] = None,
) -> CodeSent:
    """Text a new one-time code to the chat's number (a few per number per hour)."""
    conversation = _authorized(session, settings, conversation_id, authorization)
    if possession_proven(conversation):
        raise ApiError(409, "possession_proven", "This chat has already confirmed the phone.")
    try:
        send_code(session, conversation=conversation, settings=settings, now=utcnow())
    except TooManyCodes as error:
        raise _too_many_codes(error) from None
    return CodeSent(status="sent", code_expires_in_minutes=settings.possession_code_ttl_minutes)


@router.post("/conversations/{conversation_id}/possession")
def enter_code(
    conversation_id: str,
    body: EnterCode,
    session: SessionDep,
    settings: SettingsDep,
    authorization: Annotated[str | None, Header()] = None,
) -> PossessionOut:
    """Prove the chat holds the phone with the code texted to it."""
    conversation = _authorized(session, settings, conversation_id, authorization)
    result = check_code(
        session, conversation=conversation, code=body.code, settings=settings, now=utcnow()
    )
    if result.proven:
        return PossessionOut(possession_proven=True)
    if not result.code_live:
        # The refused attempt is counted even though the request fails.
        session.commit()
        raise ApiError(
            422,
            "code_expired",
            "That code has expired or was entered wrongly too often. Ask for a new code.",
        )
    session.commit()
    raise ApiError(
        422,
        "wrong_code",
        "That code is not right. Please check the text message and try again.",
        attempts_left=result.attempts_left,
    )


@router.post("/conversations/{conversation_id}/messages")
def send_message(
    conversation_id: ConversationId,
    body: SendMessage,
    session: SessionDep,
    turns: TurnsDep,
    settings: SettingsDep,
    authorization: Annotated[str | None, Header()] = None,
) -> TurnOut:
    """Send what the person typed (or the button they chose) and get the assistant's replies.

    Refused with 403 until the chat has entered the code texted to its number.
    """
    _authorized(session, settings, conversation_id, authorization)
    # Ends the request's transaction before the turn, which runs in its own.
    session.commit()
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
    settings: SettingsDep,
    authorization: Annotated[str | None, Header()] = None,
) -> TranscriptOut:
    """Every message of the conversation, oldest first."""
    conversation = _authorized(session, settings, conversation_id, authorization)
    return TranscriptOut(
        conversation_id=conversation.id,
        state=conversation.state,
        verified=conversation.verified,
        possession_proven=possession_proven(conversation),
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
