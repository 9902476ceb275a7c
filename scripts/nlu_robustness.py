#!/usr/bin/env python3
"""Robustness gate for the trained NLU model on text we did not write (`make nlu-eval`).

Usage (Rasa's runtime): .venv-rasa/bin/python scripts/nlu_robustness.py MODEL
       [--banking77 DIR] [--train-seconds FILE] [--report FILE]

Parses Banking77's test split (PolyAI, CC BY 4.0; never trained on) with the bot's own model,
mapped to collections meaning by nlu_pipeline/banking77.py, and fails when:
  - dispute recall is below 90% (a charge not recognised or taken twice),
  - already_paid recall is below 80% (money sent or deposited that the balance does not show),
  - 5% or more of the unrelated questions are taken as any collections intent,
  - 1% or more of them are taken as a consequential intent (bot/conversations/understanding.py),
  - the median parse of one message takes 30 ms or more on the loaded model,
  - training the model took 4 minutes or more (read from --train-seconds, written by make train).
A prediction below the FallbackClassifier's threshold is a fallback: a miss for dispute and
already_paid, and not "taken as" anything for the unrelated questions. Prints the confusions so a
product team sees what moved.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.conversations.understanding import CONSEQUENTIAL_INTENTS  # noqa: E402
from nlu_pipeline.banking77 import DEFAULT_DIR, OUT_OF_SCOPE, read  # noqa: E402
from scripts.nlu_gate import fallback_threshold  # noqa: E402

MIN_RECALL = {"dispute": 0.90, "already_paid": 0.80}
MAX_UNRELATED_COLLECTIONS = 0.05
MAX_UNRELATED_CONSEQUENTIAL = 0.01
MAX_MEDIAN_PARSE_MS = 30.0
MAX_TRAIN_SECONDS = 240.0
FALLBACK = "nlu_fallback"


async def parse_all(model: Path, texts: list[str]) -> tuple[list[tuple[str, float]], list[float]]:
    from rasa.core.agent import Agent

    agent = Agent.load(str(model))
    await agent.parse_message("warm up")
    predictions: list[tuple[str, float]] = []
    timings: list[float] = []
    for text in texts:
        start = time.perf_counter()
        parsed = await agent.parse_message(text)
        timings.append((time.perf_counter() - start) * 1000)
        # FallbackClassifier sets nlu_fallback; its ranking keeps what the classifier said.
        intent = parsed.get("intent") or {}
        predictions.append((str(intent.get("name")), float(intent.get("confidence") or 0.0)))
    return predictions, timings


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", type=Path)
    parser.add_argument("--banking77", type=Path, default=DEFAULT_DIR)
    parser.add_argument("--train-seconds", type=Path, default=ROOT / "var" / "train-seconds")
    parser.add_argument(
        "--report", type=Path, default=ROOT / "var" / "nlu-results" / "banking77.json"
    )
    parser.add_argument("--config", type=Path, default=ROOT / "config.yml")
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    import structlog  # Rasa 3.6 logs every parse at debug level through structlog

    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

    questions = read("test", args.banking77)
    predictions, timings = asyncio.run(parse_all(args.model, [q.text for q in questions]))
    threshold = fallback_threshold(args.config)
    taken = [
        name if confidence >= threshold and name != FALLBACK else FALLBACK
        for name, confidence in predictions
    ]
    failures: list[str] = []
    print(
        f"\nBanking77 test ({len(questions)} questions, never trained on), fallback below "
        f"{threshold:g}:"
    )
    for intent, minimum in MIN_RECALL.items():
        rows = [
            (q, t) for q, t in zip(questions, taken, strict=True) if q.collections_intent == intent
        ]
        hits = sum(t == intent for _, t in rows)
        recall = hits / len(rows)
        flag = "" if recall >= minimum else f"  <-- below {minimum:.0%}"
        print(f"  {intent:<14} recall {recall:6.1%} ({hits}/{len(rows)}){flag}")
        if recall < minimum:
            failures.append(f"{intent} recall {recall:.1%} < {minimum:.0%}")
        missed = Counter(t for _, t in rows if t != intent)
        if missed:
            print("      missed as: " + ", ".join(f"{n} {k}" for k, n in missed.most_common()))
    unrelated = [
        t for q, t in zip(questions, taken, strict=True) if q.collections_intent == OUT_OF_SCOPE
    ]
    as_collections = Counter(t for t in unrelated if t not in {OUT_OF_SCOPE, FALLBACK})
    as_consequential = {k: n for k, n in as_collections.items() if k in CONSEQUENTIAL_INTENTS}
    share = sum(as_collections.values()) / len(unrelated)
    share_consequential = sum(as_consequential.values()) / len(unrelated)
    print(
        f"  unrelated questions ({len(unrelated)}): {share:.1%} taken as a collections intent "
        f"(max {MAX_UNRELATED_COLLECTIONS:.0%}), {share_consequential:.2%} as a consequential "
        f"one (max {MAX_UNRELATED_CONSEQUENTIAL:.0%})"
    )
    if as_collections:
        print("      taken as: " + ", ".join(f"{n} {k}" for k, n in as_collections.most_common()))
    if share >= MAX_UNRELATED_COLLECTIONS:
        failures.append(f"{share:.1%} of unrelated questions taken as collections intents")
    if share_consequential >= MAX_UNRELATED_CONSEQUENTIAL:
        failures.append(f"{share_consequential:.2%} of unrelated questions taken as consequential")
    examples = [
        (q.category, t, c, q.text)
        for q, t, (_, c) in zip(questions, taken, predictions, strict=True)
        if t not in {q.collections_intent, FALLBACK}
        or (q.collections_intent != OUT_OF_SCOPE and t != q.collections_intent)
    ]
    if examples:
        print(f"\n  misread examples ({len(examples)}; Banking77 category -> taken as):")
        for category, name, confidence, text in examples[:40]:
            print(f"    {category} -> {name} ({confidence:.2f}): {text}")

    median = statistics.median(timings)
    p95 = sorted(timings)[int(0.95 * (len(timings) - 1))]
    print(
        f"\n  parse time per message: median {median:.1f} ms, p95 {p95:.1f} ms "
        f"(max median {MAX_MEDIAN_PARSE_MS:g} ms)"
    )
    if median >= MAX_MEDIAN_PARSE_MS:
        failures.append(f"median parse {median:.1f} ms >= {MAX_MEDIAN_PARSE_MS:g} ms")
    if args.train_seconds.exists():
        seconds = float(args.train_seconds.read_text().strip())
        print(f"  training time of this model: {seconds:.0f} s (max {MAX_TRAIN_SECONDS:.0f} s)")
        if seconds >= MAX_TRAIN_SECONDS:
            failures.append(f"training took {seconds:.0f} s >= {MAX_TRAIN_SECONDS:.0f} s")
    else:
        print(f"  training time: {args.train_seconds} not found (model not built by make train)")

    args.report.parent.mkdir(parents=True, exist_ok=True)
    args.report.write_text(
        json.dumps(
            {
                "recall": {
                    i: sum(
                        t == i
                        for q, t in zip(questions, taken, strict=True)
                        if q.collections_intent == i
                    )
                    / sum(q.collections_intent == i for q in questions)
                    for i in MIN_RECALL
                },
                "unrelated_as_collections": share,
                "unrelated_as_consequential": share_consequential,
                "median_parse_ms": median,
            },
            indent=2,
        )
    )
    print()
    if failures:
        print("ROBUSTNESS GATE FAILED:")
        for failure in failures:
            print(f"  - {failure}")
        return 1
    print("Robustness gate passed.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
