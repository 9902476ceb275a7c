"""Promise follow-up: settle promises whose grace has passed (kept or broken).

A promise is kept when the payments received from when it was made to the end of the promised
date plus the grace days (in the cardholder's zone) reach the tolerance of the promised amount;
otherwise it is broken, and the account re-enters the reminder cadence (the "promise not yet due"
suppression no longer holds). The reminder the day before is planned by `bot.reminders.planner`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot import audit
from bot.accounts.models import CardAccount, Cardholder, Payment
from bot.promises.models import PromiseStatus, PromiseToPay


@dataclass(frozen=True)
class Settled:
    kept: int = 0
    broken: int = 0


def promise_kept(paid_minor: int, promised_minor: int, tolerance_percent: int) -> bool:
    """Whether `paid_minor` reaches `tolerance_percent` of the promise (exact, in integers)."""
    return paid_minor * 100 >= promised_minor * tolerance_percent


def settle_promises(
    session: Session, *, at: datetime, grace_days: int, tolerance_percent: int
) -> Settled:
    """Mark pending promises whose date plus grace has passed at `at` as kept or broken."""
    kept = broken = 0
    pending = session.execute(
        select(PromiseToPay, Cardholder.time_zone)
        .join(CardAccount, CardAccount.id == PromiseToPay.account_id)
        .join(Cardholder, Cardholder.id == CardAccount.cardholder_id)
        .where(PromiseToPay.status == PromiseStatus.PENDING)
        .order_by(PromiseToPay.id)
    ).all()
    for promise, time_zone in pending:
        zone = ZoneInfo(time_zone)
        last_day = promise.promised_date + timedelta(days=grace_days)
        if at.astimezone(zone).date() <= last_day:
            continue
        deadline = datetime.combine(last_day + timedelta(days=1), time(0), tzinfo=zone)
        paid = session.scalar(
            select(func.coalesce(func.sum(Payment.amount_minor), 0)).where(
                Payment.account_id == promise.account_id,
                Payment.paid_at >= promise.created_at,
                Payment.paid_at < deadline.astimezone(UTC),
            )
        )
        is_kept = promise_kept(int(paid or 0), promise.amount_minor, tolerance_percent)
        promise.status = PromiseStatus.KEPT if is_kept else PromiseStatus.BROKEN
        promise.resolved_at = at
        audit.record(
            session,
            actor="system",
            action="promise.kept" if is_kept else "promise.broken",
            promise_id=promise.id,
            account_id=promise.account_id,
            paid_minor=int(paid or 0),
            promised_minor=promise.amount_minor,
        )
        kept += is_kept
        broken += not is_kept
    session.flush()
    return Settled(kept=kept, broken=broken)
