# doorstep — run `make help` to see the targets.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat setup.cfg pyproject.toml | sha1sum | cut -c1-12)
RUN_DIR ?= var

.DEFAULT_GOAL := help
.PHONY: help run test lint format bench clean odk-deps

help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

$(STAMP):
	@test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q -U pip
	$(PY) -m pip install -q -e '.[test]'
	@rm -f $(VENV)/.installed-* && touch $@

run: $(STAMP) ## Start a server and an enrolled collector on embedded defaults (Ctrl-C stops)
	$(PY) -m server.cli.devrun --dir $(RUN_DIR)

test: $(STAMP) ## Lint, then run the whole test suite (PostgreSQL too if DOORSTEP_TEST_DATABASE_URL is set)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/pytest $(PYTEST_ARGS)

lint: $(STAMP) ## Lint and check formatting only
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(STAMP) ## Fix lint where safe and format the code
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

odk-deps: ## Install ODK's own form engines for tests/odk (npm ci; node 20.19+)
	cd tests/odk && npm ci --no-audit --no-fund

bench: $(STAMP) ## Run every benchmark in bench/ (prints tables; see docs/performance.md)
	@for b in bench/*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

clean: ## Remove the virtualenv, caches and local run data
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis $(RUN_DIR) *.egg-info
