"""Forged calls to the action server, generated: every action of the domain, every way to fake
the secret, and, with the secret, every action for conversations that have not proved enough.

Without Rasa's secret nothing runs. With it (as if Rasa itself were tricked), an action for a
conversation that is not verified now (never verified, verified but the phone never proved, or
verified and expired) discloses nothing, records no promise, plan or claim, and a web chat that
never proved the phone changes no consent.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import httpx
import pytest
import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.conversations.models import Channel, Conversation
from bot.conversations.service import open_sms_conversation, start_web_conversation
from bot.demo.seed import DemoCardholder, demo_cardholders, seed_demo_portfolio
from bot.disclosure import pre_verification_violation
from bot.messaging.models import ContactConsent
from bot.money import format_money
from bot.persistence import utcnow
from bot.persistence.session import make_engine, session_factory
from bot.plans.models import InstalmentPlan
from bot.promises.models import PaymentClaim, PromiseToPay
from bot.settings import PROJECT_ROOT, Settings
from tests.action_server import action_server
from tests.actions.trackers import action_call
from tests.conftest import AS_OF, TEST_HASH_KEY

TOKEN = "forged-calls-suite-secret"
DOMAIN = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text())
ACTIONS = sorted(DOMAIN["actions"])
# What a forger would put in the tracker: verified, confirmed, a large promise, a plan.
FORGED_SLOTS = {
    "verified": True,
    "verification_locked": False,
    "promise_amount": "50000.00",
    "promise_date": (AS_OF + timedelta(days=2)).isoformat(),
    "promise_confirmed": True,
    "plan_months": 12.0,
    "plan_confirmed": True,
    "plan_eligible": True,
    "payment_claim_details": "paid 9999 today",
    "card_last4": "0000",
    "date_of_birth": "1931-04-05",
    "requested_slot": "date_of_birth",
}
CREDENTIALS = {
    "none": ({}, {}),
    "wrong bearer": ({"Authorization": f"Bearer {TOKEN}x"}, {}),
    "query token": ({}, {"token": TOKEN}),
}


@dataclass
class Setup:
    url: str
    sessions: sessionmaker[Session]
    targets: dict[str, tuple[str, DemoCardholder]]


@pytest.fixture(scope="module")
def setup(template_database) -> Iterator[Setup]:
    database_url = template_database.copy()
    settings = Settings(database_url=database_url, verification_hash_key=TEST_HASH_KEY)  # type: ignore[arg-type]
    engine = make_engine(database_url)
    sessions = session_factory(engine)
    people = [d for d in demo_cardholders() if d.stage in ("M1", "M2-M3")]
    targets = {}
    with sessions.begin() as session:
        seed_demo_portfolio(session, settings=settings, as_of=AS_OF)
        sms = open_sms_conversation(session, people[0].phone_e164, settings=settings)
        targets["sms, never verified"] = (sms.id, people[0])
        unproven, _ = start_web_conversation(session, phone_e164=people[1].phone_e164)
        unproven.verified_at = utcnow()
        targets["web chat, verified but phone never proved"] = (unproven.id, people[1])
        expired, _ = start_web_conversation(session, phone_e164=people[2].phone_e164)
        expired.possession_proven_at = expired.verified_at = utcnow() - timedelta(hours=13)
        expired.created_at = expired.last_seen_at = utcnow() - timedelta(hours=13)
        targets["web chat, verified and expired"] = (expired.id, people[2])
    try:
        with action_server(database_url, TOKEN) as url:
            yield Setup(url, sessions, targets)
    finally:
        engine.dispose()
        template_database.drop(database_url)


def _count(sessions, model) -> int:
    with sessions() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


@pytest.mark.parametrize("credentials", sorted(CREDENTIALS))
@pytest.mark.parametrize("action", ACTIONS)
def test_without_rasas_secret_no_action_runs(setup, action, credentials):
    headers, params = CREDENTIALS[credentials]
    for conversation_id, _ in setup.targets.values():
        body = action_call(action, conversation_id, slots=FORGED_SLOTS, domain=DOMAIN)
        response = httpx.post(f"{setup.url}/webhook", json=body, headers=headers, params=params)
        assert response.status_code == 401
        assert response.json() == {"error": "unauthorized"}


@pytest.mark.parametrize("action", ACTIONS)
def test_with_the_secret_nothing_happens_for_a_conversation_without_proof(setup, action):
    for state, (conversation_id, person) in setup.targets.items():
        body = action_call(
            action, conversation_id, slots=FORGED_SLOTS, text="/pay_now", domain=DOMAIN
        )
        response = httpx.post(
            f"{setup.url}/webhook", json=body, headers={"Authorization": f"Bearer {TOKEN}"}
        )
        assert response.status_code == 200, (state, response.text)
        said = " ".join(
            " ".join([r.get("text") or "", *(b["title"] for b in r.get("buttons") or [])])
            for r in response.json()["responses"]
        )
        assert pre_verification_violation(said) is None, (state, said)
        for fact in (
            format_money(person.overdue_amount_minor, person.currency),
            format_money(person.minimum_due_minor, person.currency),
            "/pay?",
        ):
            assert fact not in said, (state, said)
    assert _count(setup.sessions, PromiseToPay) == 0
    assert _count(setup.sessions, InstalmentPlan) == 0
    assert _count(setup.sessions, PaymentClaim) == 0
    with setup.sessions() as session:
        withdrawn = set(session.scalars(select(ContactConsent.address)))
        web = session.scalars(select(Conversation).where(Conversation.channel == Channel.WEB))
        unproven = {c.address for c in web if c.possession_proven_at is None}
    # Opting out or disowning a number needs its phone: an SMS conversation has it.
    assert not withdrawn & unproven
