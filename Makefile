# make run   : set up everything from a fresh clone and serve on http://127.0.0.1:5000 (worker beside it)
# make test  : install what the tests need and run the whole suite
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app portal
# Two test processes (pytest-xdist); the browser tests and the crowd test keep to one of them, one after the other.
PYTEST_ARGS ?= -n 2 --dist loadgroup

.PHONY: run install install-test assets translations messages migrate seed test test-browser clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed pyproject.toml
	$(PY) -m pip install -q -e '.[test]'
	touch $@

install: $(VENV)/.installed assets translations

install-test: $(VENV)/.installed-test assets translations

assets: $(VENV)/.installed
	$(PY) scripts/fetch_assets.py

translations: $(VENV)/.installed
	$(VENV)/bin/pybabel compile -d translations

# After changing user-facing strings: extract them and update the catalogues (then translate fil and id).
messages: $(VENV)/.installed
	$(VENV)/bin/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k _p:1c,2 -k lazy_pgettext:1c,2 -o translations/messages.pot \
	  --no-location --sort-output --omit-header --add-comments=TRANSLATORS: .
	$(VENV)/bin/pybabel update -i translations/messages.pot -d translations --no-fuzzy-matching --ignore-obsolete

migrate: install
	$(FLASK) db upgrade

seed: migrate
	$(FLASK) seed-demo --if-empty

run: seed
	@echo "Serving on http://127.0.0.1:5000 (Ctrl-C stops the server and the worker)"
	@$(FLASK) worker & worker=$$!; trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	  PORTAL_ENV=$${PORTAL_ENV:-development} $(VENV)/bin/gunicorn --bind 127.0.0.1:5000 --workers 2 wsgi:app

test: install-test
	$(PY) -m pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) static/vendor translations/*/LC_MESSAGES/*.mo .pytest_cache
