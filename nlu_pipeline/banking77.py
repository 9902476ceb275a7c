"""Banking77 (PolyAI, CC BY 4.0) mapped to what a collections assistant must understand.

One mapping for everything that uses the data set: the out-of-scope training file
(data/nlu/banking77.yml), the robustness gate (scripts/nlu_robustness.py) and the benchmark
(bench/banking77.py). Its categories about a charge the person does not recognise or that was
taken twice are a dispute; money sent or deposited that the balance does not show is a claim of
having paid; everything else (card delivery, top-ups, exchange rates, PIN, ...) is out of scope.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Beside the project, as laid out for developers and CI (../shared/benchmarks/banking77), unless
# BANKING77 names the folder.
DEFAULT_DIR = Path(
    os.environ.get("BANKING77") or ROOT.parent / "shared" / "benchmarks" / "banking77"
)

TO_COLLECTIONS: dict[str, str] = {
    "card_payment_not_recognised": "dispute",
    "direct_debit_payment_not_recognised": "dispute",
    "cash_withdrawal_not_recognised": "dispute",
    "transaction_charged_twice": "dispute",
    "balance_not_updated_after_bank_transfer": "already_paid",
    "balance_not_updated_after_cheque_or_cash_deposit": "already_paid",
}
OUT_OF_SCOPE = "out_of_scope"


@dataclass(frozen=True)
class Question:
    text: str
    category: str

    @property
    def collections_intent(self) -> str:
        """The collections intent this question should be read as."""
        return TO_COLLECTIONS.get(self.category, OUT_OF_SCOPE)


def read(split: str, folder: Path = DEFAULT_DIR) -> list[Question]:
    """The questions of `train` or `test` (a CSV parser: some texts hold line breaks)."""
    path = folder / f"{split}.csv"
    if not path.exists():
        raise FileNotFoundError(
            f"{path} not found: Banking77 is expected in ../shared/benchmarks/banking77 "
            "(or set BANKING77 to its folder)"
        )
    with path.open(newline="", encoding="utf-8") as handle:
        return [
            Question(" ".join(row["text"].split()), row["category"])
            for row in csv.DictReader(handle)
            if row["text"].strip()
        ]
