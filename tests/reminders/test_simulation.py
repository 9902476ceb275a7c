"""Thirty days of the demo portfolio: the cadence the strategy file asks for, and no more."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from bot.accounts.models import CardAccount, Cardholder
from bot.accounts.stages import Stage
from bot.conversations.models import Message, MessageStatus
from bot.policy.service import strategy_for
from bot.reminders.models import Reminder
from tests.conftest import AS_OF
from tests.reminders.conftest import deliver_due, run

DAYS = 30
# Every local day of every demo zone has a run inside its contact window.
STEP = timedelta(hours=6)


def _tier(strategy, account, dpd):
    """The tier the strategy's rules give (written out again here, independently of the SQL)."""
    for name in ("high", "medium"):
        rule = strategy.tiers[name]
        ranks = ["low", "medium", "high"]
        if (
            (rule.dpd_at_least is not None and dpd >= rule.dpd_at_least)
            or (
                rule.behaviour_score_below is not None
                and account.behaviour_score < rule.behaviour_score_below
            )
            or (rule.bank_tier and ranks.index(account.risk_tier) >= ranks.index(rule.bank_tier))
            or account.overdue_amount_minor
            >= rule.overdue_minor_at_least.get(account.currency, 10**18)
        ):
            return name
    return "low"


def _expected_slots(strategy, account, first: date, last: date) -> list[date]:
    slots: list[date] = []
    day = first
    while day <= last:
        if account.days_past_due > 0:
            dpd = account.days_past_due + (day - account.as_of).days
        else:
            dpd = max((day - account.due_date).days, 0)
        stage = strategy.stage(dpd, (account.due_date - day).days)
        cadence = strategy.cadence.get((stage, _tier(strategy, account, dpd)))
        if cadence is not None and stage is not Stage.CHARGED_OFF:
            if cadence.days_before_due:
                due = (account.due_date - day).days in cadence.days_before_due
            else:
                due = not slots or (day - slots[-1]).days >= cadence.every_days
            if due:
                slots.append(day)
        day += timedelta(days=1)
    return slots


def test_thirty_days_of_the_demo_portfolio_follow_the_strategy(
    sessions, settings, demo_portfolio, gate
):
    strategy = strategy_for(settings)
    start = datetime.combine(AS_OF, datetime.min.time(), tzinfo=UTC)
    moment = start
    while moment < start + timedelta(days=DAYS):
        run(sessions, settings, moment)
        deliver_due(sessions, gate, moment)
        moment += STEP
    end = moment
    for _ in range(200):  # what is still deferred goes out at its next allowed time
        with sessions() as session:
            waiting = session.scalar(
                select(func.min(Message.next_attempt_at)).where(
                    Message.status == MessageStatus.QUEUED
                )
            )
        if waiting is None:
            break
        deliver_due(sessions, gate, waiting)
    rules = strategy.rules(settings.contact_policy_profile)
    with sessions() as session:
        accounts = session.scalars(select(CardAccount).join(Cardholder)).all()
        zones = {a.id: ZoneInfo(a.cardholder.time_zone) for a in accounts}
        reminders = session.scalars(select(Reminder).order_by(Reminder.slot_date)).all()
        messages = {m.id: m for m in session.scalars(select(Message))}
        expected_total = 0
        for account in accounts:
            zone = zones[account.id]
            first = start.astimezone(zone).date()
            last = (end - STEP).astimezone(zone).date()
            expected = _expected_slots(strategy, account, first, last)
            expected_total += len(expected)
            got = [r.slot_date for r in reminders if r.account_id == account.id]
            assert got == expected, account.external_id
        assert expected_total > 56
        sends = defaultdict(list)
        for reminder in reminders:
            message = messages[reminder.message_id]
            # Nothing is lost: every planned reminder was sent in the end.
            assert message.status == MessageStatus.SENT, reminder.outcome
            local = message.sent_at.astimezone(zones[reminder.account_id])
            assert rules.window.start <= local.time() < rules.window.end
            assert local.date() not in strategy.holidays
            sends[reminder.account_id].append(message.sent_at)
        for times in sends.values():
            times.sort()
            for i, sent in enumerate(times):
                zone_day = [
                    t for t in times if t.astimezone(zone).date() == sent.astimezone(zone).date()
                ]
                week = [t for t in times[: i + 1] if sent - timedelta(days=7) < t]
                assert len(zone_day) <= rules.max_per_day
                assert len(week) <= rules.max_per_7_days
