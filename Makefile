# Two commands do all the set-up on a fresh machine: `make demo` and `make test`.
# Another interpreter gets its own virtualenv: `make test PYTHON=python3.13 VENV=.venv313`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
DEMO := build/demo

.PHONY: install demo test lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

# The demo runs on a copy of the publication, so it can be repeated and leaves the repository untouched.
demo: install
	rm -rf $(DEMO) && mkdir -p $(DEMO)
	cp -r newsletter.toml subscribers.csv issues templates $(DEMO)/
	cd $(DEMO) && ../../$(BIN)/newsletter check issues/2015-03-16.yaml
	cd $(DEMO) && ../../$(BIN)/newsletter render issues/2015-03-16.yaml
	cd $(DEMO) && env -u SENDGRID_API_KEY ../../$(BIN)/newsletter send issues/2015-03-16.yaml --provider outbox --yes
	cd $(DEMO) && ../../$(BIN)/newsletter report issues/2015-03-16.yaml
	cd $(DEMO) && ../../$(BIN)/newsletter archive
	@echo
	@echo "Rendered issue:   $(DEMO)/build/2015-03-16.html (open it in a browser), .txt, .eml"
	@echo "Messages 'sent':  $(DEMO)/outbox/2015-03-16/ (one .eml per subscriber)"
	@echo "Send ledger:      $(DEMO)/sends/2015-03-16.jsonl (newsletter report reads it)"
	@echo "Web archive:      $(DEMO)/build/archive/index.html and feed.xml"
	@echo "Readers' web app: cd $(DEMO) && ../../$(BIN)/newsletter serve --dev (sign-up, one-click unsubscribe, archive)"

test: install
	$(BIN)/python -m pytest -q

lint: install
	$(BIN)/ruff check newsletter tests benchmarks
	$(BIN)/ruff format --check newsletter tests benchmarks
	$(BIN)/mypy

bench: install
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) build
