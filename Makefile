# The README's commands. Everything runs from a local virtualenv, created on first use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cksum requirements.txt | cut -d' ' -f1)

.PHONY: install run test bench lint i18n clean

$(STAMP): requirements.txt
	@$(PYTHON) -c 'import sys; sys.exit("Python 3.11 or newer is needed (found %s)" % sys.version.split()[0]) if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	@rm -f $(VENV)/.installed-*
	@touch $(STAMP)

install: $(STAMP)

run: install  ## the whole product with the sandbox, on http://127.0.0.1:5000
	$(BIN)/python -m saas.sandbox.run

test: install  ## PostgreSQL when DATABASE_URL is set, SQLite otherwise; the real Redis either way
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: install  ## benchmarks: each prints its figures and the ratio to its baseline
	$(BIN)/python -m bench $(BENCH)

i18n: install  ## the portal's strings: extract them, update the catalogs (then translate the new ones), compile
	$(BIN)/pybabel extract -F babel.cfg -k _l -k msg -k N_ --no-location -w 120 --project saas \
		--ignore-dirs="sandbox tests bench migrations" -o saas/translations/messages.pot .
	$(BIN)/pybabel update -i saas/translations/messages.pot -d saas/translations -w 120 --ignore-obsolete
	$(BIN)/pybabel compile -d saas/translations --statistics

lint: install  ## ruff (pyflakes, pycodestyle, import order, bugbear) and the layers (import-linter, .importlinter)
	$(BIN)/ruff check saas tests bench
	$(BIN)/lint-imports

clean:
	rm -rf $(VENV) instance
