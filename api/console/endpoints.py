"""The collector console's JSON API: the browser page and a bank's agent desktop use the same."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import timedelta

from fastapi import APIRouter, Request, Response
from fastapi.responses import StreamingResponse
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from api.bearer import bearer_token
from api.console.auth import COOKIE, CallerDep
from api.console.schemas import (
    AccountSummary,
    CaseDetail,
    EscalationId,
    Login,
    Me,
    Note,
    OutcomeBody,
    QueueItem,
    ReassignBody,
    ResolveBody,
    TextBody,
    TranscriptMessage,
)
from api.deps import RateLimiterDep, SessionDep, SettingsDep
from api.errors import ApiError
from api.request_limits import Rule, client_address
from bot.collectors.models import Collector, SessionKind
from bot.collectors.service import LoginRefused, authenticate, issue_session, revoke_session
from bot.conversations.models import Conversation, Message
from bot.conversations.service import transcript
from bot.handoff import cases
from bot.handoff.models import CaseNote, Disposition, Escalation, EscalationReason
from bot.money import format_money, parse_amount
from bot.persistence import utcnow
from bot.settings import Settings

router = APIRouter(prefix="/api/console", tags=["collector console"])


def _entry_out(session: Session, entry: cases.QueueEntry) -> QueueItem:
    escalation = entry.escalation
    conversation = session.get(Conversation, escalation.conversation_id)
    assert conversation is not None
    return QueueItem(
        id=escalation.id,
        reason=escalation.reason,
        priority=escalation.priority,
        status=escalation.status,
        claimed_by=escalation.claimed_by,
        summary=escalation.summary,
        created_at=escalation.created_at,
        waiting_seconds=int(entry.waiting.total_seconds()),
        answer_due=entry.answer_due,
        sla_breached=entry.sla_breached,
        channel=conversation.channel,
        cardholder=conversation.cardholder.full_name if conversation.cardholder else None,
    )


def _sla(settings: Settings) -> timedelta:
    return timedelta(minutes=settings.handoff_sla_minutes)


@router.post("/login")
def login(
    body: Login,
    request: Request,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    limiter: RateLimiterDep,
) -> Me:
    """Sign in; sets the session cookie and returns the CSRF token for later changes.

    Wrong passwords shut out the address that sent them (for that username, and after more of
    them for every username), never the collector: knowing a username is not enough to lock
    someone out. The same holds for unknown usernames, so the answers reveal nobody.
    """
    address, username = client_address(request), body.username.casefold()
    limiter.hit(Rule.LOGINS_PER_IP, address)
    limiter.check(Rule.LOGIN_FAILURES_PER_IP, address)
    limiter.check(Rule.LOGIN_FAILURES_PER_IP_AND_USER, address, username)
    try:
        collector = authenticate(session, username=body.username, password=body.password)
    except LoginRefused:
        limiter.count(Rule.LOGIN_FAILURES_PER_IP, address)
        limiter.count(Rule.LOGIN_FAILURES_PER_IP_AND_USER, address, username)
        # The audit record of the failure must be kept even though the request fails.
        session.commit()
        raise ApiError(
            401, "login_refused", "Wrong username or password, or the account is locked."
        ) from None
    issued = issue_session(session, collector=collector, kind=SessionKind.BROWSER)
    response.set_cookie(
        COOKIE,
        issued.token,
        httponly=True,
        samesite="strict",
        secure=settings.public_base_url.startswith("https://"),
        max_age=12 * 3600,
        path="/",
    )
    return Me(
        username=collector.username,
        display_name=collector.display_name,
        role=collector.role,
        csrf_token=issued.csrf_token,
    )


@router.post("/logout", status_code=204)
def logout(caller: CallerDep, request: Request, response: Response, session: SessionDep) -> None:
    token = request.cookies.get(COOKIE) or bearer_token(request.headers.get("Authorization")) or ""
    revoke_session(session, token=token)
    response.delete_cookie(COOKIE, path="/")


@router.get("/me")
def me(caller: CallerDep) -> Me:
    collector = caller.collector
    return Me(
        username=collector.username,
        display_name=collector.display_name,
        role=collector.role,
        csrf_token=caller.console_session.csrf_token,
    )


@router.get("/escalations")
def list_cases(
    caller: CallerDep,
    session: SessionDep,
    settings: SettingsDep,
    include_resolved: bool = False,
    reason: EscalationReason | None = None,
) -> list[QueueItem]:
    """The queue: open cases and your own, most urgent first; supervisors see every queue."""
    entries = cases.queue(
        session,
        viewer=caller.collector,
        hours=settings.business_hours(),
        sla=_sla(settings),
        include_resolved=include_resolved,
        reason=reason,
    )
    return [_entry_out(session, entry) for entry in entries]


@router.get("/escalations/{escalation_id}")
def case_detail(
    escalation_id: EscalationId, caller: CallerDep, session: SessionDep, settings: SettingsDep
) -> CaseDetail:
    """The case with its transcript, account summary, notes and contact history."""
    escalation = cases.case_for(session, escalation_id=escalation_id, viewer=caller.collector)
    entry = next(
        e
        for e in cases.queue(
            session,
            viewer=caller.collector,
            hours=settings.business_hours(),
            sla=_sla(settings),
            include_resolved=True,
        )
        if e.escalation.id == escalation.id
    )
    conversation = session.get(Conversation, escalation.conversation_id)
    assert conversation is not None
    accounts = []
    if conversation.cardholder is not None:
        for account in conversation.cardholder.accounts:

            def money(minor: int, currency: str = account.currency) -> str:
                return format_money(minor, currency)

            accounts.append(
                AccountSummary(
                    card=account.masked_card,
                    stage=account.stage().label,
                    currency=account.currency,
                    overdue_amount=money(account.overdue_amount_minor),
                    minimum_due=money(account.minimum_due_minor),
                    statement_balance=money(account.statement_balance_minor),
                    due_date=account.due_date.isoformat(),
                    days_past_due=account.days_past_due,
                    disputed_amount=money(account.disputed_amount_minor),
                )
            )
    history = []
    if conversation.cardholder_id is not None:
        rows = session.execute(
            select(Conversation.channel, Conversation.created_at, func.count(Message.id))
            .join(Message, Message.conversation_id == Conversation.id)
            .where(Conversation.cardholder_id == conversation.cardholder_id)
            .group_by(Conversation.id, Conversation.channel, Conversation.created_at)
            .order_by(Conversation.created_at)
        )
        history = [
            {"channel": channel, "started_at": started.isoformat(), "messages": count}
            for channel, started, count in rows
        ]
    notes = session.scalars(
        select(CaseNote).where(CaseNote.escalation_id == escalation.id).order_by(CaseNote.id)
    )
    return CaseDetail(
        **_entry_out(session, entry).model_dump(),
        verified=conversation.verified,
        locked=conversation.locked,
        conversation_state=conversation.state,
        disposition=escalation.disposition,
        disposition_details=escalation.disposition_details,
        accounts=accounts,
        messages=[
            TranscriptMessage(
                id=m.id,
                author=m.author,
                direction=m.direction,
                text=m.text,
                status=m.status,
                created_at=m.created_at,
            )
            for m in transcript(session, conversation.id)
        ],
        notes=[Note(author=n.author, text=n.text, created_at=n.created_at) for n in notes],
        contact_history=history,
    )


@router.post("/escalations/{escalation_id}/claim")
def claim_case(
    escalation_id: EscalationId, caller: CallerDep, session: SessionDep
) -> dict[str, str]:
    """Take the case; refused with 409 when someone else already holds it."""
    escalation = cases.claim(session, escalation_id=escalation_id, collector=caller.collector)
    return {"status": escalation.status, "claimed_by": escalation.claimed_by or ""}


@router.post("/escalations/{escalation_id}/reassign")
def reassign_case(
    escalation_id: EscalationId, body: ReassignBody, caller: CallerDep, session: SessionDep
) -> dict[str, str]:
    """Supervisors only: give the case to another collector."""
    to = session.scalars(select(Collector).where(Collector.username == body.username)).first()
    if to is None or not to.active:
        raise ApiError(422, "unknown_collector", f"No active collector {body.username!r}.")
    escalation = cases.reassign(
        session, escalation_id=escalation_id, supervisor=caller.collector, to=to
    )
    return {"status": escalation.status, "claimed_by": escalation.claimed_by or ""}


@router.post("/escalations/{escalation_id}/messages", status_code=202)
def reply_to_cardholder(
    escalation_id: EscalationId,
    body: TextBody,
    caller: CallerDep,
    session: SessionDep,
    request: Request,
) -> dict[str, str]:
    """Answer on the conversation's channel (SMS through the outbox and its checks, or chat)."""
    cases.reply(
        session, escalation_id=escalation_id, collector=caller.collector, text=body.text.strip()
    )
    return {"status": "queued"}


@router.post("/escalations/{escalation_id}/notes", status_code=201)
def add_note(
    escalation_id: EscalationId, body: TextBody, caller: CallerDep, session: SessionDep
) -> dict[str, str]:
    """An internal note: never sent to the cardholder."""
    cases.add_note(
        session, escalation_id=escalation_id, collector=caller.collector, text=body.text.strip()
    )
    return {"status": "saved"}


@router.post("/escalations/{escalation_id}/outcome")
def record_outcome(
    escalation_id: EscalationId, body: OutcomeBody, caller: CallerDep, session: SessionDep
) -> dict[str, str]:
    """Record what was agreed, with its disposition code."""
    details: dict[str, object] = {}
    if body.note:
        details["note"] = body.note
    currency = cases.amount_currency(session, escalation_id)
    for name in ("disputed_amount", "promised_amount"):
        value = getattr(body, name)
        if value is None or not value.strip():
            continue
        try:
            details[f"{name}_minor"] = parse_amount(value, currency)
        except ValueError as error:
            raise ApiError(
                422,
                "invalid_amount",
                f"{name}: {error}. Amounts are above zero with at most 2 decimal places.",
            ) from None
    if body.promised_date:
        # A day behind UTC is still today somewhere the cardholder may live.
        if body.promised_date < utcnow().date() - timedelta(days=1):
            raise ApiError(422, "invalid_date", "promised_date is in the past.")
        details["promised_date"] = body.promised_date.isoformat()
    if body.disposition is Disposition.DISPUTE_OPENED and "disputed_amount_minor" not in details:
        raise ApiError(422, "invalid_amount", "A dispute needs the disputed amount.")
    escalation = cases.record_outcome(
        session,
        escalation_id=escalation_id,
        collector=caller.collector,
        disposition=body.disposition,
        details=details,
    )
    return {"disposition": escalation.disposition or ""}


@router.post("/escalations/{escalation_id}/resolve")
def resolve_case(
    escalation_id: EscalationId,
    body: ResolveBody,
    caller: CallerDep,
    session: SessionDep,
    request: Request,
) -> dict[str, str]:
    """Close the case: give the conversation back to the bot, or end it."""
    rasa = request.app.state.rasa

    def resume_bot(conversation_id: str, unlocked: bool) -> None:
        rasa.resume(conversation_id, unlock=unlocked)

    escalation = cases.resolve(
        session,
        escalation_id=escalation_id,
        collector=caller.collector,
        return_to_bot=body.return_to_bot,
        resume_bot=resume_bot,
    )
    return {"status": escalation.status}


@router.get("/events")
async def events(caller: CallerDep, request: Request) -> StreamingResponse:
    """Server-sent events: `changed` whenever a case or a message is added or updated."""
    sessions: sessionmaker[Session] = request.app.state.sessions

    def fingerprint() -> list[object]:
        with sessions() as session:
            return [
                session.scalar(select(func.max(Message.id))),
                session.scalar(select(func.count()).select_from(Escalation)),
                session.scalar(select(func.max(Escalation.claimed_at))),
                session.scalar(select(func.max(Escalation.resolved_at))),
                session.scalar(select(func.max(Escalation.first_human_reply_at))),
                session.scalar(select(func.count()).select_from(CaseNote)),
            ]

    async def stream() -> AsyncIterator[str]:
        last = None
        yield "retry: 2000\n\n"
        while not await request.is_disconnected():
            current = await run_in_threadpool(fingerprint)
            if current != last:
                last = current
                yield f"event: changed\ndata: {json.dumps({'at': str(current[0])})}\n\n"
            await asyncio.sleep(0.5)

    return StreamingResponse(stream(), media_type="text/event-stream")
