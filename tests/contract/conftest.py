"""The real thing: Rasa with the trained model, the action server and the api, as processes."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.demo.seed import DemoCardholder, demo_cardholders, seed_demo_portfolio
from bot.devstack import DevStack, Ports, StackSecrets
from bot.persistence.session import make_engine, session_factory
from bot.settings import Settings
from tests.conftest import AS_OF, TEST_HASH_KEY
from tests.databases import TemplateDatabase
from tests.twilio_fake import FakeTwilio

TWILIO_TOKEN = "contract-twilio-token"


@dataclass
class RunningStack:
    stack: DevStack
    sessions: sessionmaker[Session]
    portfolio: list[DemoCardholder]
    http: httpx.Client
    twilio: FakeTwilio


@contextmanager
def start_stack(
    template_database: TemplateDatabase,
    log_dir: Path,
    *,
    env: dict[str, str] | None = None,
    prepare: Callable[[Session], None] = lambda session: None,
) -> Iterator[RunningStack]:
    """A seeded database of its own, the fake of Twilio, and Rasa + actions + api as processes.

    `prepare` changes the seeded portfolio before anything starts; `env` adds to the api's.
    """
    database_url = template_database.copy()
    settings = Settings(database_url=database_url, verification_hash_key=TEST_HASH_KEY)  # type: ignore[arg-type]
    engine = make_engine(database_url)
    sessions = session_factory(engine)
    with sessions.begin() as session:
        seed_demo_portfolio(session, settings=settings, as_of=AS_OF)
        prepare(session)
    twilio = FakeTwilio().start()
    ports = Ports.free()
    stack = DevStack(
        ports=ports,
        env={
            "DATABASE_URL": database_url,
            "VERIFICATION_HASH_KEY": TEST_HASH_KEY,
            "ENVIRONMENT": "test",
            "RASA_TIMEOUT_SECONDS": "60",
            # SMS goes through the real twilio client to the local fake of Twilio's API.
            "TWILIO_ACCOUNT_SID": "ACcontract",
            "TWILIO_AUTH_TOKEN": TWILIO_TOKEN,
            "TWILIO_API_BASE_URL": twilio.base_url,
            "PUBLIC_BASE_URL": f"http://127.0.0.1:{ports.api}",
            "SMS_SEGMENTS_PER_SECOND": "100",
            "REMINDER_INTERVAL_SECONDS": "0",
            # Every chat and text of the suite comes from loopback: the limits are tested in
            # tests/api, not here.
            "RATE_LIMIT_CHAT_STARTS_PER_IP": "10000/minute",
            "RATE_LIMIT_CHAT_STARTS_PER_PHONE": "10000/hour",
            "RATE_LIMIT_SMS_PER_PHONE": "10000/minute",
            # Many chats for one demo cardholder across the suite; the hourly limit of texted
            # codes has its own tests (tests/api, tests/security).
            "POSSESSION_CODES_PER_HOUR": "1000",
            **(env or {}),
        },
        log_dir=log_dir,
        secrets=StackSecrets.random(),
    )
    try:
        stack.start()
        with httpx.Client(base_url=stack.api_url, timeout=90) as http:
            yield RunningStack(stack, sessions, list(demo_cardholders()), http, twilio)
    finally:
        stack.stop()
        twilio.stop()
        engine.dispose()
        template_database.drop(database_url)


@pytest.fixture(scope="session")
def running_stack(template_database: TemplateDatabase, artifacts_dir) -> Iterator[RunningStack]:
    with start_stack(template_database, artifacts_dir / "stack-logs") as running:
        yield running
