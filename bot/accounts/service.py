"""Reading a cardholder's accounts and explaining what is due, for a verified person only."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.accounts.models import CardAccount, Cardholder
from bot.accounts.stages import Stage
from bot.money import format_money


def find_cardholder_by_phone(session: Session, phone_e164: str) -> Cardholder | None:
    """The cardholder whose phone is `phone_e164`, if any."""
    return session.scalars(select(Cardholder).where(Cardholder.phone_e164 == phone_e164)).first()


def account_for(cardholder: Cardholder | None) -> CardAccount | None:
    """The card account a conversation with `cardholder` is about: their first, by id."""
    if cardholder is None or not cardholder.accounts:
        return None
    return cardholder.accounts[0]


def _long_date(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def explain_account(account: CardAccount) -> str:
    """What is due on `account`, in one short message."""
    card = f"card ending {account.card_last4}"
    minimum = format_money(account.minimum_due_minor, account.currency)
    stage = account.stage()
    if account.overdue_amount_minor > 0 and account.days_past_due > 0:
        overdue = format_money(account.overdue_amount_minor, account.currency)
        days = "day" if account.days_past_due == 1 else "days"
        text = (
            f"Your {card} has an overdue amount of {overdue}. "
            f"The minimum payment of {minimum} was due on {_long_date(account.due_date)}, "
            f"{account.days_past_due} {days} ago."
        )
        if account.disputed_amount_minor:
            held = format_money(account.disputed_amount_minor, account.currency)
            text += f" {held} is on hold while we look into your dispute."
        return text
    if stage is Stage.PRE_DUE and account.minimum_due_minor > 0:
        return (
            f"Your {card} is up to date. Your next minimum payment of {minimum} "
            f"is due on {_long_date(account.due_date)}."
        )
    return f"Your {card} is up to date; nothing is overdue."
