# Developer entry points. `make` alone lists them; CI runs `make lint` and `make test` (.ci/run).
# Every target uses the project's own virtualenv ($(VENV)); nothing is installed globally.

PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin
# Written after a successful install; re-installs only when requirements.lock changes.
STAMP = $(VENV)/.installed

# `make run` binds here (not HOST: zsh exports HOST as the machine's name).
BIND ?= 127.0.0.1
PORT ?= 8000

PYTEST_ARGS ?=
BENCH_ARGS ?=
# Extra pip-compile flags, e.g. `make lock LOCK_ARGS=--upgrade` or `LOCK_ARGS="-P django"`.
LOCK_ARGS ?=

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

.PHONY: help venv install run test lint format migrate messages translations seed worker beat lock bench clean

help: ## List the targets
	@echo "Usage: make <target> [VAR=value]"
	@echo
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) \
		| awk 'BEGIN {FS = ":.*## "}; {printf "  %-10s %s\n", $$1, $$2}'
	@echo
	@echo "Variables: PYTHON=$(PYTHON) VENV=$(VENV) BIND=$(BIND) PORT=$(PORT) PYTEST_ARGS=... LOCK_ARGS=..."

venv: $(STAMP) ## Create $(VENV) and install requirements.lock (same as install)

install: $(STAMP) ## Install the pinned runtime + dev dependencies into $(VENV)

$(STAMP): requirements.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -r requirements.lock
	@touch $@

run: install ## Migrate, compile translations, seed demo data and serve on http://$(BIND):$(PORT)
	$(BIN)/python manage.py migrate --noinput
	@$(MAKE) --no-print-directory messages
	$(BIN)/python manage.py seed_demo
	$(BIN)/uvicorn oms.asgi:application --host $(BIND) --port $(PORT) --timeout-graceful-shutdown 5

# Compiles .po files when the project has any locale directory; skipped (with a warning) when
# gettext's msgfmt is missing, so `make run` still works on a bare machine.
messages: install ## Compile translations (locale/*.po -> .mo), if there are any
	@if ! ls -d locale */locale >/dev/null 2>&1; then \
		echo "no locale directory: nothing to compile"; \
	elif ! command -v msgfmt >/dev/null 2>&1; then \
		echo "warning: gettext (msgfmt) not found; skipping compilemessages" >&2; \
	else \
		$(BIN)/python manage.py compilemessages --ignore='$(notdir $(VENV))' --ignore=node_modules; \
	fi

translations: install ## Refresh locale/pt_BR from the code's strings (then translate and compile)
	$(BIN)/python manage.py makemessages -l pt_BR --ignore=$(notdir $(VENV)) --ignore=staticfiles \
		--ignore=tests --ignore=bench --no-obsolete
	$(BIN)/python manage.py compilemessages --ignore=$(notdir $(VENV))

test: install ## Run the test suite (pass options with PYTEST_ARGS="-k cancel -x")
	$(BIN)/pytest $(PYTEST_ARGS)

lint: install ## Ruff lint + format check, import contracts, missing migrations (what CI runs)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/python manage.py makemigrations --check --dry-run

format: install ## Apply ruff's fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

migrate: install ## Apply database migrations
	$(BIN)/python manage.py migrate --noinput

seed: install ## Load the demo data (idempotent; prints the demo logins)
	$(BIN)/python manage.py seed_demo

worker: install ## Run a Celery worker (needs REDIS_URL)
	DB_CONN_MAX_AGE=$${DB_CONN_MAX_AGE:-600} $(BIN)/celery -A oms worker -l info

beat: install ## Run Celery beat, the periodic scheduler (needs REDIS_URL)
	$(BIN)/celery -A oms beat -l info

lock: ## Re-pin requirements.lock from pyproject.toml (runtime + dev extra)
	@test -x $(BIN)/pip-compile || $(MAKE) --no-print-directory install
	CUSTOM_COMPILE_COMMAND="make lock" $(BIN)/pip-compile --quiet --extra dev --strip-extras \
		--no-emit-index-url --no-emit-find-links $(LOCK_ARGS) \
		--output-file requirements.lock pyproject.toml
	@if grep -nE 'file://|/opt/|^-(-index-url|-extra-index-url|-find-links|i |f )' requirements.lock; then \
		echo "error: requirements.lock names a local path or index (see above)" >&2; exit 1; \
	fi

bench: install ## Run the benchmarks under bench/ (they print figures)
	@if [ -f bench/__main__.py ]; then \
		$(BIN)/python -m bench $(BENCH_ARGS); \
	else \
		echo "no benchmarks yet"; \
	fi

clean: ## Remove the virtualenv, the SQLite database, collected static files and caches
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache .hypothesis .mypy_cache htmlcov .coverage
	rm -f db.sqlite3 db.sqlite3-journal db.sqlite3-wal db.sqlite3-shm celerybeat-schedule*
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
