# The two commands of the README: `make pdf` sets everything up and builds
# all sheets; `make test` runs the tests. Both create the virtualenv first.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
OUT    ?= build

.PHONY: pdf test test-slow test-deps setup clean references layouts bench

# Python keeps its compiled modules (and pytest its rewritten test modules) in
# __pycache__/ even where the environment asks it not to
# (PYTHONDONTWRITEBYTECODE, set on some CI images): otherwise every test run
# compiles 150 test modules again in each worker, and every process onepagers.
export PYTHONDONTWRITEBYTECODE :=

pdf: setup
	$(BIN)/onepagers build --all --out $(OUT)

# The tests on two processes (pytest-xdist; each builds the shared sets of
# sheets once), less those marked slow: separate processes stopped by signals,
# real Chromium. `make test-slow` runs those; CI runs both.
# --dist loadfile keeps a file's tests in one worker, so that its module
# fixtures (sheets built or laid out once) are made once. Not loadgroup:
# pytest-xdist 3.8 marks a group in Item._nodeid, which pytest 9.2 no longer
# reads, so the groups were dropped and every test went where it fell.
# bench/run.py times this same command.
PYTEST_FAST := $(BIN)/python -m pytest -n 2 --dist loadfile -m "not slow"
PYTEST_SLOW := $(BIN)/python -m pytest -n 2 --dist loadfile -m slow

test: test-deps
	$(PYTEST_FAST)

test-slow: test-deps
	$(PYTEST_SLOW)

test-deps: setup
	./scripts/system-deps --browser
	@$(MAKE) --no-print-directory node_modules/.installed

# Test-only tools from npm (package.json): axe-core for the gallery and the web pages.
node_modules/.installed: package.json package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		echo "Installing axe-core from npm into node_modules/ (package.json): the gallery's accessibility check"; \
		npm ci --no-audit --no-fund --silent && touch $@; \
	else \
		echo "No npm: the axe-core test will be skipped (scripts/system-deps --browser installs npm)"; \
	fi

setup: $(VENV)/.installed

# Re-install when the package's dependencies change.
$(VENV)/.installed: pyproject.toml
	./scripts/system-deps
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

# After a deliberate change of look or text: render every sheet anew as the
# reference the tests compare with (tests/test_reference_renders.py).
references: setup
	rm -rf $(OUT)/references tests/reference
	$(BIN)/onepagers build --all --every-variant --out $(OUT)/references >/dev/null
	$(BIN)/onepagers preview --out $(OUT)/references --to tests/reference --dpi 36 >/dev/null
	@echo "tests/reference/ refreshed: review the pictures in git diff before committing"

# After a change of text or look: the layout chosen for every sheet, written
# to layouts.lock and committed with the change, so that a fresh machine (CI,
# a new clone, each test run) lays each sheet out once instead of searching.
# A stale lock costs only time: a record the sheet no longer matches is not read.
layouts: setup
	$(BIN)/onepagers layouts

# Speed against a naive baseline, in one run; writes bench/results.md,
# with the wall time of `make test`'s command (BENCH_TEST_COMMAND).
# Then serve's save-to-updated-page in Chromium (its own section of it).
bench: test-deps
	BENCH_TEST_COMMAND='$(PYTEST_FAST)' $(BIN)/python bench/run.py
	./scripts/system-deps --browser
	$(BIN)/python bench/serve.py

clean:
	rm -rf $(OUT) $(VENV) node_modules
