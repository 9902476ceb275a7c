"""Bringing a database to the newest schema with the project's Alembic migrations."""

from __future__ import annotations

from alembic import command
from alembic.config import Config

from bot.settings import PROJECT_ROOT


def upgrade_to_head(database_url: str) -> None:
    """Apply every migration not yet applied to `database_url`."""
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    command.upgrade(config, "head")
