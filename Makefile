# The two commands of the README: `make pdf` sets everything up and builds
# all sheets; `make test` runs the tests. Both create the virtualenv first.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
OUT    ?= build

.PHONY: pdf test setup clean references bench

pdf: setup
	$(BIN)/onepagers build --all --out $(OUT)

test: setup
	./scripts/system-deps --browser
	$(MAKE) --no-print-directory node_modules/.package-lock.json
	$(BIN)/python -m pytest

# axe-core, the accessibility checker the tests run in Chromium, pinned by
# package-lock.json (npm ci installs exactly that and nothing else).
node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

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

# Speed against a naive baseline, in one run; writes bench/results.md.
bench: setup
	$(BIN)/python bench/run.py

clean:
	rm -rf $(OUT) $(VENV)
