# Reanimator: `make run` (embedded: SQLite, eager Celery, demo data) and `make test`
# (the whole suite on a private MariaDB and Redis). See README.md.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
PYTEST_ARGS ?=
BENCH_ARGS ?=
export REANIMATOR_CORPUS ?= $(abspath ../shared/corpus)

.PHONY: run test lint format typecheck bench worker beat migrate demo venv system-deps clean

# Packages a fresh Debian/Ubuntu machine needs to build mysqlclient and run the browser tests.
SYSTEM_PACKAGES := python3-venv python3-dev build-essential pkg-config default-libmysqlclient-dev chromium

system-deps:
	@missing=$$(for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "Installing system packages: $$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	  else \
	    echo "Missing system packages: $$missing"; echo "Run: sudo apt-get install -y $$missing"; exit 1; \
	  fi; \
	fi

$(VENV)/.installed: requirements.txt requirements-dev.txt
	@$(MAKE) --no-print-directory system-deps
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

venv: $(VENV)/.installed

migrate: venv
	DATABASE_URL= $(PY) manage.py migrate --no-input

run: venv
	DEBUG=1 DATABASE_URL= CELERY_BROKER_URL= $(PY) manage.py migrate --no-input -v0
	DEBUG=1 DATABASE_URL= CELERY_BROKER_URL= LOG_LEVEL=WARNING $(PY) manage.py seed_demo
	DEBUG=1 DATABASE_URL= CELERY_BROKER_URL= $(PY) manage.py runserver 127.0.0.1:$(PORT)

test: venv
	$(PY) tools/testservices.py run -- $(PY) -m pytest $(PYTEST_ARGS)

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	DATABASE_URL= $(PY) manage.py check
	DATABASE_URL= $(PY) manage.py makemigrations --check --dry-run

format: venv
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

typecheck: venv
	DATABASE_URL= $(VENV)/bin/mypy .

bench: venv
	$(PY) tools/testservices.py run -- sh -c '$(PY) manage.py migrate --no-input -v0 && $(PY) manage.py bench $(BENCH_ARGS)'

worker: venv
	$(VENV)/bin/celery -A reanimator worker --loglevel=INFO

beat: venv
	$(VENV)/bin/celery -A reanimator beat --loglevel=INFO

clean:
	rm -rf var/testservices .pytest_cache .ruff_cache .mypy_cache
