"""Console request and response bodies."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import Path
from pydantic import BaseModel, Field, field_validator

from api.fields import Text
from bot.handoff.models import Disposition

# Escalation ids are 32-bit integers in the database; larger ones cannot name a case.
EscalationId = Annotated[int, Path(ge=1, le=2**31 - 1, description="The case's number")]


class Login(BaseModel):
    username: Text = Field(min_length=1, max_length=64)
    password: Text = Field(min_length=1, max_length=200)


class Me(BaseModel):
    username: str
    display_name: str
    role: str
    csrf_token: str | None = Field(description="Send as X-CSRF-Token on every change (browser)")


class QueueItem(BaseModel):
    id: int
    reason: str
    priority: int
    status: str
    claimed_by: str | None
    summary: str
    created_at: datetime
    waiting_seconds: int
    answer_due: datetime
    sla_breached: bool
    channel: str
    cardholder: str | None


class AccountSummary(BaseModel):
    card: str
    stage: str
    currency: str
    overdue_amount: str
    minimum_due: str
    statement_balance: str
    due_date: str
    days_past_due: int
    disputed_amount: str


class TranscriptMessage(BaseModel):
    id: int
    author: str
    direction: str
    text: str
    status: str
    created_at: datetime


class Note(BaseModel):
    author: str
    text: str
    created_at: datetime


class CaseDetail(QueueItem):
    verified: bool
    locked: bool
    conversation_state: str
    disposition: str | None
    disposition_details: dict[str, Any] | None
    accounts: list[AccountSummary]
    messages: list[TranscriptMessage]
    notes: list[Note]
    contact_history: list[dict[str, Any]]


class TextBody(BaseModel):
    text: Text = Field(min_length=1, max_length=1600)


class OutcomeBody(BaseModel):
    disposition: Disposition
    note: Text | None = Field(default=None, max_length=1000)
    disputed_amount: str | None = Field(
        default=None,
        max_length=32,
        description="For dispute_opened: the amount on hold, e.g. 120.50",
    )
    promised_amount: str | None = Field(
        default=None, max_length=32, description="For promise_taken: e.g. 250.00"
    )
    promised_date: date | None = Field(
        default=None, description="For promise_taken: YYYY-MM-DD, today or later"
    )

    @field_validator("promised_date", mode="before")
    @classmethod
    def _date_as_written(cls, value: Any) -> Any:
        # A number would otherwise be read as a Unix timestamp.
        if value is not None and not isinstance(value, str):
            raise ValueError("give the date as YYYY-MM-DD")
        return value


class ResolveBody(BaseModel):
    return_to_bot: bool = Field(description="true: the bot answers again; false: end it")


class ReassignBody(BaseModel):
    username: Text = Field(min_length=1, max_length=64)
