"""Who is due a reminder now, in one SQL statement both databases run.

The strategy becomes SQL: the stage and tier of every account on its cardholder's local date
(CASE expressions built from the file), the cadence as a joined constant table, and the facts the
send gate needs (consent, hand-off, dispute, plan, promise, recent sends) as columns. Each fact
comes from a pre-aggregated set joined once (one hash join on PostgreSQL), not from a subquery
per row. The cardholder's local date comes from a small constant table of the distinct time
zones, converted in Python with zoneinfo, so SQLite needs no zone support.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    Boolean,
    Date,
    Integer,
    Select,
    String,
    and_,
    case,
    cast,
    exists,
    func,
    literal,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import GenericFunction

from bot.accounts.models import CardAccount, Cardholder
from bot.accounts.stages import Stage
from bot.conversations.models import Channel, Conversation, Message
from bot.handoff.models import Escalation, EscalationReason, EscalationStatus
from bot.messaging.models import ContactConsent
from bot.plans.models import InstalmentPlan, PlanStatus
from bot.policy.service import SENT_STATUSES, WRONG_PARTY
from bot.promises.models import PromiseStatus, PromiseToPay
from bot.reminders.models import Reminder, ReminderPurpose
from bot.reminders.strategy import TIERS, Strategy

QUEUED_OR_SENT = ("queued", *SENT_STATUSES)


class days_between(GenericFunction[int]):
    """Whole days from the second date to the first."""

    type = Integer()
    inherit_cache = True


@compiles(days_between, "postgresql")
def _days_between_pg(element: days_between, compiler: SQLCompiler, **kw: Any) -> str:
    later, earlier = list(element.clauses)
    return f"(({compiler.process(later, **kw)})::date - ({compiler.process(earlier, **kw)})::date)"


@compiles(days_between)
def _days_between_sqlite(element: days_between, compiler: SQLCompiler, **kw: Any) -> str:
    later, earlier = list(element.clauses)
    return (
        f"CAST(julianday({compiler.process(later, **kw)}) - "
        f"julianday({compiler.process(earlier, **kw)}) AS INTEGER)"
    )


def local_dates(session: Session, at: datetime) -> dict[str, date]:
    """Each cardholder time zone in the database, with its local date at `at`."""
    zones = session.scalars(select(Cardholder.time_zone).distinct()).all()
    return {zone: at.astimezone(ZoneInfo(zone)).date() for zone in zones}


def _rows(name: str, columns: list[tuple[str, Any]], rows: list[tuple[Any, ...]]) -> Any:
    """A small constant table; a UNION ALL of SELECTs, as SQLite names no VALUES columns."""
    selects = [
        select(*(literal(v, t).label(c) for (c, t), v in zip(columns, row, strict=True)))
        for row in rows
    ]
    return union_all(*selects).subquery(name)


def _zones(dates: dict[str, date]) -> Any:
    rows = list(dates.items()) or [("UTC", date(1970, 1, 1))]
    return _rows("z", [("time_zone", String()), ("local_date", Date())], rows)


def _stage_sql(strategy: Strategy, dpd: Any, until_due: Any) -> Any:
    whens = []
    for stage, first, last in strategy.dpd_ranges:
        condition = dpd >= first if last is None else and_(dpd >= first, dpd <= last)
        whens.append((condition, literal(stage.value)))
    whens.append(
        (and_(dpd == 0, until_due.between(0, strategy.pre_due_days)), literal(Stage.PRE_DUE.value))
    )
    return case(*whens, else_=literal(Stage.CURRENT.value))


def _tier_sql(strategy: Strategy, row: Any) -> Any:
    whens = []
    for tier in ("high", "medium"):
        rule = strategy.tiers.get(tier)
        if rule is None:
            continue
        conditions: list[Any] = []
        if rule.dpd_at_least is not None:
            conditions.append(row.dpd >= rule.dpd_at_least)
        if rule.behaviour_score_below is not None:
            conditions.append(row.behaviour_score < rule.behaviour_score_below)
        if rule.broken_promises_at_least is not None:
            conditions.append(row.broken_promises >= rule.broken_promises_at_least)
        if rule.bank_tier is not None:
            # The bank's tier from the feed, that one or higher.
            conditions.append(row.risk_tier.in_(TIERS[TIERS.index(rule.bank_tier) :]))
        for currency, threshold in rule.overdue_minor_at_least.items():
            conditions.append(and_(row.currency == currency, row.overdue_amount_minor >= threshold))
        whens.append((or_(*conditions), literal(tier)))
    return case(*whens, else_=literal("low")) if whens else literal("low")


def _cadence_values(strategy: Strategy) -> Any:
    rows = []
    for (stage, tier), cadence in strategy.cadence.items():
        template = strategy.templates[cadence.template]
        rows.append(
            (
                stage.value,
                tier,
                cadence.every_days,
                cadence.template,
                template.version,
                cadence.may_offer_plans,
            )
        )
    columns = [
        ("stage", String()),
        ("tier", String()),
        ("every_days", Integer()),
        ("template_id", String()),
        ("template_version", Integer()),
        ("may_offer_plans", Boolean()),
    ]
    return _rows("c", columns, rows)


def _days_before_due_sql(strategy: Strategy, due: Any) -> Any:
    """The cadences that go a fixed number of days before the due date, for this row's stage."""
    conditions = [
        and_(
            due.c.stage == stage.value,
            due.c.tier == tier,
            due.c.until_due.in_(cadence.days_before_due),
        )
        for (stage, tier), cadence in strategy.cadence.items()
        if cadence.days_before_due
    ]
    return or_(*conditions) if conditions else literal(False)


# The send gate's facts, as the selection's column names: all booleans, none NULL, so the
# planner can group accounts by them (`planner.gate_request` maps them to `Suppressions`).
# Beside them the selection carries `time_zone` and `contact_hours` (the cardholder's stated
# hours, NULL for none), which are part of every request too.
GATE_FACTS = (
    "opted_out",
    "wrong_party",
    "deceased",
    "bankruptcy",
    "charged_off",
    "closed",
    "paid",
    "active_handoff",
    "open_dispute",
    "plan_active",
    "promise_pending",
)
# How far back a send still counts for the caps (the 7-day cap, with a day to spare for zones).
RECENT_DAYS = 8


def recent_send(at: datetime) -> Any:
    """Condition on a reminder's message: queued or sent, for a time the caps still count."""
    when = func.coalesce(Message.sent_at, Message.next_attempt_at)
    return and_(Message.status.in_(QUEUED_OR_SENT), when > at - timedelta(days=RECENT_DAYS))


def _flag(condition: Any) -> Any:
    """A condition as a boolean that is never NULL."""
    return case((condition, literal(True)), else_=literal(False))


def due_reminders(
    strategy: Strategy, dates: dict[str, date], purpose: ReminderPurpose, at: datetime
) -> Select[Any]:
    """Accounts due a reminder of `purpose` on their local date (once each), with the gate facts."""
    zones = _zones(dates)
    account = CardAccount
    holder = Cardholder
    snapshot_dpd = account.days_past_due
    since_snapshot = days_between(zones.c.local_date, account.as_of)
    after_due = days_between(zones.c.local_date, account.due_date)
    # The snapshot projected to today: the feed may be a few days old.
    dpd = case(
        (snapshot_dpd > 0, snapshot_dpd + case((since_snapshot > 0, since_snapshot), else_=0)),
        (after_due > 0, after_due),
        else_=0,
    )
    until_due = days_between(account.due_date, zones.c.local_date)
    broken = (
        select(PromiseToPay.account_id, func.count().label("promises"))
        .where(PromiseToPay.status == PromiseStatus.BROKEN)
        .group_by(PromiseToPay.account_id)
        .subquery("broken")
    )
    # A blocked slot is on record but is no contact: the cadence counts from the last real one,
    # so an account whose suppression ends (a broken promise, a resolved case) is due again.
    last = (
        select(Reminder.account_id, func.max(Reminder.slot_date).label("slot_date"))
        .where(Reminder.purpose == purpose.value, Reminder.outcome != "block")
        .group_by(Reminder.account_id)
        .subquery("last")
    )
    last_slot = last.c.slot_date
    planned_today = (
        exists()
        .where(
            Reminder.account_id == account.id,
            Reminder.purpose == purpose.value,
            Reminder.slot_date == zones.c.local_date,
        )
        .correlate(account, zones)
    )
    base = (
        select(
            account.id.label("account_id"),
            holder.id.label("cardholder_id"),
            holder.phone_e164.label("phone"),
            holder.locale.label("locale"),
            holder.time_zone.label("time_zone"),
            holder.contact_hours.label("contact_hours"),
            zones.c.local_date.label("local_date"),
            account.currency,
            account.overdue_amount_minor,
            account.behaviour_score,
            account.risk_tier,
            account.charged_off,
            account.closed,
            account.disputed_amount_minor,
            case(
                (account.days_past_due > 0, account.overdue_amount_minor),
                else_=account.minimum_due_minor,
            ).label("amount_to_collect"),
            holder.deceased,
            holder.bankruptcy,
            dpd.label("dpd"),
            until_due.label("until_due"),
            func.coalesce(broken.c.promises, 0).label("broken_promises"),
            last_slot.label("last_slot"),
            days_between(zones.c.local_date, last_slot).label("days_since_last"),
        )
        .select_from(account)
        .join(holder, holder.id == account.cardholder_id)
        .join(zones, zones.c.time_zone == holder.time_zone)
        .outerjoin(broken, broken.c.account_id == account.id)
        .outerjoin(last, last.c.account_id == account.id)
        .where(~planned_today)
    )
    if purpose is ReminderPurpose.PROMISE:
        # Two pending promises for the same day make one follow-up, about the first made.
        promised = (
            select(
                PromiseToPay.account_id,
                PromiseToPay.promised_date,
                func.min(PromiseToPay.id).label("promise_id"),
            )
            .where(PromiseToPay.status == PromiseStatus.PENDING)
            .group_by(PromiseToPay.account_id, PromiseToPay.promised_date)
            .subquery("promised")
        )
        base = base.join(
            promised,
            and_(
                promised.c.account_id == account.id,
                days_between(promised.c.promised_date, zones.c.local_date)
                == strategy.promise_reminder_days_before,
            ),
        ).add_columns(promised.c.promise_id)
    row = base.subquery("base").c
    inner = select(
        row.account_id,
        row.cardholder_id,
        row.phone,
        row.locale,
        row.time_zone,
        row.contact_hours,
        row.local_date,
        _stage_sql(strategy, row.dpd, row.until_due).label("stage"),
        _tier_sql(strategy, row).label("tier"),
        row.until_due,
        row.last_slot,
        row.days_since_last,
        row.currency,
        row.charged_off,
        row.closed,
        row.disputed_amount_minor,
        row.amount_to_collect,
        row.deceased,
        row.bankruptcy,
        *([row.promise_id] if purpose is ReminderPurpose.PROMISE else []),
    )
    inner_q = inner.subquery("due")
    cadence = _cadence_values(strategy)
    due_today: Any
    if purpose is ReminderPurpose.CADENCE:
        # One cadence row per stage and tier, so an account is selected at most once.
        due_today = or_(
            _days_before_due_sql(strategy, inner_q),
            and_(
                cadence.c.every_days.is_not(None),
                or_(
                    inner_q.c.last_slot.is_(None),
                    inner_q.c.days_since_last >= cadence.c.every_days,
                ),
            ),
        )
        template_id: Any = cadence.c.template_id
        template_version: Any = cadence.c.template_version
        may_offer: Any = cadence.c.may_offer_plans
        join_kind = False
    else:
        due_today = literal(True)
        promise_template = strategy.templates[strategy.promise_template]
        template_id = literal(promise_template.template_id)
        template_version = literal(promise_template.version)
        may_offer = func.coalesce(cadence.c.may_offer_plans, literal(False))
        join_kind = True
    # Facts for the send gate: each a set aggregated once and joined.
    consent = (
        select(ContactConsent.address, ContactConsent.reason)
        .where(ContactConsent.channel == Channel.SMS, ContactConsent.withdrawn_at.is_not(None))
        .subquery("consent")
    )
    live = Escalation.status.in_([EscalationStatus.OPEN, EscalationStatus.CLAIMED])
    disputing = and_(
        Escalation.reason == EscalationReason.DISPUTE,
        Escalation.status != EscalationStatus.RESOLVED,
    )
    cases = (
        select(
            Conversation.cardholder_id,
            func.max(case((live, 1), else_=0)).label("handoff"),
            func.max(case((disputing, 1), else_=0)).label("dispute"),
        )
        .join(Escalation, Escalation.conversation_id == Conversation.id)
        .where(or_(live, disputing))
        .group_by(Conversation.cardholder_id)
        .subquery("cases")
    )
    plans = (
        select(InstalmentPlan.account_id)
        .where(InstalmentPlan.status == PlanStatus.ACTIVE)
        .group_by(InstalmentPlan.account_id)
        .subquery("plans")
    )
    # Some pending promise falls within grace exactly when the latest one does.
    pending = (
        select(PromiseToPay.account_id, func.max(PromiseToPay.promised_date).label("latest"))
        .where(PromiseToPay.status == PromiseStatus.PENDING)
        .group_by(PromiseToPay.account_id)
        .subquery("pending")
    )
    recent = (
        select(Reminder.account_id)
        .join(Message, Message.id == Reminder.message_id)
        .where(recent_send(at))
        .group_by(Reminder.account_id)
        .subquery("recent")
    )
    a_id = inner_q.c.account_id
    no_promise = cast(null(), Integer)
    facts = select(
        # The account's own flags come back below as the gate's facts, never NULL.
        *(c for c in inner_q.c if c.key not in GATE_FACTS),
        template_id.label("template_id"),
        template_version.label("template_version"),
        may_offer.label("may_offer_plans"),
        *([] if purpose is ReminderPurpose.PROMISE else [no_promise.label("promise_id")]),
        _flag(and_(consent.c.reason.is_not(None), consent.c.reason != WRONG_PARTY)).label(
            "opted_out"
        ),
        _flag(consent.c.reason == WRONG_PARTY).label("wrong_party"),
        _flag(inner_q.c.deceased).label("deceased"),
        _flag(inner_q.c.bankruptcy).label("bankruptcy"),
        _flag(inner_q.c.charged_off).label("charged_off"),
        _flag(inner_q.c.closed).label("closed"),
        _flag(inner_q.c.amount_to_collect <= 0).label("paid"),
        _flag(cases.c.handoff == 1).label("active_handoff"),
        _flag(or_(inner_q.c.disputed_amount_minor > 0, cases.c.dispute == 1)).label("open_dispute"),
        _flag(plans.c.account_id.is_not(None)).label("plan_active"),
        _flag(
            days_between(inner_q.c.local_date, pending.c.latest) <= strategy.promise_grace_days
        ).label("promise_pending"),
        _flag(recent.c.account_id.is_not(None)).label("has_recent"),
    )
    on_cadence = and_(cadence.c.stage == inner_q.c.stage, cadence.c.tier == inner_q.c.tier)
    source: Any = (
        inner_q.outerjoin(cadence, on_cadence) if join_kind else inner_q.join(cadence, on_cadence)
    )
    source = (
        source.outerjoin(consent, consent.c.address == inner_q.c.phone)
        .outerjoin(cases, cases.c.cardholder_id == inner_q.c.cardholder_id)
        .outerjoin(plans, plans.c.account_id == a_id)
        .outerjoin(pending, pending.c.account_id == a_id)
        .outerjoin(recent, recent.c.account_id == a_id)
    )
    facts = facts.select_from(source).where(due_today)
    facts = facts.where(or_(inner_q.c.last_slot.is_(None), inner_q.c.days_since_last > 0))
    # Charged-off and current accounts are in no cadence; promises are followed up in any stage
    # that still gets contact.
    facts = facts.where(inner_q.c.stage.not_in([Stage.CURRENT.value, Stage.CHARGED_OFF.value]))
    return facts


def recent_sends(
    session: Session, account_ids: list[int], at: datetime
) -> dict[int, list[datetime]]:
    """Queued and sent reminders of these accounts in the 8 days before `at`, per account."""
    if not account_ids:
        return {}
    rows = session.execute(
        select(Reminder.account_id, Message.sent_at, Message.next_attempt_at)
        .join(Message, Message.id == Reminder.message_id)
        .where(Reminder.account_id.in_(account_ids), recent_send(at))
    )
    result: dict[int, list[datetime]] = {}
    for account_id, sent_at, next_attempt_at in rows:
        when_sent = sent_at or next_attempt_at
        if when_sent is not None:
            result.setdefault(account_id, []).append(when_sent)
    return result
