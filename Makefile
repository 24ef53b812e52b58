# The two commands a newcomer needs: `make run` and `make test`. Everything else is optional.
PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test fuzz bench lint format openapi lock help

help:
	@echo "make run      set up and serve the API on http://127.0.0.1:8000 (embedded PostgreSQL)"
	@echo "make test     set up and run the whole test suite (throwaway embedded PostgreSQL)"
	@echo "make fuzz     the long contract fuzzing run (Schemathesis, every operation and role; minutes)"
	@echo "make bench    seed a data set and measure the API beside a bare reference (BENCH_SCALE=small: a few minutes)"
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
