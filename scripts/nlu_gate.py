#!/usr/bin/env python3
"""Quality gate for the NLU model on the held-out test set (`make nlu-eval`).

Usage: nlu_gate.py RESULTS_DIR [--data data] [--tests tests/nlu] [--domain domain.yml]

RESULTS_DIR is the --out folder of `rasa test nlu`; this reads its intent_report.json (and
intent_errors.json for examples). It prints a per-intent precision / recall / F1 table and the
most frequent confusions, and exits 1 when:
  - the macro-F1 over the intents of the test set is below 0.95,
  - any intent's F1 is below 0.85,
  - an intent of the domain has fewer than 15 test examples (or none),
  - a test text also appears in the training data (case-insensitive, entity markup removed),
    or has exactly the words of a training text in another order.

nlu_fallback: in the dialogue the FallbackClassifier (config.yml) replaces a
prediction whose confidence is below its threshold with `nlu_fallback`, but `rasa test nlu` undoes
that replacement before scoring, so intent_report.json counts a right intent at 0.3 confidence as
a hit. This gate does not: when RESULTS_DIR also holds intent_successes.json (`rasa test nlu
--successes`), it rescores every example from the successes and errors files and counts a
prediction below the threshold as `nlu_fallback`, i.e. a miss of its true intent (lower recall
for it; nlu_fallback gets no precision row and is not in the macro average, as no example is
labelled with it). The ambiguity_threshold (top-2 gap) is not applied: those files keep only the
top intent. Without intent_successes.json the gate falls back to intent_report.json as is, and
says so.

Standard library only: runs with the app's venv or any python3.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

MIN_MACRO_F1 = 0.95
MIN_INTENT_F1 = 0.85
MIN_TEST_EXAMPLES = 15
FALLBACK = "nlu_fallback"
SUMMARY_KEYS = {"accuracy", "macro avg", "weighted avg", "micro avg"}

ROOT = Path(__file__).resolve().parent.parent

# [text](entity), [text]{"entity": ...}, [text][...] -> text
_ENTITY_MARKUP = re.compile(r"\[([^\]]*)\](?:\([^)]*\)|\{[^}]*\}|\[[^\]]*\])")


def plain_text(example: str) -> str:
    """The text a user would type: entity markup removed, whitespace and case normalised."""
    text = _ENTITY_MARKUP.sub(r"\1", example)
    return " ".join(text.split()).casefold()


def word_set(text: str) -> tuple[str, ...]:
    """The words of a text, ignoring order and punctuation ("bye!!" is "bye")."""
    return tuple(sorted(re.findall(r"[\w']+", text)))


def nlu_examples(path: Path) -> list[tuple[str, str]]:
    """(intent, example) pairs from the `examples: |` blocks of a Rasa YAML file.

    A small line parser (no PyYAML): it only needs `- intent: X` followed by an examples block
    of `- text` lines, which is how every NLU file in this repo is written.
    """
    pairs: list[tuple[str, str]] = []
    intent = ""
    block_indent: int | None = None
    for raw in path.read_text(encoding="utf-8").splitlines():
        stripped = raw.strip()
        indent = len(raw) - len(raw.lstrip())
        if block_indent is not None:
            if not stripped or stripped.startswith("#"):
                continue
            if indent > block_indent and stripped.startswith("- "):
                pairs.append((intent, stripped[2:].strip()))
                continue
            block_indent = None
        match = re.match(r"-?\s*(intent|synonym|regex|lookup):\s*(.+)$", stripped)
        if match:
            intent = match.group(2).strip().strip("\"'") if match.group(1) == "intent" else ""
            continue
        if re.match(r"examples:\s*\|", stripped):
            block_indent = indent
    return [(i, e) for i, e in pairs if i]


def yaml_files(folder: Path) -> list[Path]:
    if folder.is_file():
        return [folder]
    return sorted(p for p in folder.rglob("*") if p.suffix in {".yml", ".yaml"})


def domain_intents(domain: Path) -> list[str]:
    """Names under the top-level `intents:` key (plain `- name` or `- name:` entries)."""
    if not domain.exists():
        return []
    names: list[str] = []
    inside = False
    for line in domain.read_text(encoding="utf-8").splitlines():
        if re.match(r"^intents:\s*$", line):
            inside = True
            continue
        if inside:
            if line and not line[0].isspace() and not line.startswith("-"):
                break
            match = re.match(r"^\s*-\s*([A-Za-z0-9_]+)\s*:?", line)
            if match:
                names.append(match.group(1))
    return names


def fallback_threshold(config: Path) -> float:
    """The FallbackClassifier's threshold in config.yml (Rasa's default 0.3 if not set)."""
    if not config.exists():
        return 0.3
    inside = False
    for line in config.read_text(encoding="utf-8").splitlines():
        if re.match(r"^\s*-\s*name:\s*FallbackClassifier\s*$", line):
            inside = True
        elif inside and re.match(r"^\s*-\s*name:", line):
            break
        elif inside and (match := re.match(r"^\s*threshold:\s*([0-9.]+)", line)):
            return float(match.group(1))
    return 0.3


def rescore(
    predictions: list[tuple[str, dict[str, Any], str]], threshold: float
) -> tuple[dict[str, dict[str, Any]], list[tuple[str, dict[str, Any], str]]]:
    """Per-intent precision/recall/F1 with predictions below the threshold as nlu_fallback."""
    pairs: list[tuple[str, str]] = []
    errors: list[tuple[str, dict[str, Any], str]] = []
    for true, pred, text in predictions:
        name = str(pred.get("name"))
        if (pred.get("confidence") or 0.0) < threshold:
            name = FALLBACK
        pairs.append((true, name))
        if name != true:
            errors.append((true, {**pred, "name": name}, text))
    rows: dict[str, dict[str, Any]] = {}
    for intent in sorted({true for true, _ in pairs}):
        tp = sum(1 for t, p in pairs if t == intent and p == intent)
        support = sum(1 for t, _ in pairs if t == intent)
        predicted = sum(1 for _, p in pairs if p == intent)
        precision = tp / predicted if predicted else 0.0
        recall = tp / support if support else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        confused: dict[str, int] = {}
        for t, p in pairs:
            if t == intent and p != intent:
                confused[p] = confused.get(p, 0) + 1
        rows[intent] = {
            "precision": precision,
            "recall": recall,
            "f1-score": f1,
            "support": support,
            "confused_with": confused,
        }
    return rows, errors


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", type=Path, help="the --out folder of `rasa test nlu`")
    parser.add_argument("--data", type=Path, default=ROOT / "data", help="training data")
    parser.add_argument("--tests", type=Path, default=ROOT / "tests" / "nlu", help="test set")
    parser.add_argument("--domain", type=Path, default=ROOT / "domain.yml")
    parser.add_argument("--config", type=Path, default=ROOT / "config.yml")
    parser.add_argument("--top", type=int, default=15, help="confusions to list")
    args = parser.parse_args()

    report_path = args.results / "intent_report.json"
    if not report_path.exists():
        print(f"nlu gate: {report_path} not found; run `rasa test nlu --out {args.results}` first")
        return 2
    report = json.loads(report_path.read_text(encoding="utf-8"))
    threshold = fallback_threshold(args.config)
    successes_path = args.results / "intent_successes.json"
    errors_path = args.results / "intent_errors.json"
    if successes_path.exists() and errors_path.exists():
        predictions = [
            (e["intent"], e.get("intent_prediction") or {}, e.get("text", ""))
            for path in (successes_path, errors_path)
            for e in json.loads(path.read_text(encoding="utf-8"))
        ]
        rows, errors = rescore(predictions, threshold)
        basis = f"rescored with {FALLBACK} below confidence {threshold:g}"
    else:
        rows = {
            name: scores
            for name, scores in report.items()
            if name not in SUMMARY_KEYS
            and name != FALLBACK
            and isinstance(scores, dict)
            # an intent that is only ever predicted (support 0) is not part of the test set
            and scores.get("support", 0) > 0
        }
        errors = (
            [
                (e["intent"], (e.get("intent_prediction") or {}), e.get("text", ""))
                for e in json.loads(errors_path.read_text(encoding="utf-8"))
            ]
            if errors_path.exists()
            else []
        )
        basis = (
            f"as reported by Rasa, {FALLBACK} NOT applied "
            "(no intent_successes.json: run `rasa test nlu --successes`)"
        )
    failures: list[str] = []

    # Per-intent table
    print(f"\nNLU held-out test: {args.results} ({basis})")
    print(f"{'intent':<20} {'precision':>9} {'recall':>7} {'f1':>6} {'support':>8}")
    for name in sorted(rows, key=lambda n: (rows[n]["f1-score"], n)):
        s = rows[name]
        flag = f"  <-- below {MIN_INTENT_F1:.2f}" if s["f1-score"] < MIN_INTENT_F1 else ""
        print(
            f"{name:<20} {s['precision']:>9.3f} {s['recall']:>7.3f} {s['f1-score']:>6.3f}"
            f" {s['support']:>8}{flag}"
        )
        if s["f1-score"] < MIN_INTENT_F1:
            failures.append(f"intent {name}: F1 {s['f1-score']:.3f} < {MIN_INTENT_F1:.2f}")
    if not rows:
        failures.append("the report has no intents with test examples")
    macro = sum(s["f1-score"] for s in rows.values()) / len(rows) if rows else 0.0
    total = sum(s["support"] for s in rows.values())
    print(f"{'macro avg':<20} {'':>9} {'':>7} {macro:>6.3f} {total:>8}")
    hits = sum(s["recall"] * s["support"] for s in rows.values())
    print(f"accuracy {hits / total if total else 0.0:.3f}")
    if macro < MIN_MACRO_F1:
        failures.append(f"macro-F1 {macro:.3f} < {MIN_MACRO_F1:.2f}")

    # Most frequent confusions (true -> predicted), nlu_fallback included
    confusions = sorted(
        (
            (count, true, predicted)
            for true, s in rows.items()
            for predicted, count in (s.get("confused_with") or {}).items()
        ),
        key=lambda c: (-c[0], c[1], c[2]),
    )
    fallbacks = sum(c for c, _, p in confusions if p == FALLBACK)
    print(f"\nmost frequent confusions (true -> predicted; {fallbacks} predicted as {FALLBACK}):")
    for count, true, predicted in confusions[: args.top]:
        print(f"  {count:>3}  {true} -> {predicted}")
    if not confusions:
        print("  none")

    if errors:
        print(f"\nmissed examples ({len(errors)}; true -> predicted (confidence)):")
        for true, pred, text in sorted(errors, key=lambda e: e[0])[:60]:
            print(f"  {true} -> {pred.get('name')} ({pred.get('confidence') or 0:.2f}): {text}")

    # Every intent of the domain has enough test examples
    for name in domain_intents(args.domain):
        support = rows.get(name, {}).get("support", 0)
        if support < MIN_TEST_EXAMPLES:
            failures.append(
                f"intent {name}: {support} test examples < {MIN_TEST_EXAMPLES} in {args.tests}"
            )

    # No test text may also be a training text
    training = {
        plain_text(example): str(path)
        for path in yaml_files(args.data)
        for _, example in nlu_examples(path)
    }
    overlap = [
        (intent, example)
        for path in yaml_files(args.tests)
        for intent, example in nlu_examples(path)
        if plain_text(example) in training
    ]
    for intent, example in overlap:
        failures.append(f"test example also in training data ({intent}): {example!r}")
    # ... nor the same words in another order ("ok cool" / "cool ok")
    training_words = {word_set(text) for text in training}
    reordered = [
        (intent, example)
        for path in yaml_files(args.tests)
        for intent, example in nlu_examples(path)
        if plain_text(example) not in training and word_set(plain_text(example)) in training_words
    ]
    for intent, example in reordered:
        failures.append(f"test example is a training text reordered ({intent}): {example!r}")

    print()
    if failures:
        print("NLU GATE FAILED:")
        for failure in failures:
            print(f"  - {failure}")
        return 1
    print(
        f"NLU gate passed: macro-F1 {macro:.3f} >= {MIN_MACRO_F1:.2f}, every intent F1 >= "
        f"{MIN_INTENT_F1:.2f}, no test text in the training data"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
