"""Web chat request and response bodies."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import Path
from pydantic import BaseModel, Field, model_validator

from api.fields import Text

MAX_MESSAGE_LENGTH = 1600
# Conversation ids are opaque letters and digits; anything else names no conversation.
ConversationId = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{1,64}$")]


class StartConversation(BaseModel):
    phone: Text = Field(
        min_length=1, max_length=32, description="Mobile number, E.164 (+8613800000000)"
    )


class ConversationStarted(BaseModel):
    conversation_id: str
    token: str = Field(description="Bearer token for this conversation's further requests")
    possession_required: bool = Field(
        description="true until the code texted to the number is entered (always, at the start)"
    )
    code_expires_in_minutes: int


class CodeSent(BaseModel):
    status: str = Field(description="sent: a new code is on its way to the number")
    code_expires_in_minutes: int


class EnterCode(BaseModel):
    # ASCII digits only: other scripts' digits are not what we texted.
    code: str = Field(pattern=r"^[0-9]{6}$", description="The 6-digit code texted to the number")


class PossessionOut(BaseModel):
    possession_proven: bool


class SendMessage(BaseModel):
    text: Text | None = Field(default=None, max_length=MAX_MESSAGE_LENGTH)
    payload: Text | None = Field(
        default=None, max_length=200, description="A button payload from the latest bot message"
    )

    @model_validator(mode="after")
    def _exactly_one(self) -> SendMessage:
        if (self.text is None) == (self.payload is None):
            raise ValueError("send either text or payload")
        if self.text is not None and not self.text.strip():
            raise ValueError("text is empty")
        return self


class Button(BaseModel):
    title: str
    payload: str


class ReplyOut(BaseModel):
    text: str
    buttons: list[Button] = []


class TurnOut(BaseModel):
    replies: list[ReplyOut]
    state: str = Field(description="bot, human (a colleague will answer) or closed")
    verified: bool
    degraded: bool = Field(description="true when the assistant could not be reached")


class MessageOut(BaseModel):
    author: str
    direction: str
    text: str
    buttons: list[dict[str, Any]] | None
    created_at: datetime


class TranscriptOut(BaseModel):
    conversation_id: str
    state: str
    verified: bool
    possession_proven: bool
    messages: list[MessageOut]
