"""A reminder run on PostgreSQL, set-based: the due rows and the writes never pass through Python.

Per purpose: the selection is materialised into a temporary table; Python fetches the distinct
send-gate requests of the accounts without recent sends (a few hundred at most) and streams only
the accounts with recent sends, and `Gate` decides each request once; the decisions go back into
two small temporary tables. Then one `INSERT ... SELECT` per table writes the conversations where
none is open, the queued messages, the reminders and the decisions, with ids drawn from the
tables' own sequences, so reminders and decisions can point at their messages without a round
trip. The rows a plain streamed run would write, written by the database.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Sequence
from itertools import groupby
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    Boolean,
    Column,
    Executable,
    Integer,
    MetaData,
    Row,
    Select,
    String,
    Table,
    Text,
    column,
    func,
    insert,
    not_,
    select,
    table,
    text,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ClauseElement

from bot.conversations.models import (
    Author,
    Channel,
    ConversationState,
    Direction,
    Message,
    MessageKind,
    MessageStatus,
)
from bot.persistence import UTCDateTime, utcnow
from bot.policy.models import DecisionPoint
from bot.policy.send_gate import Outcome
from bot.policy.service import local_time_label
from bot.reminders.models import Reminder, ReminderPurpose
from bot.reminders.selection import GATE_FACTS, recent_send

if TYPE_CHECKING:
    from bot.reminders.planner import Gate, MessageTexts, RunSummary

log = logging.getLogger(__name__)

# What the run keeps of the selection; the gate's facts are the key decisions are shared by.
DUE_COLUMNS = (
    "account_id",
    "cardholder_id",
    "phone",
    "locale",
    "time_zone",
    "contact_hours",
    "local_date",
    "stage",
    "tier",
    "template_id",
    "template_version",
    "may_offer_plans",
    "promise_id",
    *GATE_FACTS,
    "has_recent",
)
# Accounts sharing a zone but not their stated contact hours must not share a decision.
REQUEST_KEY = ("time_zone", "contact_hours", *GATE_FACTS)

_temporary = MetaData()
_decision_columns = (
    ("outcome", String(8)),
    ("reason", Text()),
    ("next_allowed_at", UTCDateTime(timezone=True)),
)
# One decision per distinct request of the accounts without recent sends.
_keyed = Table(
    "reminder_gate_keyed",
    _temporary,
    Column("time_zone", String(64)),
    Column("contact_hours", String(11)),
    *(Column(name, Boolean) for name in GATE_FACTS),
    *(Column(name, kind) for name, kind in _decision_columns),
    prefixes=["TEMPORARY"],
    postgresql_on_commit="DROP",
)
# One decision per account with recent sends.
_each = Table(
    "reminder_gate_each",
    _temporary,
    Column("account_id", Integer, primary_key=True),
    *(Column(name, kind) for name, kind in _decision_columns),
    prefixes=["TEMPORARY"],
    postgresql_on_commit="DROP",
)
_texts = Table(
    "reminder_texts",
    _temporary,
    Column("template_id", String(64)),
    Column("locale", String(16)),
    Column("body", Text()),
    Column("segments", Integer),
    prefixes=["TEMPORARY"],
    postgresql_on_commit="DROP",
)
_due = table("reminder_due", *(column(name) for name in DUE_COLUMNS))


class _CreateTempTableAs(Executable, ClauseElement):
    """`CREATE TEMPORARY TABLE name ON COMMIT DROP AS query`."""

    inherit_cache = False

    def __init__(self, name: str, query: Select[Any]):
        self.name = name
        self.query = query


@compiles(_CreateTempTableAs)
def _create_temp_table_as(element: _CreateTempTableAs, compiler: SQLCompiler, **kw: Any) -> str:
    query = compiler.process(element.query, **kw)
    return f"CREATE TEMPORARY TABLE {element.name} ON COMMIT DROP AS {query}"


# Every row of the due set with its decision and the ids it will be written with; in account
# order, so the foreign-key checks and index entries of the inserts below come in key order.
_PLANNED = """
CREATE TEMPORARY TABLE reminder_planned ON COMMIT DROP AS
SELECT d.account_id, d.cardholder_id, d.phone, d.locale, d.time_zone, d.local_date, d.stage,
       d.tier, d.template_id, d.template_version, d.may_offer_plans, d.promise_id,
       g.outcome, g.reason, g.next_allowed_at,
       nextval(CAST(:reminder_ids AS regclass)) AS reminder_id,
       CASE WHEN g.outcome <> :block THEN nextval(CAST(:message_ids AS regclass)) END AS message_id
FROM reminder_due d
JOIN (
    SELECT e.account_id, e.outcome, e.reason, e.next_allowed_at
    FROM reminder_gate_each e
    UNION ALL
    SELECT d.account_id, k.outcome, k.reason, k.next_allowed_at
    FROM reminder_due d
    JOIN reminder_gate_keyed k ON {key_match}
    WHERE NOT d.has_recent
) g ON g.account_id = d.account_id
ORDER BY d.account_id
"""
# The open SMS conversation of each number (bot.conversations.service.open_sms_conversations;
# uq_conversations_open_sms_address holds it to one) is the one a reminder goes on.
_OPEN_CONVERSATIONS = """
SELECT address, id FROM conversations
WHERE channel = :sms AND state <> :closed
  AND address IN (SELECT phone FROM reminder_planned WHERE message_id IS NOT NULL)
"""
_NEW_CONVERSATIONS = f"""
INSERT INTO conversations (id, channel, address, cardholder_id, state, failed_verification_count,
                           created_at, updated_at)
SELECT replace(CAST(gen_random_uuid() AS text), '-', ''), :sms, p.phone, min(p.cardholder_id),
       :bot_state, 0, :now, :now
FROM reminder_planned p
LEFT JOIN ({_OPEN_CONVERSATIONS}) c ON c.address = p.phone
WHERE p.message_id IS NOT NULL AND c.id IS NULL
GROUP BY p.phone
"""
_MESSAGES = f"""
INSERT INTO messages (id, conversation_id, direction, author, channel, text, kind, status,
                      next_attempt_at, segments, attempts, created_at)
SELECT p.message_id, c.id, :outbound, :bot_author, :sms, t.body, :reminder, :queued,
       coalesce(p.next_allowed_at, :at), t.segments, 0, :now
FROM reminder_planned p
JOIN ({_OPEN_CONVERSATIONS}) c ON c.address = p.phone
JOIN reminder_texts t ON t.template_id = p.template_id AND t.locale = p.locale
WHERE p.message_id IS NOT NULL
"""
_REMINDERS = """
INSERT INTO reminders (id, account_id, cardholder_id, purpose, slot_date, promise_id, stage, tier,
                       channel, template_id, template_version, may_offer_plans, outcome,
                       message_id, run_id, created_at)
SELECT reminder_id, account_id, cardholder_id, :purpose, local_date, promise_id, stage, tier,
       :sms, template_id, template_version, may_offer_plans, outcome, message_id, :run_id, :now
FROM reminder_planned
"""
_DECISIONS = """
INSERT INTO contact_decisions (decided_at, point, outcome, reason, next_allowed_at, kind, channel,
                               address, cardholder_id, account_id, message_id, reminder_id,
                               template_id, template_version, profile, local_time, run_id)
SELECT :at, :point, p.outcome, left(p.reason, 200), p.next_allowed_at, :reminder, :sms, p.phone,
       p.cardholder_id, p.account_id, p.message_id, p.reminder_id, p.template_id,
       p.template_version, :profile, z.label, :run_id
FROM reminder_planned p
JOIN (SELECT * FROM unnest(CAST(:zones AS text[]), CAST(:labels AS text[]))
      AS z (time_zone, label)) z ON z.time_zone = p.time_zone
"""


class BulkRun:
    """One run's purposes planned in the database; decisions from `Gate`, counts into `summary`."""

    def __init__(
        self,
        session: Session,
        *,
        gate: Gate,
        summary: RunSummary,
        texts: MessageTexts,
        profile: str,
        zones: Sequence[str],
        batch_size: int,
        report: Callable[[], None],
    ):
        self.session = session
        self.gate = gate
        self.summary = summary
        self.texts = texts
        self.profile = profile
        self.zones = list(zones)
        self.batch_size = batch_size
        self.report = report
        self._decided = self._blocked = 0

    def plan(self, purpose: ReminderPurpose, selection: Select[Any]) -> None:
        """Plan `purpose` for every row of `selection`; write unless the run is dry."""
        chosen = selection.subquery("selected")
        staged = select(*(chosen.c[name] for name in DUE_COLUMNS))
        self._execute(_CreateTempTableAs("reminder_due", staged))
        for temporary in (_keyed, _each):
            temporary.create(self.session.connection())
        planned, blocked = self.summary.planned, self.summary.blocked
        self._decide_shared(purpose)
        self._decide_each(purpose)
        self._decided = self.summary.planned - planned
        self._blocked = self.summary.blocked - blocked
        self.report()
        if self._decided and not self.summary.dry_run:
            self._write(purpose)
            self.report()
        for name in ("reminder_planned", "reminder_texts", *(t.name for t in (_keyed, _each))):
            self._execute(text(f"DROP TABLE IF EXISTS {name}"))
        self._execute(text("DROP TABLE reminder_due"))

    def _execute(self, statement: Any, params: Any = None) -> Any:
        started = time.monotonic()
        result = self.session.execute(statement, params or {})
        log.debug("%.2f s: %s", time.monotonic() - started, str(statement).strip().split("\n")[0])
        return result

    def _decide_shared(self, purpose: ReminderPurpose) -> None:
        """Decide each distinct request of the accounts without recent sends, once."""
        key = [_due.c[name] for name in REQUEST_KEY]
        requests = self._execute(
            select(*key, func.count().label("accounts"))
            .where(not_(_due.c.has_recent))
            .group_by(*key)
        ).all()
        rows = []
        for request in requests:
            decision = self.gate.decision(request, purpose)
            self.summary.count(decision, request.accounts)
            rows.append(
                {name: getattr(request, name) for name in REQUEST_KEY}
                | {
                    "outcome": decision.outcome.value,
                    "reason": decision.reason,
                    "next_allowed_at": decision.next_allowed_at,
                }
            )
        if rows:
            self._execute(insert(_keyed), rows)

    def _recent(self) -> Iterator[tuple[Row[Any], list[Any]]]:
        """Each account with recent sends, its facts and the times of those sends."""
        result = self.session.execute(
            select(*(_due.c[name] for name in ("account_id", *REQUEST_KEY)), Message.sent_at)
            .add_columns(Message.next_attempt_at)
            .select_from(_due)
            .join(Reminder, Reminder.account_id == _due.c.account_id)
            .join(Message, Message.id == Reminder.message_id)
            .where(_due.c.has_recent, recent_send(self.gate.at))
            .order_by(_due.c.account_id),
            execution_options={"yield_per": self.batch_size},
        )
        for _, group in groupby(result, key=lambda row: row.account_id):
            rows = list(group)
            yield rows[0], [r.sent_at or r.next_attempt_at for r in rows]

    def _decide_each(self, purpose: ReminderPurpose) -> None:
        """Decide each account with recent sends: their own history counts against the caps."""
        batch: list[dict[str, Any]] = []
        for facts, sends in self._recent():
            decision = self.gate.decision(facts, purpose, sends)
            self.summary.count(decision)
            batch.append(
                {
                    "account_id": facts.account_id,
                    "outcome": decision.outcome.value,
                    "reason": decision.reason,
                    "next_allowed_at": decision.next_allowed_at,
                }
            )
            if len(batch) >= self.batch_size:
                self._execute(insert(_each), batch)
                batch = []
                self.report()
        if batch:
            self._execute(insert(_each), batch)

    def _key_match(self) -> str:
        # NULL (no stated hours) matches NULL; coalesce keeps it an equality the planner can hash.
        return " AND ".join(
            f"coalesce(k.{name}, '') = coalesce(d.{name}, '')"
            if name == "contact_hours"
            else f"k.{name} = d.{name}"
            for name in REQUEST_KEY
        )

    def _write(self, purpose: ReminderPurpose) -> None:
        """Conversations, messages, reminders and decisions, one statement each."""
        sequences = self._execute(
            text(
                "SELECT pg_get_serial_sequence('reminders', 'id'), "
                "pg_get_serial_sequence('messages', 'id')"
            )
        ).one()
        self._execute(
            text(_PLANNED.format(key_match=self._key_match())),
            {
                "reminder_ids": sequences[0],
                "message_ids": sequences[1],
                "block": Outcome.BLOCK.value,
            },
        )
        planned = self._execute(text("SELECT count(*) FROM reminder_planned")).scalar_one()
        if planned != self._decided:
            raise RuntimeError(f"{self._decided} accounts decided but {planned} planned")
        _texts.create(self.session.connection())
        pairs = self._execute(
            text(
                "SELECT DISTINCT template_id, locale FROM reminder_planned "
                "WHERE message_id IS NOT NULL"
            )
        ).all()
        if pairs:
            self._execute(
                insert(_texts),
                [
                    {"template_id": template_id, "locale": locale, "body": body, "segments": n}
                    for template_id, locale in pairs
                    for body, n in [self.texts(template_id, locale)]
                ],
            )
        at = self.gate.at
        params = {
            "at": at,
            "now": utcnow(),
            "sms": Channel.SMS.value,
            "closed": ConversationState.CLOSED.value,
            "bot_state": ConversationState.BOT.value,
            "outbound": Direction.OUTBOUND.value,
            "bot_author": Author.BOT.value,
            "reminder": MessageKind.REMINDER.value,
            "queued": MessageStatus.QUEUED.value,
            "purpose": purpose.value,
            "run_id": self.summary.run_id,
            "point": DecisionPoint.PLAN.value,
            "profile": self.profile,
            "zones": self.zones,
            "labels": [local_time_label(at, zone) for zone in self.zones],
        }
        self._execute(text(_NEW_CONVERSATIONS), params)
        queued = self._decided - self._blocked
        for statement, rows in ((_MESSAGES, queued), (_REMINDERS, planned), (_DECISIONS, planned)):
            written = self._execute(text(statement), params).rowcount
            if written != rows:
                raise RuntimeError(f"{written} rows written where {rows} were planned")
