"""A deterministic demo portfolio over every stage, with the facts that pass its verification."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot import audit
from bot.accounts.models import CardAccount, Cardholder, RiskTier
from bot.settings import Settings
from bot.verification.facts import hash_date_of_birth

_SEED = 20261122
# (stage name, count, days past due range, days until due range)
_STAGE_PLAN = [
    ("pre-due", 12, (0, 0), (1, 5)),
    ("M1", 16, (1, 30), (0, 0)),
    ("M2-M3", 16, (31, 90), (0, 0)),
    ("M4+", 12, (91, 179), (0, 0)),
]
_EN_FIRST = [
    "Alice",
    "Ben",
    "Chloe",
    "David",
    "Emma",
    "Frank",
    "Grace",
    "Henry",
    "Isla",
    "Jack",
    "Kate",
    "Liam",
]
_EN_LAST = [
    "Walker",
    "Patel",
    "Nguyen",
    "Smith",
    "Garcia",
    "Brown",
    "Okafor",
    "Murphy",
    "Kim",
    "Lopez",
]
_ZH_FAMILY = ["王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周"]
_ZH_GIVEN = ["伟", "芳", "娜", "敏", "静", "磊", "洋", "艳", "勇", "军", "杰", "婷"]
# (locale, time zone, currency, phone prefix); numbers from ranges reserved for fiction where
# the numbering plan has one, each prefix followed by 4 digits.
_REGIONS = [
    ("zh-CN", "Asia/Shanghai", "CNY", "+861380000"),
    ("en-US", "America/New_York", "USD", "+1202555"),
    ("en-US", "America/Los_Angeles", "USD", "+1310555"),
    ("en-GB", "Europe/London", "GBP", "+44770090"),
]


@dataclass(frozen=True)
class DemoCardholder:
    external_id: str
    full_name: str
    phone_e164: str
    time_zone: str
    locale: str
    date_of_birth: date
    card_last4: str
    currency: str
    stage: str
    days_past_due: int
    days_until_due: int
    credit_limit_minor: int
    statement_balance_minor: int
    minimum_due_minor: int
    overdue_amount_minor: int
    risk_tier: RiskTier
    behaviour_score: int


def _risk_tier(days_past_due: int, overdue_minor: int, score: int) -> RiskTier:
    if days_past_due > 60 or score < 500:
        return RiskTier.HIGH
    if days_past_due > 15 or overdue_minor > 500_000 or score < 650:
        return RiskTier.MEDIUM
    return RiskTier.LOW


def demo_cardholders() -> Iterator[DemoCardholder]:
    """The demo portfolio, the same on every machine and every run."""
    rng = random.Random(_SEED)
    number = 0
    for stage, count, dpd_range, until_range in _STAGE_PLAN:
        for _ in range(count):
            number += 1
            locale, time_zone, currency, prefix = _REGIONS[number % len(_REGIONS)]
            if locale.startswith("zh"):
                name = rng.choice(_ZH_FAMILY) + rng.choice(_ZH_GIVEN) + rng.choice(_ZH_GIVEN)
            else:
                name = f"{rng.choice(_EN_FIRST)} {rng.choice(_EN_LAST)}"
            phone = f"{prefix}{number:04d}"
            dpd = rng.randint(*dpd_range)
            limit = rng.choice([500_000, 1_000_000, 2_000_000, 5_000_000])
            balance = rng.randint(limit // 5, limit)
            minimum = max(balance // 10, 10_000)
            cycles_missed = 0 if dpd == 0 else dpd // 30 + 1
            overdue = min(balance, minimum * cycles_missed)
            score = rng.randint(420, 820)
            yield DemoCardholder(
                external_id=f"DEMO-{number:04d}",
                full_name=name,
                phone_e164=phone,
                time_zone=time_zone,
                locale=locale,
                date_of_birth=date(1950, 1, 1) + timedelta(days=rng.randint(0, 18_000)),
                card_last4=f"{rng.randint(0, 9999):04d}",
                currency=currency,
                stage=stage,
                days_past_due=dpd,
                days_until_due=rng.randint(*until_range) if dpd == 0 else 0,
                credit_limit_minor=limit,
                statement_balance_minor=balance,
                minimum_due_minor=minimum,
                overdue_amount_minor=overdue,
                risk_tier=_risk_tier(dpd, overdue, score),
                behaviour_score=score,
            )


def seed_demo_portfolio(session: Session, *, settings: Settings, as_of: date) -> int:
    """Insert the demo portfolio when the database has no cardholders; how many were added."""
    if session.scalar(select(func.count()).select_from(Cardholder)):
        return 0
    added = 0
    for demo in demo_cardholders():
        cardholder = Cardholder(
            external_id=demo.external_id,
            full_name=demo.full_name,
            phone_e164=demo.phone_e164,
            time_zone=demo.time_zone,
            locale=demo.locale,
            dob_hash=hash_date_of_birth(
                settings.verification_hash_key,
                cardholder_ref=demo.external_id,
                date_of_birth=demo.date_of_birth,
            ),
        )
        due_date = as_of - timedelta(days=demo.days_past_due) + timedelta(days=demo.days_until_due)
        cardholder.accounts.append(
            CardAccount(
                external_id=f"{demo.external_id}-CARD",
                card_last4=demo.card_last4,
                currency=demo.currency,
                credit_limit_minor=demo.credit_limit_minor,
                statement_balance_minor=demo.statement_balance_minor,
                minimum_due_minor=demo.minimum_due_minor,
                overdue_amount_minor=demo.overdue_amount_minor,
                due_date=due_date,
                days_past_due=demo.days_past_due,
                as_of=as_of,
                risk_tier=demo.risk_tier,
                behaviour_score=demo.behaviour_score,
            )
        )
        session.add(cardholder)
        added += 1
    audit.record(session, actor="system", action="demo.seeded", cardholders=added)
    return added


# Console users for local demos only; `python -m bot seed-demo` adds them in development.
DEMO_COLLECTORS = [("alice", "Alice Chen", "collector"), ("sam", "Sam Rivera", "supervisor")]
DEMO_PASSWORD = "demo-password"


def seed_demo_collectors(session: Session) -> int:
    """Add the demo collector and supervisor when there are no console users yet."""
    from bot.collectors.models import Collector, Role
    from bot.collectors.service import create_collector

    if session.scalar(select(func.count()).select_from(Collector)):
        return 0
    for username, name, role in DEMO_COLLECTORS:
        create_collector(
            session, username=username, display_name=name, role=Role(role), password=DEMO_PASSWORD
        )
    return len(DEMO_COLLECTORS)
