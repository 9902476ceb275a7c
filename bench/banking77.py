"""Benchmark: the bot's NLU pipeline on Banking77, next to the same pipeline without the encoder.

    .venv-rasa/bin/python bench/banking77.py [--banking77 ../shared/benchmarks/banking77]
        [--config config.yml] [--out var/bench-banking77]      (or: make bench-nlu)

Trains config.yml's pipeline (as it is, and again without the sentence encoder, in the same run)
on Banking77's 77 intents (train split, 10,003 questions; PolyAI, CC BY 4.0) with `rasa train
nlu`, then parses the test split (3,080) one message at a time with the loaded model. Prints, for
each: test accuracy of the classifier's top intent, accuracy when a prediction below the
FallbackClassifier's threshold counts as a miss, wall-clock training time, and the median parse
time. Published for comparison (Casanueva et al. 2020): BERT-large 93.66%, USE+ConveRT 93.36%.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import logging
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from nlu_pipeline.banking77 import DEFAULT_DIR, Question, read  # noqa: E402

ENCODER = "nlu_pipeline.encoder.SentenceEncoderFeaturizer"


def write_training_data(questions: list[Question], path: Path) -> None:
    by_category: dict[str, list[str]] = {}
    for question in questions:
        by_category.setdefault(question.category, []).append(question.text)
    nlu = [
        {"intent": category, "examples": "".join(f"- {t}\n" for t in sorted(set(texts)))}
        for category, texts in sorted(by_category.items())
    ]
    path.write_text(
        yaml.safe_dump({"version": "3.1", "nlu": nlu}, allow_unicode=True, width=10_000),
        encoding="utf-8",
    )


def write_config(config: dict, path: Path, *, encoder: bool) -> None:
    variant = copy.deepcopy(config)
    variant.pop("policies", None)
    if not encoder:
        variant["pipeline"] = [c for c in variant["pipeline"] if c.get("name") != ENCODER]
    path.write_text(yaml.safe_dump(variant, sort_keys=False), encoding="utf-8")


def train(config: Path, nlu: Path, out: Path, name: str) -> float:
    start = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "rasa",
            "train",
            "nlu",
            "--config",
            str(config),
            "--nlu",
            str(nlu),
            "--out",
            str(out),
            "--fixed-model-name",
            name,
            "--quiet",
        ],
        check=True,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - start


async def score(model: Path, questions: list[Question], threshold: float) -> dict[str, float]:
    from rasa.core.agent import Agent

    agent = Agent.load(str(model))
    await agent.parse_message("warm up")
    top_hits = hits = 0
    timings = []
    for question in questions:
        start = time.perf_counter()
        parsed = await agent.parse_message(question.text)
        timings.append((time.perf_counter() - start) * 1000)
        ranking = [r for r in parsed.get("intent_ranking") or [] if r["name"] != "nlu_fallback"]
        top = ranking[0] if ranking else {"name": None, "confidence": 0.0}
        top_hits += top["name"] == question.category
        hits += top["name"] == question.category and top["confidence"] >= threshold
    return {
        "accuracy": top_hits / len(questions),
        "accuracy_fallback_as_miss": hits / len(questions),
        "median_parse_ms": statistics.median(timings),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--banking77", type=Path, default=DEFAULT_DIR)
    parser.add_argument("--config", type=Path, default=ROOT / "config.yml")
    parser.add_argument("--out", type=Path, default=ROOT / "var" / "bench-banking77")
    args = parser.parse_args()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
    logging.disable(logging.WARNING)
    import structlog

    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))

    config = yaml.safe_load(args.config.read_text(encoding="utf-8"))
    threshold = next(
        (
            float(c.get("threshold", 0.3))
            for c in config["pipeline"]
            if c.get("name") == "FallbackClassifier"
        ),
        0.0,
    )
    train_questions, test_questions = read("train", args.banking77), read("test", args.banking77)
    args.out.mkdir(parents=True, exist_ok=True)
    nlu = args.out / "nlu.yml"
    write_training_data(train_questions, nlu)
    print(
        f"Banking77: {len(train_questions)} training and {len(test_questions)} test questions, "
        f"77 intents; pipeline of {args.config.name}; fallback threshold {threshold:g}"
    )
    results = {}
    for label, encoder in (("with the sentence encoder", True), ("without the encoder", False)):
        variant = args.out / f"config-{'encoder' if encoder else 'baseline'}.yml"
        write_config(config, variant, encoder=encoder)
        name = "encoder" if encoder else "baseline"
        seconds = train(variant, nlu, args.out, name)
        figures = asyncio.run(score(args.out / f"{name}.tar.gz", test_questions, threshold))
        results[label] = {**figures, "train_seconds": seconds}
        print(
            f"  {label:<26} accuracy {figures['accuracy']:.2%}  (fallback as miss "
            f"{figures['accuracy_fallback_as_miss']:.2%})  training {seconds:.0f} s  "
            f"median parse {figures['median_parse_ms']:.1f} ms",
            flush=True,
        )
    with_, without = results["with the sentence encoder"], results["without the encoder"]
    print(
        f"  encoder adds {100 * (with_['accuracy'] - without['accuracy']):+.2f} points of "
        f"accuracy for {with_['train_seconds'] / without['train_seconds']:.2f}x the training time"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
