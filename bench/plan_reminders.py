"""Benchmark: plan reminders for N accounts in PostgreSQL, next to a bare SELECT of the same rows.

    python bench/plan_reminders.py [--accounts 1000000] [--dry-run] [--admin-url postgresql+psycopg://...]

Creates a fresh database (dropped afterwards), migrates it, generates N cardholders and accounts
over every stage and four time zones with `INSERT ... SELECT generate_series` (not timed), then
times (a) a bare streamed SELECT of the columns the planner reads, from the same join, fetched
into Python, and (b) `plan_reminders` at one moment: a real run (decisions, reminders,
conversations and queued messages written and committed) unless --dry-run. Peak memory is the
process's maximum resident set size (ru_maxrss), printed after the bare SELECT and at the end;
run two sizes to see that it does not grow. --steps prints the time of each SQL step.
"""

from __future__ import annotations

import argparse
import logging
import os
import resource
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.persistence.migrate import upgrade_to_head
from bot.persistence.session import make_engine, session_factory
from bot.reminders.planner import plan_reminders
from bot.settings import Settings

AS_OF = "2026-11-20"
AT = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)  # 11:00 Shanghai, 03:00 London, evening in the US

GENERATE = """
INSERT INTO cardholders (id, external_id, full_name, phone_e164, time_zone, locale, dob_hash,
                         deceased, bankruptcy, created_at, updated_at)
SELECT n, 'B-' || n, 'Cardholder ' || n, '+1555' || lpad(n::text, 9, '0'),
       (ARRAY['Asia/Shanghai', 'America/New_York', 'America/Los_Angeles',
              'Europe/London'])[n % 4 + 1],
       CASE WHEN n % 4 = 0 THEN 'zh-CN' ELSE 'en-US' END, md5(n::text),
       n % 997 = 0, n % 991 = 0, now(), now()
FROM generate_series(1, :n) AS n;
INSERT INTO card_accounts (id, external_id, cardholder_id, card_last4, currency, credit_limit_minor,
                           statement_balance_minor, minimum_due_minor, overdue_amount_minor,
                           due_date, days_past_due, as_of, risk_tier, behaviour_score,
                           charged_off, closed, disputed_amount_minor, created_at, updated_at)
SELECT n, 'A-' || n, n, lpad((n % 10000)::text, 4, '0'), 'USD', 1000000, 500000, 50000,
       CASE WHEN n % 200 = 0 THEN 0 ELSE 50000 * (1 + (n % 200) / 30) END,
       CAST(:as_of AS date) - (n % 200) + CASE WHEN n % 200 = 0 THEN 1 + n % 7 ELSE 0 END,
       n % 200, CAST(:as_of AS date),
       (ARRAY['low', 'medium', 'high'])[n % 3 + 1], 400 + n % 450,
       n % 200 >= 180, false, CASE WHEN n % 503 = 0 THEN 1000 ELSE 0 END, now(), now()
FROM generate_series(1, :n) AS n;
ANALYZE cardholders; ANALYZE card_accounts;
"""

BARE = """
SELECT a.id, a.cardholder_id, c.phone_e164, c.locale, c.time_zone, a.currency,
       a.overdue_amount_minor, a.minimum_due_minor, a.behaviour_score, a.risk_tier,
       a.days_past_due, a.due_date, a.as_of, a.charged_off, a.closed, a.disputed_amount_minor,
       c.deceased, c.bankruptcy
FROM card_accounts a JOIN cardholders c ON c.id = a.cardholder_id
"""


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bare_select(url: str) -> tuple[float, int]:
    engine = create_engine(url)
    started = time.monotonic()
    rows = 0
    with engine.connect() as connection:
        result = connection.execution_options(stream_results=True).execute(text(BARE))
        # An explicit size: without one, Core's partitions() fetches every row at once.
        for partition in result.partitions(5000):
            rows += len(partition)
    engine.dispose()
    return time.monotonic() - started, rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=1_000_000)
    parser.add_argument("--dry-run", action="store_true", help="decide only, write nothing")
    parser.add_argument("--steps", action="store_true", help="print each SQL step's time")
    parser.add_argument(
        "--admin-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    )
    args = parser.parse_args()
    print("load average (1, 5, 15 min): {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    if args.steps:
        logging.basicConfig(format="  %(message)s")
        logging.getLogger("bot.reminders.bulk").setLevel(logging.DEBUG)
    name = f"bench_reminders_{uuid.uuid4().hex[:8]}"
    url = make_url(args.admin_url).set(database=name).render_as_string(hide_password=False)
    admin = create_engine(args.admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        upgrade_to_head(url)
        engine = make_engine(url)
        started = time.monotonic()
        with engine.begin() as connection:
            for statement in GENERATE.split(";"):
                if statement.strip():
                    connection.execute(text(statement), {"n": args.accounts, "as_of": AS_OF})
        print(f"generated {args.accounts:,} accounts in {time.monotonic() - started:.1f} s")
        bare_seconds, rows = bare_select(url)
        print(f"bare SELECT of {rows:,} rows into Python: {bare_seconds:.2f} s")
        print(f"peak memory after the bare SELECT (max RSS): {peak_rss_mib():.0f} MiB")
        settings = Settings(database_url=url)
        sessions = session_factory(engine)

        def progress(planned: int, seconds: float) -> None:
            print(f"\r  {planned:,} due accounts decided, {seconds:.1f} s", end="", file=sys.stderr)

        with sessions.begin() as session:
            summary = plan_reminders(
                session, at=AT, settings=settings, dry_run=args.dry_run, progress=progress
            )
            committing = time.monotonic()
        total = summary.seconds + (time.monotonic() - committing)
        print(file=sys.stderr)
        mode = "dry run" if args.dry_run else "real run, committed"
        print(
            f"planner ({mode}): {args.accounts:,} accounts in {total:.2f} s = "
            f"{args.accounts / total:,.0f} accounts/s; {summary.planned:,} due today "
            f"({summary.allowed:,} allowed, {summary.deferred:,} deferred, "
            f"{summary.blocked:,} blocked)"
        )
        print(f"ratio planner / bare SELECT: {total / bare_seconds:.2f}")
        print(f"peak memory (max RSS): {peak_rss_mib():.0f} MiB")
        print("load average (1, 5, 15 min): {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
        engine.dispose()
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
