# The README's commands: `make run` and `make test` (plus `make bench`, `make lint`).
# Everything installs into .venv and frontend/node_modules; nothing system-wide
# except Debian's Chromium for the browser tests.

SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
PYVIPS_BINARY := $(shell grep -i '^pyvips-binary==' requirements/base.txt)
FRONTEND_SRC := $(shell find frontend/src -type f 2>/dev/null) frontend/build.mjs

export DJANGO_SETTINGS_MODULE := portal.settings

.PHONY: run test bench lint setup install frontend migrate browser clean

run: export SECRET_KEY ?= $(shell cat var/secret_key 2>/dev/null)
run: setup
	$(BIN)/python manage.py seed_demo
	@echo "fitsportal on http://$(HOST):$(PORT)/"
	$(BIN)/uvicorn portal.asgi:application --host $(HOST) --port $(PORT) --no-access-log

test: export FITSPORTAL_VAR_DIR ?= $(CURDIR)/var/test
test: export FITSPORTAL_INSECURE_DEV_KEY := 1
test: install frontend browser
	$(BIN)/python -m pytest tests --ignore=tests/browser
	$(BIN)/python -m pytest tests/browser -p no:asyncio -W ignore::pytest.PytestConfigWarning

bench: install
	FITSPORTAL_INSECURE_DEV_KEY=1 $(BIN)/python bench/run.py

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

setup: export SECRET_KEY ?= $(shell cat var/secret_key 2>/dev/null)
setup: install frontend var/secret_key
	$(BIN)/python manage.py migrate --noinput

install: $(VENV)/.installed

$(VENV)/.installed: requirements/base.txt requirements/dev.txt requirements/reference-client.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements/dev.txt
	$(BIN)/python -m pip install --quiet --no-deps -r requirements/reference-client.txt
	# One libvips: the wheel's, even if a system libvips-dev built pyvips' module.
	$(BIN)/python -m pip install --quiet --force-reinstall --no-deps "$(PYVIPS_BINARY)"
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@

frontend: frontend/static/fitsportal/.built

frontend/node_modules/.installed: frontend/package.json frontend/package-lock.json
	cd frontend && npm ci --no-audit --no-fund --loglevel=error
	touch $@

frontend/static/fitsportal/.built: frontend/node_modules/.installed $(FRONTEND_SRC)
	cd frontend && node build.mjs
	touch $@

var/secret_key:
	mkdir -p var
	$(PYTHON) -c "import secrets; print(secrets.token_urlsafe(50))" > $@
	chmod 600 $@

browser:
	@test -x /usr/bin/chromium || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	  else \
	    echo "The browser tests need Debian's Chromium: sudo apt-get install chromium" >&2; exit 1; \
	  fi; }

clean:
	rm -rf $(VENV) frontend/node_modules frontend/static var/test

# Mutation testing (docs/MUTATION.md): not part of `make test`. MUTANTS narrows the run,
# e.g. `make mutation MUTANTS='portal.cached.*'`; the survivors are listed at the end.
.PHONY: mutation
mutation: export FITSPORTAL_VAR_DIR ?= $(CURDIR)/var/mutation
mutation: export FITSPORTAL_INSECURE_DEV_KEY := 1
mutation: install
	$(BIN)/mutmut run --max-children 1 $(MUTANTS)
	$(BIN)/mutmut results
