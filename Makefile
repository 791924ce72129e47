# The two commands: `make demo` and `make test`. Each installs what it needs.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip
CONSTRAINTS := requirements/constraints.txt
export OUTBREAK_DATA_DIR ?= var

.PHONY: demo test check serve install dev browser postgres clean docs

demo: $(VENV)/.installed ## Embedded database + demo data, served on 127.0.0.1:8000
	$(BIN)/outbreak demo

test: $(VENV)/.installed-dev browser postgres ## Lint, types, import contracts, all tests
	PATH="$(CURDIR)/$(BIN):$$PATH" scripts/check
	PATH="$(CURDIR)/$(BIN):$$PATH" scripts/test

check: $(VENV)/.installed-dev
	PATH="$(CURDIR)/$(BIN):$$PATH" scripts/check

serve: $(VENV)/.installed
	$(BIN)/outbreak serve

docs: $(VENV)/.installed
	$(BIN)/python scripts/gen-docs

$(VENV)/bin/python:
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "outbreak needs Python 3.11; set PYTHON=/path/to/python3.11"'
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(VENV)/.installed: $(VENV)/bin/python pyproject.toml $(CONSTRAINTS)
	$(PIP) install --quiet -c $(CONSTRAINTS) -e .
	@touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(PIP) install --quiet -c $(CONSTRAINTS) -e '.[dev]'
	@touch $@

# Browser tests drive Debian's Chromium (Playwright cannot download its own here);
# the HTTP benchmarks drive their servers with Debian's wrk.
browser:
	@{ test -x /usr/bin/chromium && command -v wrk >/dev/null; } || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium wrk >/dev/null; }

# Storage tests run on PostgreSQL too; start the local cluster if it is down.
postgres:
	@if command -v pg_ctlcluster >/dev/null && ! pg_isready -q -h 127.0.0.1; then \
	  pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start; \
	fi

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache .coverage
