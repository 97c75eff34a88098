# Anju — `make help` lists the targets.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8000
# Test processes (pytest-xdist): one per core; `TEST_WORKERS=0 make test` runs in this process alone.
TEST_WORKERS ?= auto
export ANJU_VAR_DIR ?= $(CURDIR)/var

.DEFAULT_GOAL := help

help: ## List the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  \033[1m%-16s\033[0m %s\n", $$1, $$2}'

$(BIN)/anju: pyproject.toml requirements-dev.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet --require-hashes -r requirements-dev.lock
	$(BIN)/pip install --quiet --no-deps -e .
	@touch $(BIN)/anju

install: $(BIN)/anju ## Create the virtual environment and install the locked dependencies

run: install ## Migrate, load the demo once, and serve on http://127.0.0.1:$(PORT)
	@mkdir -p $(ANJU_VAR_DIR)
	$(BIN)/anju migrate --no-input -v 0
	$(BIN)/anju demo
	$(BIN)/anju serve --port $(PORT)

# --dist loadgroup: the tests marked xdist_group("connections") (races of tens of PostgreSQL connections, each
# sized to the connections free when it starts) run in one process, one after another; two at once overran
# max_connections (100). Not for `make fuzz`: schemathesis gives all its cases one node id, and grouping by
# node id ran 2 of its 442.
test: install ## Run the whole test suite, one process per core (DATABASE_URL=postgres://… for PostgreSQL)
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadgroup

test-browser: install ## Run the browser tests in headless Chromium (one process: under pytest-xdist the live-server tests lost the seeded catalogue)
	$(BIN)/pytest -m browser -p no:cacheprovider

fuzz: install ## Fuzz every API operation with schemathesis, as administrator and resident (bounded, a few minutes)
	$(BIN)/pytest -m fuzz -n $(TEST_WORKERS) -p no:cacheprovider tests/test_api_fuzz.py

lint: install ## ruff check, ruff format --check, mypy
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy

imports: install ## Check the import contract (.importlinter): app layers, no cycles; and no cross-module _private imports
	$(BIN)/lint-imports --no-cache
	$(BIN)/pytest -q tests/test_import_contract.py

format: install ## Format the code with ruff
	$(BIN)/ruff check --fix src tests benchmarks
	$(BIN)/ruff format src tests benchmarks

messages: install ## Extract translatable strings into the zh-Hans catalogue
	cd src/anju && ../../$(BIN)/anju makemessages -l zh_Hans --no-obsolete --add-location file
	cd src/anju && ../../$(BIN)/anju makemessages -d djangojs -l zh_Hans --no-obsolete --add-location file || true

compilemessages: install ## Compile the translation catalogues
	$(BIN)/python -m anju.core.i18n compile

schema: install ## Regenerate the committed OpenAPI schema
	$(BIN)/anju export_openapi > docs/openapi.json

migrations-check: install ## Fail if a model change has no migration
	$(BIN)/anju makemigrations --check --dry-run

clean: ## Remove the virtual environment (keeps var/)
	rm -rf $(VENV)

.PHONY: help install run test test-browser fuzz lint imports format messages compilemessages schema migrations-check clean
