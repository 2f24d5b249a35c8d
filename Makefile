# doorstep — run `make help` to see the targets.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat setup.cfg pyproject.toml | sha1sum | cut -c1-12)
RUN_DIR ?= var
SERVER_PORT ?= 8400
COLLECTOR_PORT ?= 8470
KIOSK_PORT ?= 8471
SUPPORT := tests/support
SUPPORT_STAMP := $(SUPPORT)/node_modules/.installed-$(shell cat $(SUPPORT)/package-lock.json 2>/dev/null | sha1sum | cut -c1-12)

.DEFAULT_GOAL := help
.PHONY: help run test test-fast test-support lint format bench clean odk-deps

help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-13s %s\n", $$1, $$2}'

# pip's and setuptools' chatter goes to a log; only a failure shows it.
$(STAMP):
	@test -x $(PY) || python3 -m venv $(VENV)
	@echo "installing doorstep into $(VENV) (log: $(VENV)/install.log) …"
	@{ $(PY) -m pip install -U pip && $(PY) -m pip install -e '.[test]'; } > $(VENV)/install.log 2>&1 \
		|| { tail -n 25 $(VENV)/install.log; echo "pip install failed; the whole log is $(VENV)/install.log"; exit 1; }
	@rm -f $(VENV)/.installed-* && touch $@

$(SUPPORT_STAMP): $(SUPPORT)/package.json $(SUPPORT)/package-lock.json
	@echo "installing the browser tests' npm packages into $(SUPPORT)/node_modules …"
	@npm ci --prefix $(SUPPORT) --no-audit --no-fund --loglevel=error
	@rm -f $(SUPPORT)/node_modules/.installed-* && touch $@

run: $(STAMP) ## Start a server, a volunteer and a kiosk collector (SERVER_PORT= COLLECTOR_PORT= KIOSK_PORT=)
	@$(PY) -m server.cli.devrun --dir $(RUN_DIR) --server-port $(SERVER_PORT) \
		--collector-port $(COLLECTOR_PORT) --kiosk-port $(KIOSK_PORT)

test-support: $(SUPPORT_STAMP) ## Install the browser tests' npm packages (axe-core) from tests/support

test: $(STAMP) $(SUPPORT_STAMP) ## Lint, then run the whole test suite (PostgreSQL too if DOORSTEP_TEST_DATABASE_URL is set)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/pytest $(PYTEST_ARGS)

test-fast: $(STAMP) ## The edit loop: lint, then every test but the browser and slow ones (SQLite only)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	DOORSTEP_TEST_DATABASE_URL= $(VENV)/bin/pytest -m "not browser and not slow" $(PYTEST_ARGS)

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
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis $(RUN_DIR) *.egg-info $(SUPPORT)/node_modules
