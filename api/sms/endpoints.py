"""Twilio webhooks: inbound SMS and delivery status, both signature-checked."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Header, Request, Response
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool
from twilio.request_validator import RequestValidator

from api.deps import RateLimiterDep, SettingsDep
from api.errors import ApiError
from api.request_limits import Rule, client_address
from bot.messaging.outbox import record_status
from bot.messaging.sms_gateway import InboundSms, InvalidSender, SmsGateway
from bot.settings import Settings

router = APIRouter(prefix="/webhooks/twilio", tags=["twilio webhooks"])
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


def public_url(settings: Settings, request: Request) -> str:
    """The URL Twilio signed: the configured public base URL, not the socket address."""
    query = f"?{request.url.query}" if request.url.query else ""
    return settings.public_base_url.rstrip("/") + request.url.path + query


async def signed_form(
    request: Request, settings: Settings, signature: str | None
) -> dict[str, str]:
    """The webhook's form parameters, or 403 when the Twilio signature does not match them."""
    form = await request.form()
    params = {key: str(value) for key, value in form.items()}
    token = settings.webhook_auth_token
    if token is None or not signature:
        raise ApiError(403, "invalid_signature", "The X-Twilio-Signature header does not match.")
    if not RequestValidator(token).validate(public_url(settings, request), params, signature):
        raise ApiError(403, "invalid_signature", "The X-Twilio-Signature header does not match.")
    return params


@router.post("/sms", response_class=Response)
async def inbound_sms(
    request: Request,
    settings: SettingsDep,
    limiter: RateLimiterDep,
    background: BackgroundTasks,
    x_twilio_signature: Annotated[str | None, Header()] = None,
) -> Response:
    """Store the SMS and acknowledge at once; the dialogue turn runs after the answer."""
    limiter.hit(Rule.WEBHOOKS_PER_IP, client_address(request))
    params = await signed_form(request, settings, x_twilio_signature)
    missing = [name for name in ("MessageSid", "From") if not params.get(name)]
    if missing:
        raise ApiError(400, "missing_parameters", f"Missing: {', '.join(missing)}.")
    # Counted only once the signature holds, so a forger cannot use up a real phone's allowance.
    limiter.hit(Rule.SMS_PER_PHONE, params["From"].strip())
    gateway: SmsGateway = request.app.state.sms_gateway
    sms = InboundSms(params["MessageSid"], params["From"], params.get("Body", ""))
    try:
        received = await run_in_threadpool(gateway.accept, sms)
    except InvalidSender:
        raise ApiError(400, "invalid_sender", "From is not an E.164 phone number.") from None
    if received is not None:
        background.add_task(gateway.process, received)
    return Response(EMPTY_TWIML, media_type="application/xml")


@router.post("/status", response_class=Response)
async def message_status(
    request: Request,
    settings: SettingsDep,
    limiter: RateLimiterDep,
    x_twilio_signature: Annotated[str | None, Header()] = None,
) -> Response:
    """Record a delivery status Twilio reports for a message we sent."""
    limiter.hit(Rule.WEBHOOKS_PER_IP, client_address(request))
    params = await signed_form(request, settings, x_twilio_signature)
    if not params.get("MessageSid") or not params.get("MessageStatus"):
        raise ApiError(400, "missing_parameters", "Missing: MessageSid or MessageStatus.")
    sessions: sessionmaker[Session] = request.app.state.sessions

    def apply() -> None:
        with sessions.begin() as session:
            record_status(
                session,
                provider_message_id=params["MessageSid"],
                status=params["MessageStatus"],
                error_code=params.get("ErrorCode") or None,
            )

    await run_in_threadpool(apply)
    return Response(status_code=204)
