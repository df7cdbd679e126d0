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
	$(BIN)/uvicorn portal.asgi:application --host $(HOST) --port $(PORT) --no-access-log \
		--http portal.http_protocol:BoundedHttpToolsProtocol

test: export FITSPORTAL_VAR_DIR ?= $(CURDIR)/var/test
test: export FITSPORTAL_INSECURE_DEV_KEY := 1
test: install frontend browser
	$(BIN)/python -m pytest tests --ignore=tests/browser --durations=15
	$(BIN)/python -m pytest tests/browser -p no:asyncio -W ignore::pytest.PytestConfigWarning --durations=10

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
# MODULE (one or more files) with TESTS (its fast test files, pytest arguments) measures
# that module on those tests alone, in a clean export of the last commit under
# var/mutation/<module> (two modules can be measured side by side); CHILDREN: mutants run
# at once (2 only for tests that use no database). E.g.
#   make mutation MODULE=tiles/engine/stats.py TESTS='tests/engine/test_stats*.py' CHILDREN=2
MODULE ?=
TESTS ?=
CHILDREN ?= 1
define MUTATION_NARROW
import glob, json, re, shlex, sys
path, module, tests = sys.argv[1], sys.argv[2].split(), sys.argv[3]
root = path.rsplit("/", 1)[0] + "/"
selection = [name for word in shlex.split(tests) for name in
             (sorted(p[len(root):] for p in glob.glob(root + word)) if "*" in word else [word])]
text = open(path).read()
for key, value in (("only_mutate", module), ("pytest_add_cli_args_test_selection", selection)):
    text, n = re.subn(rf"(?ms)^{key} = \[.*?^\]", f"{key} = {json.dumps(value)}", text, count=1)
    assert n == 1, f"[tool.mutmut] has no {key}"
open(path, "w").write(text)
endef
export MUTATION_NARROW
.PHONY: mutation
mutation: export FITSPORTAL_VAR_DIR ?= $(CURDIR)/var/mutation
mutation: export FITSPORTAL_INSECURE_DEV_KEY := 1
mutation: install
ifeq ($(strip $(MODULE)),)
	$(BIN)/mutmut run --max-children $(CHILDREN) $(MUTANTS)
	$(BIN)/mutmut results
else
	@test -n "$(strip $(TESTS))" || { echo "MODULE needs TESTS: its fast test files" >&2; exit 2; }
	set -e; d="$(CURDIR)/var/mutation/$(subst /,.,$(firstword $(MODULE)))"; \
	rm -rf "$$d"; mkdir -p "$$d"; git archive HEAD | tar -x -C "$$d"; \
	$(BIN)/python -c "$$MUTATION_NARROW" "$$d/pyproject.toml" "$(MODULE)" "$(TESTS)"; \
	grep -A1 -E '^(only_mutate|pytest_add_cli_args_test_selection) =' "$$d/pyproject.toml"; \
	cd "$$d"; export FITSPORTAL_VAR_DIR="$$d/var"; \
	"$(CURDIR)/$(BIN)/mutmut" run --max-children $(CHILDREN) $(MUTANTS); \
	"$(CURDIR)/$(BIN)/mutmut" results
endif
