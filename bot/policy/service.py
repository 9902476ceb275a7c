"""The send gate against the database: gather a message's facts, decide, record the decision."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from bot.accounts.models import CardAccount, Cardholder
from bot.accounts.service import account_for
from bot.conversations.models import (
    Channel,
    Conversation,
    Direction,
    Message,
    MessageKind,
    MessageStatus,
)
from bot.handoff.models import Escalation, EscalationReason, EscalationStatus
from bot.messaging.models import ContactConsent
from bot.plans.models import InstalmentPlan, PlanStatus
from bot.policy.models import ContactDecision, DecisionPoint
from bot.policy.send_gate import (
    Decision,
    GatePolicy,
    SendRequest,
    Suppressions,
    decide,
    preferred_hours,
)
from bot.promises.models import PromiseStatus, PromiseToPay
from bot.reminders.models import Reminder, ReminderPurpose
from bot.reminders.strategy import Strategy, load_strategy
from bot.settings import PROJECT_ROOT, Settings

WRONG_PARTY = "wrong_party"
# Outreach that has gone, or is going: what caps count at the moment of sending.
SENT_STATUSES = (
    MessageStatus.SENDING,
    MessageStatus.SENT,
    MessageStatus.DELIVERED,
    MessageStatus.UNDELIVERED,
)


@lru_cache(maxsize=8)
def _cached_strategy(path: Path, mtime_ns: int) -> Strategy:
    return load_strategy(path)


def strategy_for(settings: Settings) -> Strategy:
    """The configured strategy file, validated (read again only when the file changes)."""
    path = Path(settings.contact_strategy_file)
    if not path.is_absolute():
        path = PROJECT_ROOT / path
    return _cached_strategy(path, path.stat().st_mtime_ns if path.exists() else 0)


def gate_policy(strategy: Strategy, profile: str) -> GatePolicy:
    """The rules in force under `profile`: the strictest of it and the bank's own."""
    rules = strategy.rules(profile)
    return GatePolicy(
        profile=profile,
        window=rules.window,
        max_per_day=rules.max_per_day,
        max_per_7_days=rules.max_per_7_days,
        holidays=strategy.holidays,
    )


def local_time_label(moment: datetime, time_zone: str) -> str:
    return f"{moment.astimezone(ZoneInfo(time_zone)):%Y-%m-%d %H:%M} {time_zone}"


def consent_facts(session: Session, address: str) -> tuple[bool, bool]:
    """(opted out, wrong party) for an SMS address."""
    row = session.scalars(
        select(ContactConsent).where(
            ContactConsent.channel == Channel.SMS,
            ContactConsent.address == address,
            ContactConsent.withdrawn_at.is_not(None),
        )
    ).first()
    if row is None:
        return False, False
    return row.reason != WRONG_PARTY, row.reason == WRONG_PARTY


def account_suppressions(
    session: Session,
    *,
    account: CardAccount,
    local_date: date,
    grace_days: int,
    opted_out: bool = False,
    wrong_party: bool = False,
) -> Suppressions:
    """Everything about an account and its cardholder that stops outreach on `local_date`."""
    cardholder = account.cardholder
    handoff = session.scalar(
        select(
            exists().where(
                Escalation.conversation_id == Conversation.id,
                Conversation.cardholder_id == cardholder.id,
                Escalation.status.in_([EscalationStatus.OPEN, EscalationStatus.CLAIMED]),
            )
        )
    )
    dispute_case = session.scalar(
        select(
            exists().where(
                Escalation.conversation_id == Conversation.id,
                Conversation.cardholder_id == cardholder.id,
                Escalation.reason == EscalationReason.DISPUTE,
                Escalation.status != EscalationStatus.RESOLVED,
            )
        )
    )
    plan = session.scalar(
        select(
            exists().where(
                InstalmentPlan.account_id == account.id,
                InstalmentPlan.status == PlanStatus.ACTIVE,
            )
        )
    )
    promise = session.scalar(
        select(
            exists().where(
                PromiseToPay.account_id == account.id,
                PromiseToPay.status == PromiseStatus.PENDING,
                PromiseToPay.promised_date >= local_date - timedelta(days=grace_days),
            )
        )
    )
    return Suppressions(
        opted_out=opted_out,
        wrong_party=wrong_party,
        deceased=cardholder.deceased,
        bankruptcy=cardholder.bankruptcy,
        charged_off=account.charged_off,
        closed=account.closed,
        paid=amount_to_collect(account) <= 0,
        active_handoff=bool(handoff),
        open_dispute=account.disputed_amount_minor > 0 or bool(dispute_case),
        plan_in_good_standing=bool(plan),
        promise_not_yet_due=bool(promise),
    )


def amount_to_collect(account: CardAccount) -> int:
    """What a reminder is about: the overdue amount, or before the due date the minimum due."""
    return account.overdue_amount_minor if account.days_past_due > 0 else account.minimum_due_minor


def recent_reminder_sends(
    session: Session, *, account_id: int, now: datetime, excluding_message: int | None = None
) -> list[datetime]:
    """When reminders to this account went out in the last 7 days."""
    query = (
        select(Message.sent_at, Message.next_attempt_at, Message.created_at)
        .join(Reminder, Reminder.message_id == Message.id)
        .where(
            Reminder.account_id == account_id,
            Message.status.in_(SENT_STATUSES),
            func.coalesce(Message.sent_at, Message.next_attempt_at, Message.created_at)
            > now - timedelta(days=8),
        )
    )
    if excluding_message is not None:
        query = query.where(Message.id != excluding_message)
    return [sent or attempt or created for sent, attempt, created in session.execute(query)]


class SendGate:
    """The one gate; `check_message` is what the outbox asks before every SMS."""

    def __init__(self, strategy: Strategy, profile: str) -> None:
        self.strategy = strategy
        self.policy = gate_policy(strategy, profile)

    @classmethod
    def from_settings(cls, settings: Settings) -> SendGate:
        return cls(strategy_for(settings), settings.contact_policy_profile)

    def check_message(self, session: Session, message: Message, *, now: datetime) -> Decision:
        """Decide for a queued outbound message at `now` and record the decision."""
        conversation = message.conversation
        opted_out, wrong_party = consent_facts(session, conversation.address)
        cardholder: Cardholder | None = conversation.cardholder
        zone = cardholder.time_zone if cardholder else self.strategy.default_time_zone
        kind = MessageKind(message.kind or MessageKind.REPLY)
        last_inbound = session.scalar(
            select(func.max(Message.created_at)).where(
                Message.conversation_id == conversation.id,
                Message.direction == Direction.INBOUND,
            )
        )
        if last_inbound is not None and last_inbound.tzinfo is None:
            last_inbound = last_inbound.replace(tzinfo=UTC)
        consumer_initiated = last_inbound is not None and last_inbound >= now - timedelta(
            hours=self.strategy.consumer_initiated_hours
        )
        reminder = None
        account = None
        suppressions = Suppressions(opted_out=opted_out, wrong_party=wrong_party)
        sends: list[datetime] = []
        if kind is MessageKind.REMINDER:
            reminder = session.scalars(
                select(Reminder).where(Reminder.message_id == message.id)
            ).first()
            if reminder is not None:
                account = session.get(CardAccount, reminder.account_id)
            else:
                account = account_for(cardholder)
            if account is not None:
                suppressions = account_suppressions(
                    session,
                    account=account,
                    local_date=now.astimezone(ZoneInfo(zone)).date(),
                    grace_days=self.strategy.promise_grace_days,
                    opted_out=opted_out,
                    wrong_party=wrong_party,
                )
                sends = recent_reminder_sends(
                    session, account_id=account.id, now=now, excluding_message=message.id
                )
        decision = decide(
            SendRequest(
                kind=kind,
                moment=now,
                time_zone=zone,
                suppressions=suppressions,
                recent_sends=sends,
                consumer_initiated=consumer_initiated,
                promise_followup=reminder is not None
                and reminder.purpose == ReminderPurpose.PROMISE,
                preferred_hours=preferred_hours(cardholder.contact_hours) if cardholder else None,
            ),
            self.policy,
        )
        session.add(
            ContactDecision(
                decided_at=now,
                point=DecisionPoint.SEND,
                outcome=decision.outcome.value,
                reason=decision.reason[:200],
                next_allowed_at=decision.next_allowed_at,
                kind=kind.value,
                channel=message.channel,
                address=conversation.address,
                cardholder_id=cardholder.id if cardholder else None,
                account_id=account.id if account else None,
                message_id=message.id,
                reminder_id=reminder.id if reminder else None,
                template_id=reminder.template_id if reminder else None,
                template_version=reminder.template_version if reminder else None,
                profile=self.policy.profile,
                local_time=local_time_label(now, zone),
            )
        )
        return decision
