"""Temporary staging tables a feed is loaded into before it is checked and applied as a set.

PostgreSQL gets the rows through COPY (the fast path); other databases through batched inserts.
The tables live in the import's own transaction and disappear with it.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import ExitStack
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Connection,
    Date,
    Integer,
    MetaData,
    String,
    Table,
    text,
)

from bot.persistence import UTCDateTime

_metadata = MetaData()

STAGED_ACCOUNTS = Table(
    "portfolio_staged_accounts",
    _metadata,
    Column("source_row", Integer),
    Column("account_ref", String(64)),
    Column("cardholder_ref", String(64)),
    Column("full_name", String(200)),
    Column("phone_e164", String(16)),
    Column("time_zone", String(64)),
    Column("locale", String(16)),
    Column("dob_hash", String(64)),
    Column("card_last4", String(4)),
    Column("currency", String(3)),
    Column("credit_limit_minor", BigInteger),
    Column("statement_balance_minor", BigInteger),
    Column("minimum_due_minor", BigInteger),
    Column("overdue_amount_minor", BigInteger),
    Column("due_date", Date),
    Column("days_past_due", Integer),
    Column("as_of", Date),
    Column("risk_tier", String(8)),
    Column("behaviour_score", Integer),
    Column("deceased", Boolean),
    Column("bankruptcy", Boolean),
    Column("charged_off", Boolean),
    Column("closed", Boolean),
    Column("contact_hours", String(11)),
    Column("digest", String(64)),
    prefixes=["TEMPORARY"],
)

STAGED_PAYMENTS = Table(
    "portfolio_staged_payments",
    _metadata,
    Column("source_row", Integer),
    Column("account_ref", String(64)),
    Column("amount_minor", BigInteger),
    Column("currency", String(3)),
    Column("paid_at", UTCDateTime()),
    Column("reference", String(64)),
    prefixes=["TEMPORARY"],
)

_BATCH = 2_000


class StagingWriter:
    """Appends rows (tuples in the table's column order) to a staging table it creates."""

    def __init__(self, connection: Connection, table: Table) -> None:
        self._connection = connection
        self._table = table
        self._names = [column.name for column in table.columns]
        self._batch: list[dict[str, Any]] = []
        self._copying = ExitStack()
        self._copy: Any = None
        table.drop(connection, checkfirst=True)  # left on a pooled connection by a crash
        table.create(connection)
        if connection.dialect.name == "postgresql":
            cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
            statement = f"COPY {table.name} ({', '.join(self._names)}) FROM STDIN"
            self._copy = self._copying.enter_context(cursor.copy(statement))

    def add(self, row: Sequence[Any]) -> None:
        """Stage one row."""
        if self._copy is not None:
            self._copy.write_row(row)
            return
        self._batch.append(dict(zip(self._names, row, strict=True)))
        if len(self._batch) >= _BATCH:
            self._flush()

    def close(self) -> None:
        """Send what is buffered; the table is then ready to be queried."""
        if self._copy is not None:
            self._copying.close()
            self._connection.execute(text(f"ANALYZE {self._table.name}"))
        self._flush()

    def drop(self) -> None:
        """Remove the staging table (before the transaction ends, so it never outlives it)."""
        self._table.drop(self._connection)

    def abort(self) -> None:
        """Stop a COPY under way so the transaction can be rolled back."""
        if self._copy is not None:
            failure = RuntimeError("import aborted")
            self._copying.__exit__(RuntimeError, failure, None)
            self._copy = None

    def _flush(self) -> None:
        if self._batch:
            self._connection.execute(self._table.insert(), self._batch)
            self._batch = []
