# anirec: `make run` starts the bot, `make test` runs lint and the whole suite.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DATA_DIR ?= $(if $(wildcard ../shared/data/anime-5k),../shared/data/anime-5k,data/anime-5k)
MODEL_PATH ?= artifacts/model
PYTEST_ARGS ?=

.DEFAULT_GOAL := help
.PHONY: help venv run migrate test lint format model evaluate demo bench clean

help: ## List the commands
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml constraints.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e '.[dev,postgres,fast]'
	@touch $(STAMP)

venv: $(STAMP) ## Create .venv and install the project with its dev extras

migrate: $(STAMP) ## Apply database migrations (DATABASE_URL, default SQLite under data/)
	@mkdir -p data
	$(VENV)/bin/alembic upgrade head

run: migrate ## Start the bot (needs DISCORD_TOKEN and MAL_CLIENT_ID in .env)
	$(PY) -m bot

lint: $(STAMP) ## ruff check and ruff format --check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(STAMP) ## Apply ruff's fixes and formatting
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

test: lint ## Lint and run the whole test suite
	$(PY) -m pytest $(PYTEST_ARGS)

model: $(STAMP) ## Train the default model from DATA_DIR into MODEL_PATH
	$(PY) -m training train --data $(DATA_DIR) --out $(MODEL_PATH)

evaluate: $(STAMP) ## Evaluate MODEL_PATH against EASE and popularity on the test users
	$(PY) -m training evaluate --model $(MODEL_PATH) --data $(DATA_DIR)

bench: $(STAMP) ## CPU serving benchmark (full config, random weights)
	$(PY) -m model bench

demo: $(STAMP) ## Local demo: fake Discord + fake MAL + the real bot, no credentials
	$(PY) -m fakes.demo

clean: ## Remove the venv and caches (keeps data/ and artifacts/)
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache
