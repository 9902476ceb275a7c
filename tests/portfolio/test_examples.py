"""The example files and their README: what a bank analyst reads is what the code does."""

from __future__ import annotations

from pathlib import Path

from bot.portfolio.columns import ACCOUNT_COLUMNS, PAYMENT_COLUMNS

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "portfolio"


def test_the_readme_documents_every_column():
    readme = (EXAMPLES / "README.md").read_text(encoding="utf-8")
    for column in ACCOUNT_COLUMNS + PAYMENT_COLUMNS:
        assert f"| `{column.name}` | {'yes' if column.required else 'no'} |" in readme


def test_the_example_files_import_as_the_readme_says(run_import):
    outcomes = [
        run_import((EXAMPLES / name).read_bytes(), name=name)
        for name in ("accounts.csv", "accounts.jsonl", "payments.csv")
    ]
    counts = [(o.summary.accepted, o.summary.rejected) for o in outcomes]
    assert counts == [(5, 9), (2, 3), (3, 4)]
    assert sorted({r.row for r in outcomes[0].rejections}) == [5, 6, 7, 8, 9, 10, 12, 13, 14]
