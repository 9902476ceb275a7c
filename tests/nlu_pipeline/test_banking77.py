"""The Banking77 training file is what its mapping says, and never holds a test question."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from nlu_pipeline.banking77 import OUT_OF_SCOPE, TO_COLLECTIONS, read
from scripts.nlu_gate import nlu_examples, plain_text

ROOT = Path(__file__).resolve().parents[2]
TRAINING = ROOT / "data" / "nlu" / "banking77.yml"


def test_the_committed_training_file_is_the_generated_one(tmp_path):
    out = tmp_path / "banking77.yml"
    subprocess.run(
        [sys.executable, "scripts/banking77_training.py", "--out", str(out)], cwd=ROOT, check=True
    )
    assert out.read_text(encoding="utf-8") == TRAINING.read_text(encoding="utf-8"), (
        "data/nlu/banking77.yml is stale: run scripts/banking77_training.py"
    )


def test_no_banking77_test_question_is_trained_on():
    trained = {plain_text(text) for _, text in nlu_examples(TRAINING)}
    leaked = [q.text for q in read("test") if plain_text(q.text) in trained]
    assert leaked == []


def test_unrecognised_and_double_charges_are_disputes_and_unseen_transfers_a_payment_claim():
    intents = {intent for _, intent in TO_COLLECTIONS.items()}
    assert intents == {"dispute", "already_paid"}
    by_intent: dict[str, set[str]] = {}
    for question in read("train"):
        by_intent.setdefault(question.collections_intent, set()).add(question.category)
    assert by_intent["dispute"] >= {"card_payment_not_recognised", "transaction_charged_twice"}
    assert by_intent["already_paid"] == {
        "balance_not_updated_after_bank_transfer",
        "balance_not_updated_after_cheque_or_cash_deposit",
    }
    assert len(by_intent[OUT_OF_SCOPE]) == 71
    trained = {intent for intent, _ in nlu_examples(TRAINING)}
    assert trained == {"dispute", "already_paid", OUT_OF_SCOPE}
