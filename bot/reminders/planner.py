"""A reminder run: who gets what now; every decision recorded, allowed ones queued in the outbox.

The selection is one streamed SQL statement per purpose (`selection.py`); each selected account
gets the send gate's decision (`bot.policy.send_gate.decide`), and the writes go in batches:
conversations where none is open, queued messages (a deferred one waits until its next allowed
time), reminder rows, decisions. A reminder row is unique per account, purpose and local day,
so a second run at any time that day plans nothing again.
"""

from __future__ import annotations

import time
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
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
from bot.messaging.sms_text import segment_count
from bot.policy.models import ContactDecision, DecisionPoint
from bot.policy.send_gate import Decision, GatePolicy, Outcome, SendRequest, Suppressions, decide
from bot.policy.service import WRONG_PARTY, gate_policy, local_time_label, strategy_for
from bot.promises.followup import settle_promises
from bot.reminders.models import Reminder, ReminderPurpose
from bot.reminders.selection import due_reminders, local_dates, recent_sends
from bot.reminders.strategy import Strategy
from bot.settings import Settings

# Key of the PostgreSQL advisory lock that keeps two runs from interleaving.
REMINDER_RUN_LOCK = 4_004_004
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


class _Writer:
    """Writes one batch of decisions; renders each template once."""

    def __init__(self, session: Session, settings: Settings, strategy: Strategy, run_id: str):
        self.session = session
        self.settings = settings
        self.strategy = strategy
        self.run_id = run_id
        self._texts: dict[tuple[str, str], tuple[str, int]] = {}

    def text(self, template_id: str, locale: str) -> tuple[str, int]:
        key = (template_id, "zh" if locale.lower().startswith("zh") else "en")
        if key not in self._texts:
            body = self.strategy.templates[template_id].render(
                locale, bank_name=self.settings.bank_name, bank_phone=self.settings.bank_phone
            )
            self._texts[key] = (body, segment_count(body))
        return self._texts[key]

    def conversations(self, rows: Sequence[Any]) -> dict[str, str]:
        """The open SMS conversation of each phone, started where there is none."""
        phones = {r.phone: r.cardholder_id for r in rows}
        found = dict(
            self.session.execute(
                select(Conversation.address, func.max(Conversation.id))
                .where(
                    Conversation.channel == Channel.SMS,
                    Conversation.address.in_(list(phones)),
                    Conversation.state != ConversationState.CLOSED,
                )
                # One open conversation per number is the rule; the newest wins if not.
                .group_by(Conversation.address)
            ).all()
        )
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


def _suppressions(row: Any) -> Suppressions:
    return Suppressions(
        opted_out=row.consent_reason is not None and row.consent_reason != WRONG_PARTY,
        wrong_party=row.consent_reason == WRONG_PARTY,
        deceased=bool(row.deceased),
        bankruptcy=bool(row.bankruptcy),
        charged_off=bool(row.charged_off),
        closed=bool(row.closed),
        paid=row.amount_to_collect <= 0,
        active_handoff=bool(row.active_handoff),
        open_dispute=row.disputed_amount_minor > 0 or bool(row.dispute_case),
        plan_in_good_standing=bool(row.plan_active),
        promise_not_yet_due=bool(row.promise_pending),
    )


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
    policy: GatePolicy = gate_policy(strategy, settings.contact_policy_profile)
    summary = RunSummary(run_id=uuid.uuid4().hex, at=at, dry_run=dry_run)
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(REMINDER_RUN_LOCK)))
    settled = settle_promises(
        session,
        at=at,
        grace_days=strategy.promise_grace_days,
        tolerance_percent=strategy.promise_tolerance_percent,
    )
    summary.promises_kept, summary.promises_broken = settled.kept, settled.broken
    dates = local_dates(session, at)
    writer = _Writer(session, settings, strategy, summary.run_id)
    # Promise follow-ups first: on a day with both, the daily cap keeps the one about the promise.
    for purpose in (ReminderPurpose.PROMISE, ReminderPurpose.CADENCE):
        seen: set[int] = set()  # two promises due the same day make one reminder
        result = session.execute(
            due_reminders(strategy, dates, purpose), execution_options={"yield_per": batch_size}
        )
        for partition in result.partitions():
            rows = [r for r in partition if r.account_id not in seen]
            seen.update(r.account_id for r in rows)
            sends = recent_sends(session, [r.account_id for r in rows if r.has_recent], at)
            batch = []
            for row in rows:
                decision = decide(
                    SendRequest(
                        kind=MessageKind.REMINDER,
                        moment=at,
                        time_zone=row.time_zone,
                        suppressions=_suppressions(row),
                        recent_sends=sends.get(row.account_id, ()),
                        promise_followup=purpose is ReminderPurpose.PROMISE,
                    ),
                    policy,
                )
                batch.append((row, decision))
                summary.reasons[f"{decision.outcome.value}: {decision.reason}"] += 1
                summary.allowed += decision.outcome is Outcome.ALLOW
                summary.deferred += decision.outcome is Outcome.DEFER
                summary.blocked += decision.outcome is Outcome.BLOCK
            summary.planned += len(rows)
            if not dry_run:
                writer.write(purpose, at, batch)
            if progress is not None:
                progress(summary.planned, time.monotonic() - started)
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
