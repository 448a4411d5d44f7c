# Newsroom: the two commands are `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# The site alone (make demo), and the site with the dev extra: pytest, Playwright, moto...
SITE_STAMP := $(VENV)/.installed-site
STAMP := $(VENV)/.installed
PORT ?= 8000
DEMO_ENV := DEBUG=1 NEWSROOM_SITE_URL=http://127.0.0.1:$(PORT)

.PHONY: demo test install install-site lint format screenshots bench clean

$(SITE_STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $(SITE_STAMP)

$(STAMP): $(SITE_STAMP)
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

# axe-core for the accessibility checks of the browser tests (package-lock.json).
NODE_STAMP := node_modules/.installed
$(NODE_STAMP): package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $(NODE_STAMP)

## Everything, with the dev extra (tests, lint); install-site: what the site needs.
install: $(STAMP)

install-site: $(SITE_STAMP)

## Run the site with demo content on SQLite at http://127.0.0.1:$(PORT) (admin at /admin/),
## with a background worker beside it (stopped with it).
demo: install-site
	$(DEMO_ENV) $(BIN)/python manage.py migrate --noinput
	$(DEMO_ENV) $(BIN)/python manage.py seed_demo
	$(DEMO_ENV) $(BIN)/python manage.py db_worker --no-reload --worker-id demo & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	$(DEMO_ENV) $(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

## Run the whole test suite (SQLite, or PostgreSQL when DATABASE_URL is set).
test: install $(NODE_STAMP)
	$(BIN)/pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## Regenerate the README pictures in docs/screenshots/ (a throw-away demo site in Chromium).
screenshots: install
	$(BIN)/python docs/screenshots/capture.py

clean:
	rm -rf $(VENV) db.sqlite3 db.sqlite3-* media staticfiles .pytest_cache
