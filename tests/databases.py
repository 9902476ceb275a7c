"""Fresh, migrated databases for tests: SQLite by default, PostgreSQL when TEST_DATABASE_URL is set.

The schema is migrated once into a template; each test gets its own copy, so tests that commit
(as the api and the actions do) never see each other's rows.
"""

from __future__ import annotations

import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bot.persistence.migrate import upgrade_to_head


@dataclass
class TemplateDatabase:
    """A migrated database that copies are made from."""

    admin_url: str | None  # PostgreSQL server to create databases on; None for SQLite
    template: str  # SQLite file path, or PostgreSQL database name
    workdir: Path

    @classmethod
    def create(cls, workdir: Path) -> TemplateDatabase:
        admin_url = os.environ.get("TEST_DATABASE_URL") or None
        if admin_url is None:
            path = workdir / "template.db"
            upgrade_to_head(f"sqlite:///{path}")
            return cls(None, str(path), workdir)
        name = f"cca_template_{uuid.uuid4().hex[:10]}"
        _execute(admin_url, f'CREATE DATABASE "{name}"')
        upgrade_to_head(_with_database(admin_url, name))
        return cls(admin_url, name, workdir)

    def copy(self) -> str:
        """The URL of a new database holding the migrated schema and nothing else."""
        if self.admin_url is None:
            path = self.workdir / f"{uuid.uuid4().hex[:10]}.db"
            shutil.copyfile(self.template, path)
            return f"sqlite:///{path}"
        name = f"cca_test_{uuid.uuid4().hex[:10]}"
        _execute(self.admin_url, f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"')
        return _with_database(self.admin_url, name)

    def drop(self, url: str) -> None:
        """Remove a copy made by `copy`."""
        if self.admin_url is None:
            Path(make_url(url).database or "").unlink(missing_ok=True)
            return
        _execute(self.admin_url, f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')

    def close(self) -> None:
        if self.admin_url is not None:
            _execute(self.admin_url, f'DROP DATABASE IF EXISTS "{self.template}" WITH (FORCE)')


def _with_database(url: str, name: str) -> str:
    return make_url(url).set(database=name).render_as_string(hide_password=False)


def _execute(admin_url: str, statement: str) -> None:
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text(statement))
    finally:
        engine.dispose()
