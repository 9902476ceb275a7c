"""Applying the accounts feed: idempotent, newest snapshot wins, whole rows, recorded."""

from __future__ import annotations

import hashlib
from datetime import date

import pytest
from pydantic import SecretStr
from sqlalchemy import select, text

from bot.accounts.models import CardAccount, Cardholder
from bot.accounts.service import explain_account, find_cardholder_by_phone
from bot.audit import AuditEvent
from bot.portfolio.models import ImportStatus, PortfolioImport
from bot.verification.facts import date_of_birth_matches
from tests.conftest import TEST_HASH_KEY
from tests.portfolio.feeds import account_row, to_csv


def _state(engine):
    with engine.connect() as connection:
        return [
            list(connection.execute(text(f"SELECT * FROM {table} ORDER BY id")))
            for table in ("cardholders", "card_accounts")
        ]


def test_importing_the_same_file_twice_leaves_the_same_state(run_import, engine):
    content = to_csv([account_row(n) for n in range(1, 6)])
    first = run_import(content)
    state = _state(engine)
    second = run_import(content)
    assert (first.summary.accepted, first.summary.unchanged) == (5, 0)
    assert (second.summary.accepted, second.summary.unchanged) == (0, 5)
    assert _state(engine) == state


def test_a_newer_snapshot_replaces_the_older_and_an_older_never_overwrites(run_import, sessions):
    older = account_row(1, as_of="2026-11-19", due_date="2026-11-08", days_past_due=11)
    newer = account_row(1, overdue_amount="200.00", minimum_due="200.00", full_name="Alice W")
    assert run_import(to_csv([newer])).summary.accepted == 1
    late = run_import(to_csv([older]))
    assert (late.summary.accepted, late.summary.unchanged) == (0, 1)
    with sessions() as session:
        account = session.scalars(select(CardAccount)).one()
        assert (account.overdue_amount_minor, account.as_of) == (20000, date(2026, 11, 20))
        assert account.cardholder.full_name == "Alice W"
    again = run_import(to_csv([account_row(1, as_of="2026-11-21", due_date="2026-11-09")]))
    assert again.summary.accepted == 1
    with sessions() as session:
        account = session.scalars(select(CardAccount)).one()
        assert (account.overdue_amount_minor, account.as_of) == (18305, date(2026, 11, 21))


def test_a_corrected_extract_of_the_same_day_replaces_it(run_import, sessions):
    run_import(to_csv([account_row(1)]))
    corrected = run_import(to_csv([account_row(1, card_last4="9999")]))
    assert corrected.summary.accepted == 1
    with sessions() as session:
        assert session.scalars(select(CardAccount.card_last4)).one() == "9999"


def test_imported_cardholders_pass_the_chat_identity_check_and_hear_their_figures(
    run_import, sessions
):
    run_import(to_csv([account_row(7, deceased="yes", closed="1")]))
    with sessions() as session:
        holder = find_cardholder_by_phone(session, "+12025550007")
        assert holder is not None
        assert "1984-03-07" not in holder.dob_hash
        assert date_of_birth_matches(
            SecretStr(TEST_HASH_KEY),
            cardholder_ref="CH-000007",
            date_of_birth=date(1984, 3, 7),
            stored_hash=holder.dob_hash,
        )
        account = holder.accounts[0]
        assert "overdue amount of $183.05" in explain_account(account)
        assert (holder.deceased, holder.bankruptcy, account.closed) == (True, False, True)
        assert account.risk_tier == "medium"  # derived: behaviour score 640 is under 650


def test_a_phone_already_held_by_another_cardholder_is_rejected(run_import, sessions):
    run_import(to_csv([account_row(1)]))
    outcome = run_import(to_csv([account_row(2, phone="+12025550001")]))
    assert outcome.reasons()[(2, "phone")] == "already belongs to another cardholder on record"
    with sessions() as session:
        assert session.scalars(select(Cardholder.external_id)).all() == ["CH-000001"]


def test_two_accounts_of_one_cardholder_share_one_cardholder(run_import, sessions):
    rows = [account_row(1), account_row(2, cardholder_id="CH-000001", phone="+12025550001")]
    assert run_import(to_csv(rows)).summary.accepted == 2
    with sessions() as session:
        holder = session.scalars(select(Cardholder)).one()
        assert [a.external_id for a in holder.accounts] == ["ACC-000001", "ACC-000002"]


def test_imports_go_alongside_the_demo_portfolio(run_import, sessions, demo_portfolio):
    assert run_import(to_csv([account_row(1, phone="+12025559901")])).summary.accepted == 1
    with sessions() as session:
        count = session.scalar(select(text("count(*)")).select_from(Cardholder))
        assert count == len(demo_portfolio) + 1


def test_a_dry_run_counts_but_changes_nothing(run_import, sessions):
    outcome = run_import(to_csv([account_row(1), account_row(2, phone="x")]), dry_run=True)
    assert (outcome.summary.accepted, outcome.summary.rejected) == (1, 1)
    with sessions() as session:
        assert session.scalars(select(CardAccount)).all() == []
        record = session.get(PortfolioImport, outcome.summary.import_id)
        assert record is not None and record.dry_run and record.accepted == 1


def test_every_import_is_recorded_with_checksum_counts_and_actor(run_import, sessions):
    content = to_csv([account_row(1), account_row(2, time_zone="Mars/Olympus")])
    outcome = run_import(content)
    with sessions() as session:
        record = session.get(PortfolioImport, outcome.summary.import_id)
        assert record is not None
        assert record.checksum_sha256 == hashlib.sha256(content).hexdigest()
        assert (record.accepted, record.rejected, record.unchanged) == (1, 1, 0)
        assert (record.actor, record.status, record.kind) == ("test", "completed", "accounts")
        assert record.finished_at is not None
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "portfolio.import.completed")
        ).one()
        assert event.details["import_id"] == record.id and event.details["accepted"] == 1


def test_a_crash_applies_nothing_and_running_the_file_again_completes_it(run_import, sessions):
    content = to_csv([account_row(n) for n in range(1, 4)])

    def crash(*, phase, **_):
        if phase == "applying":
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_import(content, on_progress=crash)
    with sessions() as session:
        assert session.scalars(select(CardAccount)).all() == []
        failed = session.scalars(select(PortfolioImport)).one()
        assert failed.status == ImportStatus.FAILED
    assert run_import(content).summary.accepted == 3
