# The two commands a newcomer needs: `make lab` and `make test`. Both set everything up first.
PYTHON   ?= python3
VENV     ?= .venv
BIN      := $(VENV)/bin
LAB_ARGS ?=
# nbval runs every notebook; `--nbval-lax` compares only the cells marked `# NBVAL_CHECK_OUTPUT`.
NBVAL    := --nbval-lax --nbval-current-env --nbval-cell-timeout=900
export PATH := $(abspath $(BIN)):$(PATH)

.DEFAULT_GOAL := help
.PHONY: help install lab test lint format test-unit test-notebooks test-full bench pics clean
.PHONY: slides student grade execute test-browser bwrap

help:
	@echo "make lab        install everything (first time) and start JupyterLab on notebooks/"
	@echo "                  e.g. make lab LAB_ARGS=\"--no-browser --port 8899\""
	@echo "make test       ruff, unit tests + every notebook under nbval in fast mode (SEMINAR_FAST=1)"
	@echo "make format     let ruff fix what it can (imports, style) and format the code and notebooks"
	@echo "make test-full  the notebooks under nbval in full mode (a GPU, or patience)"
	@echo "make bench      run the benchmarks in benchmarks/ and print their figures"
	@echo "make pics       redraw the figures in pics/"
	@echo "make slides     a reveal.js deck per notebook in build/slides/ (from the committed outputs)"
	@echo "make student    the student edition of each notebook in build/student/NAME/ (nbgrader's release)"
	@echo "make grade SUBMISSIONS=DIR  grade DIR/<student>/<notebook>.ipynb, each in a sandbox: build/grades.csv,"
	@echo "                  build/feedback/, build/answers/ (MANUAL=scores.csv adds scores given by hand)"
	@echo "make execute    re-execute every notebook in full mode, in place (refreshes committed outputs)"
	@echo "make site       the course website in build/site/ (Sphinx, from the committed outputs; works offline)"
	@echo "make test-browser  the notebooks in JupyterLab and the website in headless Chromium"

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test,classroom]"
	touch $@

install: $(VENV)/.installed

# The server's root is the repository (so the notebooks' ../pics/ figures load); it opens on notebooks/.
# As root (a container, a CI box) Jupyter refuses to start without --allow-root.
ROOT_ARG := $(if $(filter 0,$(shell id -u 2>/dev/null)),--allow-root)
lab: install
	$(BIN)/jupyter lab --ServerApp.root_dir=. --LabApp.default_url=/lab/tree/notebooks $(ROOT_ARG) $(LAB_ARGS)

# The code ruff checks and formats (settings in pyproject.toml): the package, the tools, the tests,
# the benchmarks, the figure script and the notebooks.
LINTED := seminar_utils tools tests benchmarks pics notebooks

lint: install
	$(BIN)/ruff check $(LINTED)
	$(BIN)/ruff format --check $(LINTED)

format: install
	$(BIN)/ruff check --fix $(LINTED)
	$(BIN)/ruff format $(LINTED)

# pytest exits 5 when it collects no test: make treats that as the failure it is.
# The grading tests need bubblewrap: installed first where we can (they skip, saying why, elsewhere; CI fails).
test: lint
	-@$(MAKE) --no-print-directory bwrap
	SEMINAR_FAST=1 $(BIN)/python -m pytest tests notebooks $(NBVAL)

test-unit: install
	$(BIN)/python -m pytest tests

test-notebooks: install
	SEMINAR_FAST=1 $(BIN)/python -m pytest notebooks $(NBVAL)

test-full: install
	SEMINAR_FAST=0 $(BIN)/python -m pytest notebooks $(NBVAL)

bench: install
	@for b in benchmarks/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

pics: install
	$(BIN)/python pics/make_pics.py

# Front-end assets (MathJax, reveal.js) that the decks and the site bundle, so they work with no network:
# package.json pins them, package-lock.json fixes them; `npm ci` runs once (the registry reachable).
node_modules/.package-lock.json: package.json package-lock.json
	@command -v npm >/dev/null 2>&1 || { echo "npm is missing: the decks and the site bundle MathJax and reveal.js from npm." >&2; \
	  echo "Install Node.js with npm (e.g. apt-get install npm), then run make again." >&2; exit 1; }
	npm ci --no-audit --no-fund
	touch $@

.PHONY: assets site
assets: node_modules/.package-lock.json

# The editions of the notebooks (`python -m tools COMMAND`, tools/commands/): notebooks/ is the instructor edition, the one source.
slides: install assets
	$(BIN)/python -m tools slides

# The classroom (nbgrader, the `classroom` extra, installed with the rest): docs/teaching.md.
student: install
	$(BIN)/python -m tools student

# Grading runs each submission in bubblewrap (Debian's `bubblewrap`): installed here when it is missing
# and we are root with apt-get (a container, CI); otherwise one line says what to install.
bwrap:
	@command -v bwrap >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bubblewrap >/dev/null; }; } || \
	  { echo "bubblewrap is missing: grading runs each submission in it (sudo apt-get install bubblewrap)" >&2; exit 1; }

SUBMISSIONS ?=
MANUAL      ?=
GRADE_ARGS  ?=
grade: install bwrap
	@test -n "$(SUBMISSIONS)" || { echo "usage: make grade SUBMISSIONS=DIR [MANUAL=scores.csv] [GRADE_ARGS=\"--timeout 60 --jobs 4\"]  (DIR/<student>/<notebook>.ipynb)"; exit 2; }
	$(BIN)/python -m tools grade "$(SUBMISSIONS)" $(if $(MANUAL),--manual "$(MANUAL)") $(GRADE_ARGS)

execute: install
	$(BIN)/python -m tools execute

$(VENV)/.site-installed: pyproject.toml $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e ".[test,site]"
	touch $@

# The course website (`python -m tools site`, tools/website.py): Sphinx + myst-nb from the committed, executed notebooks —
# nothing re-executed, nothing fetched (MathJax and reveal.js from node_modules/); build/site/.
site: $(VENV)/.site-installed assets
	$(BIN)/python -m tools site

$(VENV)/.browser-installed: pyproject.toml $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e ".[test,browser]"
	touch $@

# The notebooks as students meet them: JupyterLab in headless Chromium (Debian's, never Playwright's
# download); every cell runs without error in fast mode, the sliders redraw; the website (built by
# `make site`) and a deck, opened with no network; build/screenshots/.
test-browser: $(VENV)/.browser-installed site
	sh tests/browser/install_chromium.sh
	$(BIN)/python -m pytest tests/browser -m browser

clean:
	rm -rf build .pytest_cache
