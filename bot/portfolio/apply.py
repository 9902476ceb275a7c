"""Checking staged rows against each other and the database, and applying them as sets.

Everything here runs in the import's one transaction: a row is applied whole or not at all,
and a crash leaves the database as it was, so running the same file again completes it.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from sqlalchemy import Connection, TextClause, bindparam, text

from bot.persistence import UTCDateTime
from bot.portfolio.rejections import Rejection, shown

_ACCOUNTS = "portfolio_staged_accounts"
_PAYMENTS = "portfolio_staged_payments"
_CONFLICTS = "portfolio_conflicts"

# A staged account row changes what is stored when the account is new, the snapshot is newer,
# or it is the same day's snapshot with different content (a corrected extract).
_CHANGES_ACCOUNT = (
    "(a.id IS NULL OR s.as_of > a.as_of OR (s.as_of = a.as_of AND "
    "(a.snapshot_digest IS NULL OR a.snapshot_digest <> s.digest)))"
)

_ACCOUNT_CONFLICTS = {
    "duplicate": f"""
        SELECT s.source_row, s.account_ref AS value, d.n, d.first_row
        FROM {_ACCOUNTS} s JOIN (
            SELECT account_ref, count(*) AS n, min(source_row) AS first_row FROM {_ACCOUNTS}
            GROUP BY account_ref HAVING count(*) > 1
        ) d ON d.account_ref = s.account_ref""",
    "shared_phone": f"""
        SELECT s.source_row, s.phone_e164 AS value, 0 AS n, 0 AS first_row
        FROM {_ACCOUNTS} s JOIN (
            SELECT phone_e164 FROM {_ACCOUNTS}
            GROUP BY phone_e164 HAVING min(cardholder_ref) <> max(cardholder_ref)
        ) d ON d.phone_e164 = s.phone_e164""",
    "phone_taken": f"""
        SELECT s.source_row, s.phone_e164 AS value, 0 AS n, 0 AS first_row
        FROM {_ACCOUNTS} s JOIN cardholders c
          ON c.phone_e164 = s.phone_e164 AND c.external_id <> s.cardholder_ref""",
}

_PAYMENT_CONFLICTS = {
    "duplicate": f"""
        SELECT s.source_row, s.reference AS value, d.n, d.first_row
        FROM {_PAYMENTS} s JOIN (
            SELECT reference, count(*) AS n, min(source_row) AS first_row FROM {_PAYMENTS}
            GROUP BY reference HAVING count(*) > 1
        ) d ON d.reference = s.reference""",
    "unknown_account": f"""
        SELECT s.source_row, s.account_ref AS value, 0 AS n, 0 AS first_row
        FROM {_PAYMENTS} s LEFT JOIN card_accounts a ON a.external_id = s.account_ref
        WHERE a.id IS NULL""",
    "currency": f"""
        SELECT s.source_row, s.currency AS value, 0 AS n, 0 AS first_row
        FROM {_PAYMENTS} s JOIN card_accounts a ON a.external_id = s.account_ref
        WHERE a.currency <> s.currency""",
    "reference_taken": f"""
        SELECT s.source_row, s.reference AS value, 0 AS n, 0 AS first_row
        FROM {_PAYMENTS} s JOIN payments p ON p.reference = s.reference
        JOIN card_accounts a ON a.id = p.account_id
        WHERE a.external_id <> s.account_ref OR p.amount_minor <> s.amount_minor
           OR p.currency <> s.currency OR p.paid_at <> s.paid_at""",
}

_REASONS = {
    ("accounts", "duplicate"): (
        "account_id",
        "appears {n} times in this file (first at row "
        "{first_row}); none of those rows was imported",
    ),
    ("accounts", "shared_phone"): ("phone", "given for more than one cardholder_id in this file"),
    ("accounts", "phone_taken"): ("phone", "already belongs to another cardholder on record"),
    ("payments", "duplicate"): (
        "reference",
        "appears {n} times in this file (first at row "
        "{first_row}); none of those rows was imported",
    ),
    ("payments", "unknown_account"): ("account_id", "no account with this account_id on record"),
    ("payments", "currency"): ("currency", "not the currency of the account"),
    ("payments", "reference_taken"): (
        "reference",
        "already recorded for a different payment (account, amount or time differ)",
    ),
}


def find_conflicts(connection: Connection, *, kind: str) -> None:
    """Find the rows that contradict each other or what is stored, once, for the two below."""
    queries = _ACCOUNT_CONFLICTS if kind == "accounts" else _PAYMENT_CONFLICTS
    union = " UNION ALL ".join(
        f"SELECT q.*, '{name}' AS conflict FROM ({sql}) q" for name, sql in queries.items()
    )
    connection.execute(text(f"DROP TABLE IF EXISTS {_CONFLICTS}"))
    connection.execute(text(f"CREATE TEMPORARY TABLE {_CONFLICTS} AS {union}"))


def conflicts(connection: Connection, *, kind: str) -> Iterator[Rejection]:
    """The rows `find_conflicts` found, in row order."""
    result = connection.execute(text(f"SELECT * FROM {_CONFLICTS} ORDER BY source_row, conflict"))
    for source_row, value, n, first_row, conflict in result:
        column, reason = _REASONS[(kind, conflict)]
        yield Rejection(
            source_row, column, shown(column, value), reason.format(n=n, first_row=first_row)
        )


def drop_conflicting_rows(connection: Connection, *, kind: str) -> None:
    """Remove every row `conflicts` reported from the staging table."""
    table = _ACCOUNTS if kind == "accounts" else _PAYMENTS
    connection.execute(
        text(f"DELETE FROM {table} WHERE source_row IN (SELECT source_row FROM {_CONFLICTS})")
    )
    connection.execute(text(f"DROP TABLE {_CONFLICTS}"))


def staged_count(connection: Connection, *, kind: str) -> int:
    """How many rows are staged."""
    table = _ACCOUNTS if kind == "accounts" else _PAYMENTS
    return int(connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())


def _now(statement: str, now: datetime, **params: object) -> TextClause:
    return text(statement).bindparams(bindparam("now", now, type_=UTCDateTime()), **params)


def apply_accounts(connection: Connection, *, import_id: int, now: datetime) -> int:
    """Upsert cardholders and accounts from the staged snapshots; how many accounts changed."""
    connection.execute(
        _now(
            f"""
            INSERT INTO cardholders (external_id, full_name, phone_e164, time_zone, locale,
                dob_hash, deceased, bankruptcy, contact_hours, as_of, created_at, updated_at)
            SELECT cardholder_ref, full_name, phone_e164, time_zone, locale, dob_hash,
                deceased, bankruptcy, contact_hours, as_of, :now, :now
            FROM (
                SELECT s.*, row_number() OVER (
                    PARTITION BY s.cardholder_ref ORDER BY s.as_of DESC, s.source_row DESC
                ) AS rank_in_file
                FROM {_ACCOUNTS} s LEFT JOIN card_accounts a ON a.external_id = s.account_ref
                WHERE {_CHANGES_ACCOUNT}
            ) latest
            WHERE rank_in_file = 1
            ON CONFLICT (external_id) DO UPDATE SET
                full_name = excluded.full_name, phone_e164 = excluded.phone_e164,
                time_zone = excluded.time_zone, locale = excluded.locale,
                dob_hash = excluded.dob_hash, deceased = excluded.deceased,
                bankruptcy = excluded.bankruptcy, contact_hours = excluded.contact_hours,
                as_of = excluded.as_of,
                updated_at = excluded.updated_at
            WHERE cardholders.as_of IS NULL OR excluded.as_of >= cardholders.as_of
            """,
            now,
        )
    )
    connection.execute(
        _now(
            f"""
            INSERT INTO card_accounts (external_id, cardholder_id, card_last4, currency,
                credit_limit_minor, statement_balance_minor, minimum_due_minor,
                overdue_amount_minor, due_date, days_past_due, as_of, risk_tier,
                behaviour_score, charged_off, closed, snapshot_import_id, snapshot_digest,
                created_at, updated_at)
            SELECT s.account_ref, c.id, s.card_last4, s.currency, s.credit_limit_minor,
                s.statement_balance_minor, s.minimum_due_minor, s.overdue_amount_minor,
                s.due_date, s.days_past_due, s.as_of, s.risk_tier, s.behaviour_score,
                s.charged_off, s.closed, :import_id, s.digest, :now, :now
            FROM {_ACCOUNTS} s
            JOIN cardholders c ON c.external_id = s.cardholder_ref
            LEFT JOIN card_accounts a ON a.external_id = s.account_ref
            WHERE {_CHANGES_ACCOUNT}
            ON CONFLICT (external_id) DO UPDATE SET
                cardholder_id = excluded.cardholder_id, card_last4 = excluded.card_last4,
                currency = excluded.currency, credit_limit_minor = excluded.credit_limit_minor,
                statement_balance_minor = excluded.statement_balance_minor,
                minimum_due_minor = excluded.minimum_due_minor,
                overdue_amount_minor = excluded.overdue_amount_minor,
                due_date = excluded.due_date, days_past_due = excluded.days_past_due,
                as_of = excluded.as_of, risk_tier = excluded.risk_tier,
                behaviour_score = excluded.behaviour_score, charged_off = excluded.charged_off,
                closed = excluded.closed, snapshot_import_id = excluded.snapshot_import_id,
                snapshot_digest = excluded.snapshot_digest, updated_at = excluded.updated_at
            WHERE excluded.as_of >= card_accounts.as_of
            """,
            now,
            import_id=import_id,
        )
    )
    # A new snapshot does not yet include the payments received since its date.
    _deduct_payments(connection, "a.snapshot_import_id = :import_id", import_id, now)
    return _count(connection, "card_accounts WHERE snapshot_import_id = :import_id", import_id)


def apply_payments(connection: Connection, *, import_id: int, now: datetime) -> int:
    """Record the staged payments not yet recorded and deduct them; how many were new."""
    connection.execute(
        _now(
            f"""
            INSERT INTO payments (account_id, amount_minor, currency, paid_at, reference,
                import_id, created_at)
            SELECT a.id, s.amount_minor, s.currency, s.paid_at, s.reference, :import_id, :now
            FROM {_PAYMENTS} s JOIN card_accounts a ON a.external_id = s.account_ref
            WHERE NOT EXISTS (SELECT 1 FROM payments p WHERE p.reference = s.reference)
            """,
            now,
            import_id=import_id,
        )
    )
    _deduct_payments(connection, "p.import_id = :import_id", import_id, now)
    return _count(connection, "payments WHERE import_id = :import_id", import_id)


def _deduct_payments(connection: Connection, which: str, import_id: int, now: datetime) -> None:
    """Deduct payments made on or after a snapshot's date (00:00 UTC) from that snapshot.

    What is overdue, the minimum due and the balance go down, never below zero; an account
    with nothing left overdue is current again (0 days past due).
    """
    if connection.dialect.name == "postgresql":
        snapshot_start = "(CAST(a.as_of AS timestamp) AT TIME ZONE 'UTC')"
    else:  # SQLite keeps both as ISO text, which sorts as time does
        snapshot_start = "a.as_of"
    connection.execute(
        _now(
            f"""
            UPDATE card_accounts SET
                overdue_amount_minor = CASE WHEN overdue_amount_minor > t.paid
                    THEN overdue_amount_minor - t.paid ELSE 0 END,
                minimum_due_minor = CASE WHEN minimum_due_minor > t.paid
                    THEN minimum_due_minor - t.paid ELSE 0 END,
                statement_balance_minor = CASE WHEN statement_balance_minor > t.paid
                    THEN statement_balance_minor - t.paid ELSE 0 END,
                days_past_due = CASE WHEN overdue_amount_minor > t.paid
                    THEN days_past_due ELSE 0 END,
                updated_at = :now
            FROM (
                SELECT p.account_id, sum(p.amount_minor) AS paid
                FROM payments p JOIN card_accounts a ON a.id = p.account_id
                WHERE {which} AND p.paid_at >= {snapshot_start}
                GROUP BY p.account_id
            ) t
            WHERE card_accounts.id = t.account_id
            """,
            now,
            import_id=import_id,
        )
    )


def _count(connection: Connection, what: str, import_id: int) -> int:
    statement = text(f"SELECT count(*) FROM {what}").bindparams(import_id=import_id)
    return int(connection.execute(statement).scalar_one())
