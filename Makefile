# Two commands a newcomer needs: `make run` (the portal with demo data) and `make test`.
# Both install what they need (the Python packages from the lock into .venv, node_modules; for
# the tests also Debian's Chromium, poppler and Pango) and find or start PostgreSQL and Redis
# (see portal/bootstrap.py).

PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
BOOT := $(PY) -m portal.bootstrap

# Debian packages the browser tests and the PDFs need (scripts/system-deps.sh installs them).
# Add one for a try with SYSTEM_PACKAGES_EXTRA=...; SYSTEM_PACKAGES= skips the check.
SYSTEM_PACKAGES ?= chromium poppler-utils fonts-dejavu-core fonts-liberation \
	libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0
SYSTEM_PACKAGES_EXTRA ?=

# The lock: requirements/main.txt is what the production image installs; requirements/dev.txt
# adds the development tools and the embedded servers, at the same versions. Both with hashes.
LOCK := uv pip compile pyproject.toml --universal --python-version 3.11 --generate-hashes --quiet

.PHONY: run test system-deps install assets lint typecheck migrations-check lock \
	check-deploy compose-check clean mutation

# make run PORT=8080 serves on another port.
PORT ?= 8000

run: install assets
	$(BOOT) run --port $(PORT)

# Two pytest processes (pytest-xdist), each with its own test database, Redis database, Celery
# queue and media folder (tests/conftest.py), a test file kept in one process: the suite waits
# on PostgreSQL and Chromium as much as on the CPU. PYTEST_WORKERS=0 runs it in one process.
PYTEST_WORKERS ?= 2

test: system-deps install assets lint typecheck migrations-check
	$(BOOT) exec -- $(PY) -m pytest -n $(PYTEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

system-deps:
	@sh scripts/system-deps.sh $(SYSTEM_PACKAGES) $(SYSTEM_PACKAGES_EXTRA)

install: $(VENV)/.installed node_modules/.installed

$(VENV)/.installed: requirements/dev.txt pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 is needed ($(PYTHON) not found)."; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --require-hashes -r requirements/dev.txt
	$(PY) -m pip install --quiet --no-deps -e .
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# After changing a pin in pyproject.toml: every other package keeps its locked version.
# `make lock LOCK_UPGRADE=--upgrade` moves them all to their newest releases instead.
lock: $(VENV)/.installed
	$(VENV)/bin/$(LOCK) $(LOCK_UPGRADE) -o requirements/main.txt
	$(VENV)/bin/$(LOCK) $(LOCK_UPGRADE) --extra embedded --extra dev \
		-c requirements/main.txt -o requirements/dev.txt

assets: node_modules/.installed
	node frontend/build.mjs

# ruff, then the layers (import-linter, [tool.importlinter] in pyproject.toml): an app that
# imports one above it fails here.
lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache

typecheck: install
	$(VENV)/bin/mypy .

# A model changed without its migration fails here, before the tests run. No database is
# needed for that, so the warning that none answers (yet) is left out.
migrations-check: install
	$(PY) -W "ignore:Got an error checking a consistent migration history:RuntimeWarning" \
		manage.py makemigrations --check --dry-run

# check --deploy, collectstatic and gunicorn under production settings, a page and /healthz.
check-deploy: install assets
	$(BOOT) exec -- $(PY) -m portal.deploy_check

compose-check: install
	$(VENV)/bin/check-jsonschema --builtin-schema vendor.compose-spec docker-compose.yml

# Mutation check of the rule modules and selectors (mutmut; by hand, not in CI): one module at
# a time against its own tests. MODULES="portal/formatting.py" picks some; MUTATION_MINUTES
# caps each module (default 30). See tests/mutation.py.
mutation: install
	$(PY) -m pip install --quiet -e ".[mutation]"
	$(BOOT) exec -- $(PY) tests/mutation.py $(MODULES)

clean:
	rm -rf $(VENV) node_modules static/vendor static/css/portal.css static/js/portal.js staticfiles
