# Two commands a newcomer needs: `make run` (the portal with demo data) and `make test`.
# Both install what they need into .venv and node_modules, and find or start PostgreSQL
# and Redis (see portal/bootstrap.py).

PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
BOOT := $(PY) -m portal.bootstrap

.PHONY: run test install assets lint typecheck pytest check-deploy compose-check clean mutation

run: install assets
	$(BOOT) run

test: install assets lint typecheck
	$(BOOT) exec -- $(PY) -m pytest $(PYTEST_ARGS)

install: $(VENV)/.installed node_modules/.installed

$(VENV)/.installed: pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 is needed ($(PYTHON) not found)."; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

assets: node_modules/.installed
	node frontend/build.mjs

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: install
	$(VENV)/bin/mypy .

check-deploy: install
	DJANGO_SETTINGS_MODULE=portal.settings.production SECRET_KEY=$$(head -c 48 /dev/urandom | base64) \
	ALLOWED_HOSTS=portal.example.gov.uk $(PY) manage.py check --deploy --fail-level WARNING

compose-check: install
	$(VENV)/bin/check-jsonschema --builtin-schema vendor.compose-spec docker-compose.yml

# Mutation check of the rule modules and selectors (mutmut; by hand, not in CI): one module at
# a time against its own tests. MODULES="portal/formatting.py" picks some; MUTATION_MINUTES
# caps each module (default 30). See tests/mutation.py.
mutation: install
	$(PY) -m pip install --quiet -e ".[mutation]"
	$(BOOT) exec -- $(PY) tests/mutation.py $(MODULES)

clean:
	rm -rf $(VENV) node_modules static/vendor static/css/portal.css staticfiles
