# The two commands a newcomer needs: `make run` and `make test`. Everything else is optional.
PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run worker test fuzz bench faults lint format openapi lock help

help:
	@echo "make run      set up and serve the API on http://127.0.0.1:8000 (embedded PostgreSQL)"
	@echo "make worker   the webhook delivery worker alone (DATABASE_URL; make run starts one unless RUN_WORKER=0)"
	@echo "make test     set up and run the whole test suite (throwaway embedded PostgreSQL)"
	@echo "make fuzz     the long contract fuzzing run (Schemathesis, every operation and role; minutes)"
	@echo "make bench    seed a data set and measure the API beside a bare reference (BENCH_SCALE=small: a few minutes)"
	@echo "make faults   PostgreSQL restarted under retried intake, the long variant (docs/reliability.md)"
	@echo "make lint     ruff (lint + format check) and mypy --strict"
	@echo "make openapi  regenerate openapi/openapi.json"
	@echo "make lock     re-pin every dependency (requirements*.lock) from pyproject.toml"

# The virtualenv, installed from the lock file (hash-checked); redone when the lock changes.
$(STAMP): requirements-dev.lock
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "Python 3.11 is required (set PYTHON=/path/to/python3.11)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --require-hashes -r requirements-dev.lock
	@touch $@

run: $(STAMP)
	$(BIN)/python -m api

# `make run` already starts one beside the API; this is for more, or on other machines.
worker: $(STAMP)
	$(BIN)/python -m api.worker

test: $(STAMP)
	$(BIN)/lint-imports
	$(BIN)/pytest

# The long contract fuzzing run (`make test` runs a bounded one): see docs/reliability.md.
fuzz: $(STAMP)
	FUZZ=long FUZZ_REPORT=.fuzz-report.json $(BIN)/pytest tests/fuzz -q
	@cat .fuzz-report.json

# Numbers, not assertions: see docs/benchmarks.md (BENCH_SCALE=small for a quick run).
bench: $(STAMP)
	$(BIN)/python -m bench

# The long variant of tests/reliability/test_database_faults.py (the fast one is in `make test`):
# a real `python -m api` server, 4 clients x 250 tips, two outages held 7 s, clients backing off 0.2 s.
faults: $(STAMP)
	FAULT_SERVER=uvicorn FAULT_TIPS_PER_CLIENT=250 FAULT_OUTAGE_SECONDS=7 FAULT_BACKOFF_SECONDS=0.2 \
		$(BIN)/pytest tests/reliability/test_database_faults.py -q -s -p no:cacheprovider

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

openapi: $(STAMP)
	$(BIN)/python -m api.cli write-openapi

lock:
	$(PYTHON) -m venv .venv-lock
	.venv-lock/bin/pip install --quiet pip-tools
	.venv-lock/bin/pip-compile --quiet --generate-hashes --strip-extras -o requirements.lock pyproject.toml
	.venv-lock/bin/pip-compile --quiet --generate-hashes --strip-extras --extra dev -o requirements-dev.lock pyproject.toml
	rm -rf .venv-lock
