# Kernteam: `make run` to start with the demo region, `make test` to prove it.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: install setup run test bench lint format diagram messages clean

$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit("Kernteam needs Python 3.11 or newer") if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip 2>&1 | grep -v "^WARNING: Location" || true
	$(VENV)/bin/pip install --quiet -e '.[dev]' 2>&1 | grep -v "^WARNING: Location" || true
	$(PY) -c 'import django, django_fsm, channels' && touch $@

install: $(VENV)/.installed

setup: install
	$(PY) manage.py migrate --noinput -v0
	$(PY) manage.py collectstatic --noinput -v0
	$(PY) manage.py seed_demo

# The server and, beside it, the background worker (mail, digests, reminders): Ctrl-C stops both.
run: setup
	@echo "Kernteam runs on http://$(HOST):$(PORT)/ with its worker (stop both with Ctrl-C)"
	@$(PY) manage.py worker -v0 & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	$(VENV)/bin/uvicorn config.asgi:application --host $(HOST) --port $(PORT) --no-access-log

test: install
	$(PY) -m pytest

# Benchmarks on PostgreSQL + Redis (BENCH_DATABASE_URL, BENCH_REDIS_URL; see docs/performance.md).
# BENCH_SIZE=tiny only proves they still run (CI); the region data is seeded on first use.
BENCH_SIZE ?= region
bench: install
	$(PY) -m bench.all --size $(BENCH_SIZE)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

diagram: install
	@$(PY) manage.py shell -v0 -c "from steps.diagram import mermaid; print(mermaid())"

messages: install
	$(PY) manage.py makemessages -l nl --ignore=.venv --ignore=tests --ignore=staticfiles
	$(PY) manage.py compilemessages -l nl --ignore=.venv

clean:
	rm -rf $(VENV) staticfiles
