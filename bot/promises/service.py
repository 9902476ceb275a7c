"""Promises to pay: checked against the rules, stored, read back; "already paid" claims."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot import audit
from bot.accounts.models import CardAccount, Payment
from bot.money import format_money
from bot.promises.models import PaymentClaim, PaymentClaimStatus, PromiseToPay


@dataclass(frozen=True)
class PromiseProblem:
    field: str  # "amount" or "date"
    message: str


def cardholder_today(time_zone: str, now: datetime) -> date:
    """The cardholder's own calendar day at `now`."""
    return now.astimezone(ZoneInfo(time_zone)).date()


def check_promise(
    *,
    account: CardAccount,
    amount_minor: int | None,
    promised_date: date | None,
    today: date,
    horizon_days: int,
) -> list[PromiseProblem]:
    """What is wrong with a promise: amount above zero and not above what is overdue (less any
    amount on hold for a dispute), date from today to the horizon. Empty when it can be
    accepted."""
    problems = []
    overdue = format_money(account.collectable_overdue_minor, account.currency)
    if amount_minor is not None and amount_minor <= 0:
        problems.append(PromiseProblem("amount", "The amount needs to be more than zero."))
    elif amount_minor is not None and amount_minor > account.collectable_overdue_minor:
        problems.append(
            PromiseProblem("amount", f"That is more than the overdue amount of {overdue}.")
        )
    last = today + timedelta(days=horizon_days)
    if promised_date is not None and promised_date < today:
        problems.append(PromiseProblem("date", "That date has already passed."))
    elif promised_date is not None and promised_date > last:
        problems.append(
            PromiseProblem(
                "date",
                f"I can note a promise up to {long_date(last)}. For later, an instalment plan "
                "may suit you better.",
            )
        )
    return problems


class PromiseRefused(ValueError):
    """A promise that breaks the rules; nothing was stored."""

    def __init__(self, problems: list[PromiseProblem]) -> None:
        super().__init__("; ".join(p.message for p in problems))
        self.problems = problems


def record_promise(
    session: Session,
    *,
    account: CardAccount,
    conversation_id: str | None,
    amount_minor: int | None,
    promised_date: date | None,
    today: date,
    horizon_days: int,
    created_by: str,
) -> PromiseToPay:
    """Check a confirmed promise against the rules again, then store it (PromiseRefused if not).

    The check is repeated here, at the moment of storing, because what reaches this point (form
    slots, a read-back) may have been changed since it was first checked.
    """
    problems = check_promise(
        account=account,
        amount_minor=amount_minor,
        promised_date=promised_date,
        today=today,
        horizon_days=horizon_days,
    )
    if amount_minor is None:
        problems.append(PromiseProblem("amount", "I don't have an amount for the promise."))
    if promised_date is None:
        problems.append(PromiseProblem("date", "I don't have a date for the promise."))
    if problems:
        raise PromiseRefused(problems)
    assert amount_minor is not None and promised_date is not None
    return save_promise(
        session,
        account=account,
        conversation_id=conversation_id,
        amount_minor=amount_minor,
        promised_date=promised_date,
        created_by=created_by,
    )


def long_date(day: date) -> str:
    return f"{day:%A} {day.day} {day:%B}"


def save_promise(
    session: Session,
    *,
    account: CardAccount,
    conversation_id: str | None,
    amount_minor: int,
    promised_date: date,
    created_by: str,
) -> PromiseToPay:
    """Store a confirmed promise; an earlier pending promise on the account is replaced."""
    for earlier in session.scalars(
        select(PromiseToPay).where(
            PromiseToPay.account_id == account.id, PromiseToPay.status == "pending"
        )
    ):
        earlier.status = "cancelled"  # type: ignore[assignment]
    promise = PromiseToPay(
        account_id=account.id,
        conversation_id=conversation_id,
        amount_minor=amount_minor,
        currency=account.currency,
        promised_date=promised_date,
        created_by=created_by,
    )
    session.add(promise)
    session.flush()
    audit.record(
        session,
        actor=created_by,
        action="promise.made",
        conversation_id=conversation_id,
        cardholder_id=account.cardholder_id,
        promise_id=promise.id,
        amount_minor=amount_minor,
        promised_date=promised_date.isoformat(),
    )
    return promise


def payments_since(session: Session, *, account: CardAccount, since: date) -> int:
    """Minor units paid into the account on or after `since` (UTC days)."""
    start = datetime.combine(since, datetime.min.time(), tzinfo=ZoneInfo("UTC"))
    total = session.scalar(
        select(func.coalesce(func.sum(Payment.amount_minor), 0)).where(
            Payment.account_id == account.id, Payment.paid_at >= start
        )
    )
    return int(total or 0)


def record_payment_claim(
    session: Session,
    *,
    account: CardAccount,
    conversation_id: str | None,
    amount_minor: int | None,
    paid_on: date | None,
) -> PaymentClaim:
    """Keep an "I already paid" that no recorded payment matches yet, for a person to check."""
    claim = PaymentClaim(
        account_id=account.id,
        conversation_id=conversation_id,
        amount_minor=amount_minor,
        paid_on=paid_on,
        status=PaymentClaimStatus.UNVERIFIED,
    )
    session.add(claim)
    session.flush()
    audit.record(
        session,
        actor="bot",
        action="payment_claim.recorded",
        conversation_id=conversation_id,
        cardholder_id=account.cardholder_id,
        claim_id=claim.id,
    )
    return claim
