# The two commands a newcomer needs: `make run` and `make test`. `make help` lists the rest.
SHELL := /bin/bash
.DEFAULT_GOAL := help

APP_VENV  := .venv
RASA_VENV := .venv-rasa
PY        := $(APP_VENV)/bin/python
RASA      := $(RASA_VENV)/bin/rasa
MODEL     := models/collections.tar.gz
PYTHON311 ?= python3.11
TRAINING_FILES := config.yml domain.yml $(shell find data -name '*.yml' 2>/dev/null | sort) \
  nlu_pipeline/encoder.py nlu_pipeline/encoders.py nlu_pipeline/ngrams.py nlu_pipeline/classifier.py
# Banking77 (PolyAI, CC BY 4.0), beside the project: the NLU gate and bench-nlu measure on it.
export BANKING77 ?= ../shared/benchmarks/banking77

# Rasa 3.6 is chatty about its own dependencies; these keep its output readable and offline.
export RASA_TELEMETRY_ENABLED := false
export SQLALCHEMY_SILENCE_UBER_WARNING := 1
export TF_CPP_MIN_LOG_LEVEL := 2
export PYTHONWARNINGS := ignore
export ACTION_SERVER_URL ?= http://127.0.0.1:5055/webhook

.PHONY: help setup chromium run test train db demo-accounts rasa-validate rasa-test nlu-eval pytest lint format clean bench-nlu

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-15s %s\n", $$1, $$2}'

setup: $(APP_VENV)/.installed $(RASA_VENV)/.installed chromium ## create both virtual environments (only when missing or the pins changed) and find Chromium

# The browser tests drive the system's Chromium: installed from Debian when missing and this user
# may install packages, otherwise a message naming the command to run.
chromium:
	@scripts/ensure-chromium

$(APP_VENV)/.installed: requirements/app.lock
	@$(PYTHON311) -c 'import sys; assert sys.version_info[:2] == (3, 11)' 2>/dev/null || \
	  { echo "Python 3.11 is needed for the app (set PYTHON311=/path/to/python3.11)"; exit 1; }
	rm -rf $(APP_VENV)
	$(PYTHON311) -m venv $(APP_VENV)
	$(APP_VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements/app.lock
	touch $@

$(RASA_VENV)/.installed: requirements/rasa.lock requirements/encoder.lock
	rm -rf $(RASA_VENV)
	python310=$$(scripts/find-python310) && $$python310 -m venv $(RASA_VENV)
	$(RASA_VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements/rasa.lock
	$(RASA_VENV)/bin/pip install --quiet --disable-pip-version-check --require-hashes --no-deps \
	  -r requirements/encoder.lock
	touch $@

train: $(MODEL) ## train the Rasa model (only when training data or config changed)

# The training time is kept beside the results: the NLU gate reports it against its budget.
$(MODEL): $(RASA_VENV)/.installed $(TRAINING_FILES)
	@mkdir -p var
	start=$$(date +%s) && $(RASA) train --fixed-model-name collections --out models --quiet && \
	  echo $$(( $$(date +%s) - start )) > var/train-seconds
	touch $@

db: $(APP_VENV)/.installed ## migrate the database and seed the demo portfolio when it is empty
	$(PY) -m bot migrate
	$(PY) -m bot seed-demo

run: setup train db ## start Rasa, the action server and the api; open the printed chat URL
	$(PY) -m bot run

demo-accounts: db ## print demo cardholders with what passes their identity check
	@$(PY) -m bot demo-accounts

rasa-validate: $(RASA_VENV)/.installed
	$(RASA) data validate --quiet

rasa-test: train
	$(RASA) test core --model $(MODEL) --stories tests/stories --fail-on-prediction-errors \
	  --out var/rasa-test-results --quiet

# The NLU gate. scripts/nlu_gate.py: intent scores on the held-out tests/nlu (never trained on;
# --successes lets it count predictions below the fallback threshold as misses), failing on
# macro-F1 < 0.95, any intent F1 < 0.85 or a test text found in data/. scripts/nlu_robustness.py:
# Banking77's test split, mapped to collections meaning, failing on dispute recall < 90%,
# already_paid recall < 80%, 5% of unrelated questions taken as collections intents or 1% as
# consequential ones, a median parse of 30 ms or more, or training of 4 minutes or more.
# Both print what was confused with what.
nlu-eval: train ## the NLU gate: held-out set, Banking77 robustness, parse and training time
	$(RASA) test nlu --model $(MODEL) --nlu tests/nlu --out var/nlu-results --successes
	$(PY) scripts/nlu_gate.py var/nlu-results
	$(RASA_VENV)/bin/python scripts/nlu_robustness.py $(MODEL) --banking77 $(BANKING77)

pytest: setup train
	$(PY) -m pytest

test: setup train lint rasa-validate rasa-test nlu-eval pytest ## set up, then the whole suite (lint, Rasa data, Rasa stories, the NLU gate, pytest)

lint: $(APP_VENV)/.installed ## ruff, mypy and the import layers (pyproject.toml, [tool.importlinter])
	$(PY) -m ruff check bot api actions tests migrations scripts bench
	$(PY) -m ruff format --check bot api actions tests migrations scripts bench
	$(PY) -m ruff check --target-version py310 nlu_pipeline rasa_channels
	$(PY) -m ruff format --check --target-version py310 nlu_pipeline rasa_channels
	$(PY) -m mypy bot api actions
	$(APP_VENV)/bin/lint-imports --no-cache

format: $(APP_VENV)/.installed ## format the code with ruff
	$(PY) -m ruff format bot api actions tests migrations scripts bench
	$(PY) -m ruff check --fix bot api actions tests migrations scripts bench
	$(PY) -m ruff format --target-version py310 nlu_pipeline rasa_channels
	$(PY) -m ruff check --fix --target-version py310 nlu_pipeline rasa_channels

bench-import: $(APP_VENV)/.installed ## time a 1,000,000-row accounts import against PostgreSQL COPY (ROWS=..., needs local PostgreSQL)
	$(PY) bench/import_accounts.py --rows $(or $(ROWS),1000000)

bench-reminders: $(APP_VENV)/.installed ## time a reminder run over 1,000,000 accounts against a bare SELECT (ACCOUNTS=..., needs local PostgreSQL)
	$(PY) bench/plan_reminders.py --accounts $(or $(ACCOUNTS),1000000)

bench-nlu: $(RASA_VENV)/.installed ## Banking77: config.yml's pipeline with and without the sentence encoder (about 10 minutes)
	$(RASA_VENV)/bin/python bench/banking77.py --banking77 $(BANKING77)

clean: ## remove environments, models, the local database and logs
	rm -rf $(APP_VENV) $(RASA_VENV) models var .pytest_cache .mypy_cache .ruff_cache
