"""Shared fixtures: a fresh migrated database per test, settings and sessions bound to it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.demo.seed import DemoCardholder, demo_cardholders, seed_demo_portfolio
from bot.persistence.session import get_engine, make_engine, session_factory
from bot.settings import Settings, get_settings
from tests.databases import TemplateDatabase

TEST_HASH_KEY = "test-verification-key"
AS_OF = date(2026, 11, 20)


@pytest.fixture(scope="session")
def template_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TemplateDatabase]:
    template = TemplateDatabase.create(tmp_path_factory.mktemp("databases"))
    yield template
    template.close()


@pytest.fixture
def database_url(template_database: TemplateDatabase) -> Iterator[str]:
    url = template_database.copy()
    yield url
    template_database.drop(url)


@pytest.fixture
def settings(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """Settings for this test's database; the process-wide ones (used by actions) match them."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("VERIFICATION_HASH_KEY", TEST_HASH_KEY)
    monkeypatch.setenv("ENVIRONMENT", "test")
    # Reminder runs are started by the tests that want them, never by a background task.
    monkeypatch.setenv("REMINDER_INTERVAL_SECONDS", "0")
    get_settings.cache_clear()
    get_engine.cache_clear()
    yield Settings(
        database_url=database_url,
        verification_hash_key=SecretStr(TEST_HASH_KEY),
        environment="test",
    )
    get_engine().dispose()
    get_settings.cache_clear()
    get_engine.cache_clear()


@pytest.fixture
def engine(settings: Settings) -> Iterator[Engine]:
    engine = make_engine(settings.database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    return session_factory(engine)


@pytest.fixture
def demo_portfolio(sessions: sessionmaker[Session], settings: Settings) -> list[DemoCardholder]:
    """The demo portfolio, seeded into this test's database."""
    with sessions.begin() as session:
        seed_demo_portfolio(session, settings=settings, as_of=AS_OF)
    return list(demo_cardholders())


def first_in_stage(portfolio: list[DemoCardholder], stage: str) -> DemoCardholder:
    return next(d for d in portfolio if d.stage == stage)


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    path = Path(__file__).resolve().parent.parent / "var" / "test-artifacts"
    path.mkdir(parents=True, exist_ok=True)
    return path
