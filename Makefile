# One place for the two commands a new user needs: `make demo` and `make test`.
# Both install what they need first (Python venv + Node tools), so they work on a fresh clone.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: setup demo test bench compile clean

setup: $(VENV)/.installed node_modules/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

demo: setup
	$(BIN)/attest demo

test: setup
	$(BIN)/pytest -n 2

bench: setup
	$(BIN)/python benchmarks/run.py

compile: setup
	$(BIN)/python -m attest.chain.compiler

clean:
	rm -rf $(VENV) node_modules .pytest_cache .mypy_cache .ruff_cache .hypothesis
