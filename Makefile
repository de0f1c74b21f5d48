# The two commands of the README: `make pdf` sets everything up and builds
# all sheets; `make test` runs the tests. Both create the virtualenv first.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
OUT    ?= build

.PHONY: pdf test setup clean

pdf: setup
	$(BIN)/onepagers build --all --out $(OUT)

test: setup
	$(BIN)/python -m pytest

setup: $(VENV)/.installed

# Re-install when the package's dependencies change.
$(VENV)/.installed: pyproject.toml
	./scripts/system-deps
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

clean:
	rm -rf $(OUT) $(VENV)
