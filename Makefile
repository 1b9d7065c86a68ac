# One place for the two commands a new user needs: `make demo` and `make test`.
# Both install what they need first (Python venv + Node tools; for `make test` also SoftHSM2, the
# HSM tests' token), so they work on a fresh clone.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: setup softhsm browser demo test test-fast bench compile clean

setup: $(VENV)/.installed node_modules/.installed browser

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 $(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

# The browser tests drive Debian's Chromium (never a downloaded one): installed here when run as root,
# else one line saying what to install (the tests then fail, saying so again).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else \
	    echo "browser tests need Chromium: run 'apt-get install -y chromium' as root (Debian)"; \
	  fi; }

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

demo: setup
	$(BIN)/attest demo

# The whole suite, the slowest tests listed at the end. `make test-fast`: the unit tier alone (no node,
# browser, HSM or compiler), the loop to run while changing code.
test: setup softhsm
	$(BIN)/pytest -n 2 --durations=20

test-fast: setup
	$(BIN)/pytest -n 2 -m unit

# The HSM tests' token: SoftHSM2 (its PKCS#11 module and softhsm2-util). Installed on Debian/Ubuntu
# when run as root; otherwise one line says what to install (the tests fail, not skip, without it).
SOFTHSM_MODULES := /usr/lib/softhsm/libsofthsm2.so /usr/lib/*/softhsm/libsofthsm2.so \
	/usr/local/lib/softhsm/libsofthsm2.so /opt/homebrew/lib/softhsm/libsofthsm2.so
softhsm:
	@found=; for m in $(SOFTHSM_MODULES); do [ -f "$$m" ] && found=$$m; done; \
	if [ -n "$$found" ] && command -v softhsm2-util >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		export DEBIAN_FRONTEND=noninteractive; \
		apt-get install -y -qq softhsm2 >/dev/null 2>&1 || \
		{ apt-get update -qq && apt-get install -y -qq softhsm2 >/dev/null; }; \
	else \
		echo "make test needs SoftHSM2 for the HSM tests: install it (apt-get install softhsm2, brew install softhsm)"; \
		exit 1; \
	fi

bench: setup
	$(BIN)/python benchmarks/run.py

compile: setup
	$(BIN)/python -m attest.chain.compiler

clean:
	rm -rf $(VENV) node_modules .pytest_cache .mypy_cache .ruff_cache .hypothesis
