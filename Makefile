# CCAP Help Desk. `make run` starts everything with demo data; `make test` runs the whole suite.
# Both set up the virtualenv and system packages themselves on a fresh Debian/Ubuntu machine.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: help run stop test test-only lint format check-deploy install clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-13s %s\n", $$1, $$2}'

run: $(VENV)/.installed  ## migrate, seed the demo once, start web (websockets) + worker
	HOST=$(HOST) PORT=$(PORT) $(BIN)/python manage.py migrate --no-input -v0
	@test -f var/.demo-seeded -a -f var/demo-logins.txt || { HOST=$(HOST) PORT=$(PORT) $(BIN)/python manage.py seed_demo >var/demo-logins.txt.part && mv var/demo-logins.txt.part var/demo-logins.txt && touch var/.demo-seeded; }
	@echo
	@echo "CCAP Help Desk: http://$(HOST):$(PORT)/   (outgoing mail lands in var/outbox/; stop with Ctrl-C or make stop)"
	@tail -n +2 var/demo-logins.txt
	@echo
	HOST=$(HOST) PORT=$(PORT) scripts/run

stop:  ## stop what make run started (web and worker), within 5 seconds
	@scripts/run stop

test: $(VENV)/.installed-test node_modules/.installed  ## install test dependencies and run the whole suite
	$(BIN)/pytest

test-only:  ## run the suite without checking the install (used by .ci/run)
	$(BIN)/pytest $(PYTEST_ARGS)

# axe-core for the browser suite's accessibility gate, pinned by package-lock.json.
node_modules/.installed: package.json package-lock.json | $(VENV)/.installed-test
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

lint: $(VENV)/.installed-test  ## ruff lint and format check, then mypy
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .

format: $(VENV)/.installed-test  ## apply ruff's fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

install: $(VENV)/.installed  ## create the virtualenv and install the app

$(VENV)/.python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "CCAP Help Desk needs Python 3.11 (set PYTHON=...)")'
	scripts/system-deps run
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	@touch $@

$(VENV)/.installed: $(VENV)/.python pyproject.toml constraints.txt
	$(BIN)/pip install -q -c constraints.txt -e .
	@mkdir -p var var/maildrop
	@touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	scripts/system-deps test
	$(BIN)/pip install -q -c constraints.txt -e '.[test]'
	@touch $@

clean:  ## remove the virtualenv and local data (database, outbox)
	rm -rf $(VENV) var *.egg-info node_modules
