"""The local SMS simulator: a phone on a page, for when Twilio is not configured.

Messages typed here go through the same signed webhook as real SMS; replies reach the page when
the outbox hands them to the simulator transport.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from pathlib import Path

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field
from sqlalchemy import select
from twilio.request_validator import RequestValidator

from api.deps import SessionDep, SettingsDep
from api.errors import ApiError
from api.fields import Text
from bot.accounts.models import Cardholder
from bot.conversations.models import Channel, Conversation, Message, MessageStatus
from bot.phones import normalize_e164
from bot.settings import Settings

router = APIRouter(prefix="/simulator", tags=["sms simulator"], include_in_schema=False)
PAGE = Path(__file__).resolve().parent.parent / "static" / "simulator.html"
_ON_THE_PHONE = {MessageStatus.SENT, MessageStatus.DELIVERED, MessageStatus.RECEIVED}


class SimulatedSms(BaseModel):
    phone: Text = Field(min_length=1, max_length=32)
    text: Text = Field(max_length=10_000)


class PhoneOut(BaseModel):
    phone: str
    name: str


class ThreadMessage(BaseModel):
    direction: str
    text: str
    status: str
    at: datetime


def _only_without_twilio(settings: Settings) -> None:
    if not settings.simulator_enabled:
        raise ApiError(
            404,
            "not_found",
            "The SMS simulator runs only in development, when Twilio is not configured.",
        )


@router.get("")
def simulator_page(settings: SettingsDep) -> FileResponse:
    _only_without_twilio(settings)
    return FileResponse(PAGE, media_type="text/html")


@router.get("/api/phones")
def demo_phones(settings: SettingsDep, session: SessionDep) -> list[PhoneOut]:
    """Cardholders' phones to text from."""
    _only_without_twilio(settings)
    rows = session.execute(
        select(Cardholder.phone_e164, Cardholder.full_name).order_by(Cardholder.id).limit(500)
    )
    return [PhoneOut(phone=phone, name=name) for phone, name in rows]


@router.get("/api/thread")
def thread(phone: str, settings: SettingsDep, session: SessionDep) -> list[ThreadMessage]:
    """What this phone has sent and received."""
    _only_without_twilio(settings)
    messages = session.scalars(
        select(Message)
        .join(Conversation)
        .where(
            Conversation.channel == Channel.SMS,
            Conversation.address == phone,
            Message.status.in_(list(_ON_THE_PHONE)),
        )
        .order_by(Message.id)
    )
    return [
        ThreadMessage(direction=m.direction, text=m.text, status=m.status, at=m.created_at)
        for m in messages
    ]


@router.post("/api/messages", status_code=202)
async def send_from_phone(
    body: SimulatedSms, request: Request, settings: SettingsDep
) -> dict[str, str]:
    """Text the bank from `phone`, through the signed Twilio webhook."""
    _only_without_twilio(settings)
    if normalize_e164(body.phone) != body.phone:
        raise ApiError(
            422, "invalid_phone", "The phone must be an E.164 number, e.g. +8613800000004."
        )
    params = {
        "MessageSid": f"SM{uuid.uuid4().hex}",
        "AccountSid": "ACsimulator",
        "From": body.phone,
        "To": settings.twilio_from_number,
        "Body": body.text,
        "NumSegments": "1",
    }
    path = "/webhooks/twilio/sms"
    assert settings.webhook_auth_token is not None  # the simulator runs only when it is set
    signature = RequestValidator(settings.webhook_auth_token).compute_signature(
        settings.public_base_url.rstrip("/") + path, params
    )
    transport = httpx.ASGITransport(app=request.app)
    async with httpx.AsyncClient(transport=transport, base_url=settings.public_base_url) as client:
        response = await client.post(path, data=params, headers={"X-Twilio-Signature": signature})
    if response.status_code != 200:
        raise ApiError(response.status_code, "webhook_refused", response.text[:300])
    return {"message_sid": params["MessageSid"]}
