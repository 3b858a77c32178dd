# KL Notes: the two commands are `make book` and `make test` (see README.md).
SHELL  := /bin/bash
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.klnotes-installed
LINTED := klnotes tests tools benchmarks

# JAX keeps what XLA compiled in $(VENV)/jax-cache, next to the packages it
# was compiled for, so a chapter, a test or a mutant that runs the same jitted
# code again skips the compile (most of a cold JAX cell's time, and of the unit
# tests'). Every program is kept, however quick to compile: about 22 MB.
# Entries are keyed by the program, the flags and the JAX version, and give the
# same numbers as a fresh compile; recreating the environment empties it. Set
# JAX_COMPILATION_CACHE_DIR yourself to put it elsewhere.
export JAX_COMPILATION_CACHE_DIR ?= $(CURDIR)/$(VENV)/jax-cache
export JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS ?= 0

.PHONY: help venv book test mutants manifest lint format chapter lab lock clean

help:
	@echo "make book     build the HTML book into _build/html (creates .venv on first use)"
	@echo "make test     unit tests, every chapter executed as a test, strict build, site checks"
	@echo "              (the site checks use a headless Chromium; see README.md)"
	@echo "make chapter CH=book/NAME.md   execute one chapter and build it alone"
	@echo "make mutants  apply each listed realistic error and require its chapter to fail"
	@echo "make manifest rewrite tests/chapter_checks/ after adding, removing or re-roling checks"
	@echo "make lab      open the chapters as notebooks in JupyterLab"
	@echo "make lint | format | lock | clean"

# The environment: created if missing, reinstalled when the pins change.
$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
		|| { echo "KL Notes needs Python >= 3.11 (found $$($(PYTHON) --version))"; exit 1; }
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -c constraints.txt -e ".[book,dev]"
	@touch $(STAMP)

venv: $(STAMP)

book: $(STAMP)
	@$(PY) tools/book.py execute --stale-only
	@$(PY) tools/book.py build

# The site tests drive a headless Chromium: tools/site_browser.py finds one
# (or installs one, or stops here saying how to get one) before anything runs.
test: $(STAMP)
	$(PY) -m ruff check $(LINTED)
	$(PY) -m ruff format --check $(LINTED)
	@$(PY) tools/site_browser.py ensure
	$(PY) -m pytest -n 2 --dist load --maxschedchunk 1 --durations=12 tests --ignore=tests/site
	$(PY) tools/book.py build --fresh
	$(PY) -m pytest tests/site

# Mutation testing: every error listed in tests/mutants/*.toml must fail its chapter.
mutants: $(STAMP)
	$(PY) tools/mutants.py

manifest: $(STAMP)
	$(PY) tools/book.py manifest

chapter: $(STAMP)
	@test -n "$(CH)" || { echo "usage: make chapter CH=book/NAME.md"; exit 2; }
	$(PY) tools/book.py check $(CH)

lint: $(STAMP)
	$(PY) -m ruff check $(LINTED)
	$(PY) -m ruff format --check $(LINTED)

format: $(STAMP)
	$(PY) -m ruff check --fix $(LINTED)
	$(PY) -m ruff format $(LINTED)
	@# chapters: format the code cells in place, leaving the Markdown untouched
	for f in book/*.md; do head -n 2 "$$f" | grep -q '^jupytext:' || continue; \
		$(VENV)/bin/jupytext --quiet --pipe "$(VENV)/bin/ruff format {}" "$$f"; \
		sed -i '/^    jupytext_version: /d' "$$f"; done

lab: $(STAMP)
	$(PY) -m pip install --quiet --disable-pip-version-check -c constraints.txt -e ".[lab]"
	@mkdir -p $(VENV)/share/jupyter/lab/settings
	@cp tools/jupyterlab-overrides.json $(VENV)/share/jupyter/lab/settings/overrides.json
	$(VENV)/bin/jupyter lab book/

# Re-pin every package after changing pyproject.toml, then commit constraints.txt.
lock:
	rm -rf _build/lock-venv && $(PYTHON) -m venv _build/lock-venv
	_build/lock-venv/bin/pip install --quiet -e ".[book,dev,lab]"
	{ head -n 2 constraints.txt; _build/lock-venv/bin/pip freeze --exclude-editable | grep -v '^klnotes'; } > constraints.new
	mv constraints.new constraints.txt && rm -rf _build/lock-venv

clean:
	rm -rf _build
