"""Accounts files on PostgreSQL: rows staged as raw text with COPY and checked in one SQL pass.

Rows the SQL checks do not accept come back, in row order, for `AccountRowChecker`, which
stages them or gives every reason they are refused. The tables are temporary: they live in the
import's own transaction and session.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import date
from typing import Any

from pydantic import SecretStr
from sqlalchemy import Connection, text

from bot.portfolio import fields
from bot.portfolio.account_rows import locale
from bot.portfolio.account_sql import KNOWN, RAW, checked_rows_sql, hash_key_pads, stripped_sql
from bot.portfolio.fields import Invalid
from bot.portfolio.reading import FeedRecord
from bot.portfolio.staging import STAGED_ACCOUNTS

_KNOWN = frozenset(KNOWN)
_UNCHECKED = "portfolio_unchecked_accounts"
_HASH_KEY = "portfolio_hash_key"
_FETCH = 2_000


class RawAccountsWriter:
    """COPYs every record of an accounts file into the raw staging table, as text."""

    def __init__(
        self, connection: Connection, *, columns: list[str], may_hold_nul: bool, csv: bool
    ) -> None:
        self._connection = connection
        self._columns = columns
        self._may_hold_nul = may_hold_nul
        # A CSV row has the header's columns in the header's order; a JSON line may not.
        self._same_columns_every_row = csv
        self._extras_possible = not csv or not _KNOWN.issuperset(columns)
        self._copying = ExitStack()
        connection.execute(text(f"DROP TABLE IF EXISTS {RAW}"))
        text_columns = ", ".join(f"{name} text" for name in KNOWN)
        connection.execute(
            text(
                f"CREATE TEMPORARY TABLE {RAW} (source_row integer, {text_columns}, "
                "extras text, flagged boolean NOT NULL, problem text)"
            )
        )
        cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
        self._copy: Any = self._copying.enter_context(cursor.copy(f"COPY {RAW} FROM STDIN"))
        self._empty = (None,) * len(KNOWN)

    def add(self, record: FeedRecord) -> None:
        """Stage one record as it was read."""
        if record.problem is not None:
            self._copy.write_row((record.row, *self._empty, None, True, record.problem))
            return
        values = record.values
        extras = (
            {name: value for name, value in values.items() if name not in _KNOWN}
            if self._extras_possible
            else {}
        )
        if self._must_check_in_python(values, extras):
            # The whole row as JSON: text PostgreSQL cannot hold (NUL) survives escaped.
            self._copy.write_row((record.row, *self._empty, json.dumps(values), True, None))
            return
        get = values.get
        row = (record.row, *[get(name) for name in KNOWN])
        self._copy.write_row((*row, json.dumps(extras) if extras else None, False, None))

    def _must_check_in_python(self, values: dict[str, str], extras: dict[str, str]) -> bool:
        if not self._same_columns_every_row and list(values) != self._columns:
            return True  # rebuilt in the header's order, its reasons would come in another
        if self._may_hold_nul and any("\x00" in value for value in values.values()):
            return True
        # Columns the checks ignore are still searched for card numbers, here rather than in SQL.
        stripped = {name: value.strip() for name, value in extras.items()}
        return bool(extras) and bool(fields.columns_with_card_numbers(stripped))

    def close(self) -> None:
        """Finish the COPY; the table is then ready to be checked."""
        self._copying.close()
        self._connection.execute(text(f"ANALYZE {RAW}"))

    def abort(self) -> None:
        """Stop a COPY under way so the transaction can be rolled back."""
        failure = RuntimeError("import aborted")
        self._copying.__exit__(RuntimeError, failure, None)


def stage_checked_rows(
    connection: Connection, *, hash_key: SecretStr, latest_feed_date: date, control_free: bool
) -> None:
    """Create the staging table and fill it with every raw row the SQL checks accept."""
    STAGED_ACCOUNTS.drop(connection, checkfirst=True)
    STAGED_ACCOUNTS.create(connection)
    connection.execute(text(f"DROP TABLE IF EXISTS {_HASH_KEY}"))
    connection.execute(text(f"CREATE TEMPORARY TABLE {_HASH_KEY} (ipad bytea, opad bytea)"))
    # COPY, not a bound parameter: COPY data never appears in the server's statement log.
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    with cursor.copy(f"COPY {_HASH_KEY} FROM STDIN") as copy:
        copy.write_row(hash_key_pads(hash_key))
    connection.execute(
        text(checked_rows_sql(control_free=control_free)),
        {
            "latest_feed_date": latest_feed_date,
            "time_zones": _accepted(connection, ("time_zone",), fields.time_zone),
            "dates": _accepted(connection, ("due_date", "as_of", "date_of_birth"), fields.iso_date),
            "locales": _accepted(connection, ("locale",), locale),
        },
    )
    connection.execute(text(f"DROP TABLE {_HASH_KEY}"))


def _accepted(
    connection: Connection, columns: tuple[str, ...], parse: Callable[[str], object]
) -> list[str]:
    """The distinct stripped values of `columns` that `parse` (the Python check) accepts.

    Only ASCII ones: those are the ones PostgreSQL reads back (as dates) the way Python does.
    """
    values = ", ".join(f"({stripped_sql(column)})" for column in columns)
    distinct = connection.execute(
        text(f"SELECT DISTINCT v FROM {RAW}, LATERAL (VALUES {values}) t(v) WHERE NOT flagged")
    )
    accepted = []
    for (value,) in distinct:
        try:
            parse(value)
        except Invalid:
            continue
        if value.isascii():
            accepted.append(value)
    return accepted


def records_left_to_python(connection: Connection, columns: list[str]) -> Iterator[FeedRecord]:
    """The raw rows the SQL checks did not stage, in row order, as the reader gave them."""
    connection.execute(text(f"DROP TABLE IF EXISTS {_UNCHECKED}"))
    connection.execute(
        text(
            f"CREATE TEMPORARY TABLE {_UNCHECKED} AS SELECT r.* FROM {RAW} r "
            f"WHERE NOT EXISTS (SELECT 1 FROM {STAGED_ACCOUNTS.name} s "
            "WHERE s.source_row = r.source_row)"
        )
    )
    connection.execute(text(f"DROP TABLE {RAW}"))
    driver = connection.connection.driver_connection
    assert driver is not None
    with driver.cursor(name="portfolio_unchecked") as cursor:
        cursor.itersize = _FETCH
        cursor.execute(f"SELECT * FROM {_UNCHECKED} ORDER BY source_row")
        for source_row, *known, extras, flagged, problem in cursor:
            if problem is not None:
                yield FeedRecord(source_row, {}, problem)
            elif flagged:
                yield FeedRecord(source_row, json.loads(extras))
            else:
                found = {n: v for n, v in zip(KNOWN, known, strict=True) if v is not None}
                found |= json.loads(extras) if extras else {}
                yield FeedRecord(source_row, {name: found[name] for name in columns})
    connection.execute(text(f"DROP TABLE {_UNCHECKED}"))
