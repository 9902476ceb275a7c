"""The accounts feed's optional contact_hours: checked, stored, changed and cleared by imports."""

from __future__ import annotations

from sqlalchemy import select

from bot.accounts.models import Cardholder
from tests.portfolio.feeds import account_row, to_csv

FORM = "not contact hours in the form HH:MM-HH:MM (24-hour clock, 00:00 to 24:00, e.g. 18:00-20:00)"
ORDER = "contact hours must start before they end, within one day (e.g. 18:00-20:00)"


def _hours(sessions) -> dict[str, str | None]:
    with sessions() as session:
        return dict(session.execute(select(Cardholder.external_id, Cardholder.contact_hours)).all())


def test_stated_hours_are_stored_and_a_blank_or_missing_column_is_no_preference(
    run_import, sessions
):
    rows = [
        account_row(1, contact_hours="18:00-20:00"),
        account_row(2, contact_hours=" 09:30-24:00 "),
        account_row(3, contact_hours=""),
    ]
    outcome = run_import(to_csv(rows))
    assert (outcome.summary.accepted, outcome.summary.rejected) == (3, 0)
    without_column = run_import(to_csv([account_row(4)]))
    assert without_column.summary.accepted == 1
    assert _hours(sessions) == {
        "CH-000001": "18:00-20:00",
        "CH-000002": "09:30-24:00",
        "CH-000003": None,
        "CH-000004": None,
    }


def test_malformed_hours_reject_the_row_naming_the_column_and_the_form(run_import, sessions):
    rows = [
        account_row(1, contact_hours="18-20"),
        account_row(2, contact_hours="20:00-18:00"),
        account_row(3, contact_hours="25:00-26:00"),
        account_row(4, contact_hours="18:00-20:00"),
    ]
    outcome = run_import(to_csv(rows))
    assert (outcome.summary.accepted, outcome.summary.rejected) == (1, 3)
    assert outcome.reasons() == {
        (2, "contact_hours"): FORM,
        (3, "contact_hours"): ORDER,
        (4, "contact_hours"): FORM,
    }
    assert _hours(sessions) == {"CH-000004": "18:00-20:00"}


def test_a_change_of_hours_alone_updates_the_cardholder_and_a_blank_clears_them(
    run_import, sessions
):
    plain = to_csv([account_row(1)], columns=[*account_row(1), "contact_hours"])
    assert run_import(plain).summary.accepted == 1
    # The same row with the empty column is the same snapshot as before the column existed.
    assert run_import(to_csv([account_row(1)])).summary.unchanged == 1
    stated = run_import(to_csv([account_row(1, contact_hours="18:00-20:00")]))
    assert (stated.summary.accepted, stated.summary.unchanged) == (1, 0)
    assert _hours(sessions) == {"CH-000001": "18:00-20:00"}
    again = run_import(to_csv([account_row(1, contact_hours="18:00-20:00")]))
    assert (again.summary.accepted, again.summary.unchanged) == (0, 1)
    cleared = run_import(plain)
    assert (cleared.summary.accepted, cleared.summary.unchanged) == (1, 0)
    assert _hours(sessions) == {"CH-000001": None}
