"""A reminder run: who gets what now; every decision recorded, allowed ones queued in the outbox.

The selection is one SQL statement per purpose (`selection.py`). Each selected account gets the
send gate's decision (`bot.policy.send_gate.decide`, the one place the rules live); accounts with
no recent sends and the same time zone, stated contact hours and facts make the same request, so
each distinct request is decided once. On PostgreSQL the due set, the writes and the ids stay in
the database (`bulk.py`: staging tables and `INSERT ... SELECT`); Python fetches only the
distinct requests and the few accounts with recent sends. Elsewhere (SQLite) the rows are
streamed and written in batches: conversations where none is open, queued messages (a deferred
one waits until its next allowed time), reminder rows, decisions. A reminder row is unique per
account, purpose and local day, so a second run at any time that day plans nothing again.
"""

from __future__ import annotations

import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any, cast

from sqlalchemy import Table, func, insert, select
from sqlalchemy.orm import Session

from bot import audit
from bot.conversations.models import (
    Author,
    Channel,
    Conversation,
    ConversationState,
    Direction,
    Message,
    MessageKind,
    MessageStatus,
)
from bot.conversations.service import open_sms_conversation_ids
from bot.messaging.sms_text import segment_count
from bot.policy.models import ContactDecision, DecisionPoint
from bot.policy.send_gate import (
    Decision,
    GatePolicy,
    Outcome,
    SendRequest,
    Suppressions,
    decide,
    preferred_hours,
)
from bot.policy.service import gate_policy, local_time_label, strategy_for
from bot.promises.followup import settle_promises
from bot.reminders.bulk import BulkRun
from bot.reminders.models import Reminder, ReminderPurpose
from bot.reminders.selection import due_reminders, local_dates, recent_sends
from bot.reminders.strategy import Strategy
from bot.settings import Settings

# Key of the PostgreSQL advisory lock that keeps two runs from interleaving.
REMINDER_RUN_LOCK = 4_004_004
# Databases where the run is set-based (`bulk.py`); the others stream the rows through Python.
SET_BASED_DIALECTS = frozenset({"postgresql"})
Progress = Callable[[int, float], None]


def _table(model: type[Any]) -> Table:
    return cast(Table, model.__table__)


@dataclass
class RunSummary:
    run_id: str
    at: datetime
    dry_run: bool
    planned: int = 0
    allowed: int = 0
    deferred: int = 0
    blocked: int = 0
    promises_kept: int = 0
    promises_broken: int = 0
    seconds: float = 0.0
    reasons: Counter[str] = field(default_factory=Counter)

    def count(self, decision: Decision, accounts: int = 1) -> None:
        """Add `accounts` planned reminders that got `decision`."""
        self.planned += accounts
        self.reasons[f"{decision.outcome.value}: {decision.reason}"] += accounts
        self.allowed += accounts if decision.outcome is Outcome.ALLOW else 0
        self.deferred += accounts if decision.outcome is Outcome.DEFER else 0
        self.blocked += accounts if decision.outcome is Outcome.BLOCK else 0


def gate_request(
    facts: Any, purpose: ReminderPurpose, at: datetime, sends: Iterable[datetime] = ()
) -> SendRequest:
    """The send gate's question for one selected account (see `selection.GATE_FACTS`)."""
    return SendRequest(
        kind=MessageKind.REMINDER,
        moment=at,
        time_zone=facts.time_zone,
        suppressions=Suppressions(
            opted_out=bool(facts.opted_out),
            wrong_party=bool(facts.wrong_party),
            deceased=bool(facts.deceased),
            bankruptcy=bool(facts.bankruptcy),
            charged_off=bool(facts.charged_off),
            closed=bool(facts.closed),
            paid=bool(facts.paid),
            active_handoff=bool(facts.active_handoff),
            open_dispute=bool(facts.open_dispute),
            plan_in_good_standing=bool(facts.plan_active),
            promise_not_yet_due=bool(facts.promise_pending),
        ),
        # The gate takes sends in any order; sorted, equal histories make equal requests.
        recent_sends=tuple(sorted(sends)),
        promise_followup=purpose is ReminderPurpose.PROMISE,
        preferred_hours=preferred_hours(facts.contact_hours),
    )


class Gate:
    """The send gate for one run: each distinct request is decided once (a bounded cache)."""

    def __init__(self, policy: GatePolicy, at: datetime):
        self.at = at
        self._decide = lru_cache(maxsize=4096)(lambda request: decide(request, policy))

    def decision(
        self, facts: Any, purpose: ReminderPurpose, sends: Iterable[datetime] = ()
    ) -> Decision:
        return self._decide(gate_request(facts, purpose, self.at, sends))


class MessageTexts:
    """Each template's text per language and its SMS segments, rendered once per run."""

    def __init__(self, settings: Settings, strategy: Strategy):
        self.settings = settings
        self.strategy = strategy
        self._texts: dict[tuple[str, str], tuple[str, int]] = {}

    def __call__(self, template_id: str, locale: str) -> tuple[str, int]:
        key = (template_id, "zh" if locale.lower().startswith("zh") else "en")
        if key not in self._texts:
            body = self.strategy.templates[template_id].render(
                locale, bank_name=self.settings.bank_name, bank_phone=self.settings.bank_phone
            )
            self._texts[key] = (body, segment_count(body))
        return self._texts[key]


class _Writer:
    """Writes one batch of decisions row by row (the path for databases without `bulk.py`)."""

    def __init__(self, session: Session, settings: Settings, texts: MessageTexts, run_id: str):
        self.session = session
        self.settings = settings
        self.text = texts
        self.run_id = run_id

    def conversations(self, rows: Sequence[Any]) -> dict[str, str]:
        """The open SMS conversation of each phone, started where there is none."""
        phones = {r.phone: r.cardholder_id for r in rows}
        found = open_sms_conversation_ids(self.session, phones)
        missing = [
            {"id": uuid.uuid4().hex, "address": phone, "cardholder_id": holder}
            for phone, holder in phones.items()
            if phone not in found
        ]
        if missing:
            self.session.execute(
                insert(_table(Conversation)),
                [
                    {**m, "channel": Channel.SMS, "state": ConversationState.BOT}
                    | {"failed_verification_count": 0}
                    for m in missing
                ],
            )
            found.update({m["address"]: m["id"] for m in missing})
        return found

    def write(
        self, purpose: ReminderPurpose, at: datetime, batch: list[tuple[Any, Decision]]
    ) -> None:
        queued = [(r, d) for r, d in batch if d.outcome is not Outcome.BLOCK]
        conversations = self.conversations([r for r, _ in queued]) if queued else {}
        message_ids: dict[int, int] = {}
        if queued:
            params = []
            for row, decision in queued:
                body, segments = self.text(row.template_id, row.locale)
                params.append(
                    {
                        "conversation_id": conversations[row.phone],
                        "direction": Direction.OUTBOUND,
                        "author": Author.BOT,
                        "channel": Channel.SMS,
                        "text": body,
                        "kind": MessageKind.REMINDER,
                        "status": MessageStatus.QUEUED,
                        "next_attempt_at": decision.next_allowed_at or at,
                        "segments": segments,
                        "attempts": 0,
                    }
                )
            ids = self.session.scalars(
                insert(_table(Message)).returning(
                    _table(Message).c.id, sort_by_parameter_order=True
                ),
                params,
            ).all()
            message_ids = {row.account_id: mid for (row, _), mid in zip(queued, ids, strict=True)}
        reminder_ids = self.session.scalars(
            insert(_table(Reminder)).returning(_table(Reminder).c.id, sort_by_parameter_order=True),
            [
                {
                    "account_id": row.account_id,
                    "cardholder_id": row.cardholder_id,
                    "purpose": purpose.value,
                    "slot_date": row.local_date,
                    "promise_id": row.promise_id,
                    "stage": row.stage,
                    "tier": row.tier,
                    "channel": Channel.SMS,
                    "template_id": row.template_id,
                    "template_version": row.template_version,
                    "may_offer_plans": bool(row.may_offer_plans),
                    "outcome": decision.outcome.value,
                    "message_id": message_ids.get(row.account_id),
                    "run_id": self.run_id,
                }
                for row, decision in batch
            ],
        ).all()
        self.session.execute(
            insert(_table(ContactDecision)),
            [
                {
                    "decided_at": at,
                    "point": DecisionPoint.PLAN,
                    "outcome": decision.outcome.value,
                    "reason": decision.reason[:200],
                    "next_allowed_at": decision.next_allowed_at,
                    "kind": MessageKind.REMINDER,
                    "channel": Channel.SMS,
                    "address": row.phone,
                    "cardholder_id": row.cardholder_id,
                    "account_id": row.account_id,
                    "message_id": message_ids.get(row.account_id),
                    "reminder_id": reminder_id,
                    "template_id": row.template_id,
                    "template_version": row.template_version,
                    "profile": self.settings.contact_policy_profile,
                    "local_time": local_time_label(at, row.time_zone),
                    "run_id": self.run_id,
                }
                for (row, decision), reminder_id in zip(batch, reminder_ids, strict=True)
            ],
        )


def _plan_streamed(
    session: Session,
    *,
    purpose: ReminderPurpose,
    gate: Gate,
    writer: _Writer,
    summary: RunSummary,
    selection: Any,
    batch_size: int,
    report: Callable[[], None],
) -> None:
    """Stream the due rows through Python, deciding and writing one batch at a time."""
    result = session.execute(selection, execution_options={"yield_per": batch_size})
    for rows in result.partitions():
        sends = recent_sends(session, [r.account_id for r in rows if r.has_recent], gate.at)
        batch = [(row, gate.decision(row, purpose, sends.get(row.account_id, ()))) for row in rows]
        for _, decision in batch:
            summary.count(decision)
        if not summary.dry_run:
            writer.write(purpose, gate.at, batch)
        report()


def plan_reminders(
    session: Session,
    *,
    at: datetime,
    settings: Settings,
    strategy: Strategy | None = None,
    dry_run: bool = False,
    progress: Progress | None = None,
    batch_size: int = 5000,
) -> RunSummary:
    """Plan the reminders due at `at` in the session's transaction (the caller commits)."""
    if at.tzinfo is None:
        raise ValueError("naive datetime refused: give the run's time with its zone")
    started = time.monotonic()
    strategy = strategy or strategy_for(settings)
    gate = Gate(gate_policy(strategy, settings.contact_policy_profile), at)
    summary = RunSummary(run_id=uuid.uuid4().hex, at=at, dry_run=dry_run)
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(REMINDER_RUN_LOCK)))
    settled = settle_promises(
        session,
        at=at,
        grace_days=strategy.promise_grace_days,
        tolerance_percent=strategy.promise_tolerance_percent,
    )
    summary.promises_kept, summary.promises_broken = settled.kept, settled.broken
    dates = local_dates(session, at)
    texts = MessageTexts(settings, strategy)

    def report() -> None:
        if progress is not None:
            progress(summary.planned, time.monotonic() - started)

    # Promise follow-ups first: on a day with both, the daily cap keeps the one about the promise.
    for purpose in (ReminderPurpose.PROMISE, ReminderPurpose.CADENCE):
        selection = due_reminders(strategy, dates, purpose, at)
        if dialect in SET_BASED_DIALECTS:
            BulkRun(
                session,
                gate=gate,
                summary=summary,
                texts=texts,
                profile=settings.contact_policy_profile,
                zones=list(dates),
                batch_size=batch_size,
                report=report,
            ).plan(purpose, selection)
        else:
            writer = _Writer(session, settings, texts, summary.run_id)
            _plan_streamed(
                session,
                purpose=purpose,
                gate=gate,
                writer=writer,
                summary=summary,
                selection=selection,
                batch_size=batch_size,
                report=report,
            )
    summary.seconds = time.monotonic() - started
    if not dry_run:
        audit.record(
            session,
            actor="system",
            action="reminders.planned",
            run_id=summary.run_id,
            at=at.isoformat(),
            planned=summary.planned,
            allowed=summary.allowed,
            deferred=summary.deferred,
            blocked=summary.blocked,
        )
    return summary
