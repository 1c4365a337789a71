# synchro: `make test` and `make demo` each create .venv (if absent) and install the project into it.
SHELL := /bin/bash
VENV ?= .venv
# Prefer Python 3.13 (brian2 2.11 needs it); fall back to 3.12, then 3.11 (pins in pyproject.toml).
# Each candidate is run, not just looked up: a pyenv shim exists even where it cannot run.
PYTHON ?= $(shell for p in python3.13 $$(pyenv root 2>/dev/null)/versions/3.13*/bin/python3.13 python3.12 \
             $$(pyenv root 2>/dev/null)/versions/3.12*/bin/python3.12 python3.11 python3; do \
             $$p -c 'import venv' >/dev/null 2>&1 && { echo $$p; break; }; done)
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PYTEST_ARGS ?=

.PHONY: install test demo lint bench docs clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	@# A real recording for tests/test_rhythms_real.py: the ibllib wheel holds one (the file only; no install).
	$(BIN)/python -m pip download --quiet --no-deps --only-binary :all: -d $(VENV)/test-data ibllib==4.1.0
	@touch $(STAMP)

install: $(STAMP)

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check synchro sims tests benchmarks examples

demo: $(STAMP)
	$(BIN)/synchro demo

DOCS_STAMP := $(VENV)/.docs-stamp
$(DOCS_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[docs]"
	@touch $(DOCS_STAMP)

docs: $(DOCS_STAMP)
	$(BIN)/sphinx-build -W --keep-going -b html docs docs/_build/html

bench: $(STAMP)
	@for b in benchmarks/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache docs/_build docs/auto_examples docs/gen_modules
