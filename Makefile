# anirec: `make run` starts the bot, `make test` runs lint and the whole suite.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# One venv; a stamp per set of extras, so `make run` on a fresh clone never downloads JAX.
STAMP_RUN := $(VENV)/.installed-run
STAMP_TRAIN := $(VENV)/.installed-train
STAMP_DEV := $(VENV)/.installed-dev
EXTRAS_run := postgres
EXTRAS_train := postgres,train
EXTRAS_dev := dev,train,postgres,fast
# The default model's data ships with the project (Kaggle anime-5k sample, CC0; README "Data
# sources"). Nothing reads ../shared unless asked: `make model DATA_DIR=../shared/data/anime-5k`.
DATA_DIR ?= training/datasets/anime-5k
MODEL_PATH ?= artifacts/model
# Where `make model` trains before `python -m training promote` puts it live.
CANDIDATE ?= runs/candidate-default
PYTEST_ARGS ?=
# `make loadtest LOADTEST_ARGS="--members 500 --processes 3 --json load.json"` (README "Running at scale").
LOADTEST_ARGS ?=

.DEFAULT_GOAL := help
.PHONY: help venv run migrate test lint typecheck format model evaluate demo bench loadtest clean

help: ## List the commands
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(VENV)/.installed-%: pyproject.toml constraints.txt
	@test -x $(PY) || { $(PYTHON) -m venv $(VENV) && $(PY) -m pip install --quiet --upgrade pip; }
	$(PY) -m pip install --quiet -c constraints.txt -e '.[$(EXTRAS_$*)]'
	@touch $@

venv: $(STAMP_DEV) ## Create .venv and install the project with the dev and train extras

migrate: $(STAMP_RUN) ## Apply database migrations (DATABASE_URL, default SQLite under data/)
	@mkdir -p data
	$(VENV)/bin/alembic upgrade head

run: migrate ## Start the bot (builds the default model first when MODEL_PATH has none)
	@# Settings first: a missing DISCORD_TOKEN should not wait for a model build to be told.
	@$(PY) -c "from common.settings import Settings, load_settings; load_settings(Settings)" \
	  2>/dev/null || { $(PY) -m bot; exit $$?; }
	@if [ ! -f "$(MODEL_PATH)/manifest.json" ]; then \
	  echo "No model at $(MODEL_PATH): building the default one from $(DATA_DIR) (a few minutes; once)."; \
	  $(MAKE) --no-print-directory model || exit $$?; \
	fi
	$(PY) -m bot

lint: $(STAMP_DEV) ## ruff check, ruff format --check, import contracts (lint-imports)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache

typecheck: $(STAMP_DEV) ## mypy (settings in pyproject.toml; model/ is strict)
	$(VENV)/bin/mypy

format: $(STAMP_DEV) ## Apply ruff's fixes and formatting
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

test: lint typecheck ## Lint, type-check and run the whole test suite
	$(PY) -m pytest $(PYTEST_ARGS)

model: $(STAMP_TRAIN) ## Train a model from DATA_DIR and promote it to MODEL_PATH
	$(PY) -m training train --data $(DATA_DIR) --out $(CANDIDATE)
	$(PY) -m training fit-coldstart --model $(CANDIDATE) --data $(DATA_DIR)
	$(PY) -m training fit-rerank --model $(CANDIDATE) --data $(DATA_DIR)
	$(PY) -m training fit-ratings --model $(CANDIDATE) --data $(DATA_DIR)
	$(PY) -m training promote $(CANDIDATE) --to $(MODEL_PATH)

# SEEDS=3: train (or reuse) seeds 0..2 of the default recipe under runs/seeds and report the
# spread over them instead of MODEL_PATH alone (README "Results").
SEEDS ?= 0
evaluate: $(STAMP_TRAIN) ## Evaluate MODEL_PATH (or SEEDS=3 trained seeds) against EASE, DLAE and popularity on the test users
	$(PY) -m training evaluate $(if $(filter-out 0,$(SEEDS)),--seeds $(SEEDS),--model $(MODEL_PATH)) --data $(DATA_DIR)

bench: $(STAMP_TRAIN) ## CPU serving benchmark (full config, random weights)
	$(PY) -m training bench

loadtest: $(STAMP_DEV) ## Load benchmark: N bot processes, one database (ANIREC_TEST_POSTGRES_URL), LOADTEST_ARGS
	$(PY) -m fakes.loadtest $(LOADTEST_ARGS)

demo: $(STAMP_RUN) ## Local demo: fake Discord + fake MAL + the real bot, no credentials
	$(PY) -m fakes.demo

clean: ## Remove the venv and caches (keeps data/ and artifacts/)
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache
