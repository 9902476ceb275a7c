"""The plan product table, who may have a plan, quotes for an account, and acceptance."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import audit
from bot.accounts.models import CardAccount
from bot.money import format_money
from bot.plans.models import InstalmentPlan, PlanStatus
from bot.plans.products import PlanProducts
from bot.plans.quote import PlanQuote, quote_plan


def ineligibility(session: Session, *, account: CardAccount, products: PlanProducts) -> str | None:
    """Why the account cannot have a plan from the bot, or None when it can."""
    if account.stage().value not in products.stages:
        return "stage"
    if account.risk_tier in products.excluded_risk_tiers:
        return "risk_tier"
    if account.collectable_overdue_minor < products.min_principal_minor:
        return "amount"
    active = session.scalar(
        select(InstalmentPlan.id).where(
            InstalmentPlan.account_id == account.id, InstalmentPlan.status == PlanStatus.ACTIVE
        )
    )
    return "active_plan" if active else None


def quotes_for(account: CardAccount, products: PlanProducts) -> list[PlanQuote]:
    """A quote per term for the overdue amount not on hold for a dispute."""
    principal = account.collectable_overdue_minor
    return [
        quote_plan(principal_minor=principal, months=m, monthly_fee_rate=products.monthly_fee_rate)
        for m in products.terms_months
    ]


def describe_quote(quote: PlanQuote, currency: str) -> str:
    """One line a cardholder can compare: monthly payment, total fee, annual rate."""
    monthly = format_money(quote.monthly_payment_minor, currency)
    fee = format_money(quote.total_fee_minor, currency)
    last = quote.instalments_minor[-1]
    tail = "" if last == quote.monthly_payment_minor else f" (last {format_money(last, currency)})"
    return (
        f"{quote.months} months: {monthly}/month{tail}, total fee {fee}, APR {quote.apr_percent}%"
    )


def accept_plan(
    session: Session,
    *,
    account: CardAccount,
    quote: PlanQuote,
    conversation_id: str | None,
    today: date,
    created_by: str,
) -> InstalmentPlan:
    """Store the plan with the quote it was accepted on; its first instalment is due in a month."""
    plan = InstalmentPlan(
        account_id=account.id,
        conversation_id=conversation_id,
        currency=account.currency,
        principal_minor=quote.principal_minor,
        months=quote.months,
        monthly_fee_rate=quote.monthly_fee_rate,
        instalments_minor=list(quote.instalments_minor),
        total_fee_minor=quote.total_fee_minor,
        apr_percent=quote.apr_percent,
        first_due_date=today + timedelta(days=30),
        status=PlanStatus.ACTIVE,
        created_by=created_by,
    )
    session.add(plan)
    session.flush()
    audit.record(
        session,
        actor=created_by,
        action="plan.accepted",
        conversation_id=conversation_id,
        cardholder_id=account.cardholder_id,
        plan_id=plan.id,
        months=quote.months,
        principal_minor=quote.principal_minor,
        total_fee_minor=quote.total_fee_minor,
        apr_percent=str(quote.apr_percent),
    )
    return plan
