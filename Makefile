# Run `make help` for the list of targets.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
TESTED := $(VENV)/.installed-test

.PHONY: help run test test-engines bench lint format clean

help: ## list the targets
	@awk -F':.*## ' '/^[a-z-]+:.*## / {printf "  %-12s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null || \
		{ echo "error: Python 3.11 or newer is needed (tried '$(PYTHON)'); run make PYTHON=/path/to/python3.11"; exit 2; }
	$(PYTHON) -m venv $(VENV)
	# uv, not pip, resolves: pip backtracked for over 12 minutes over the linkml pins of kgx and sssom.
	$(BIN)/pip install --quiet --upgrade pip uv
	$(BIN)/uv pip install --quiet --python $(BIN)/python -e .
	touch $(STAMP)

$(TESTED): $(STAMP)
	$(BIN)/uv pip install --quiet --python $(BIN)/python -e '.[test]'
	touch $(TESTED)

run: $(STAMP) ## set up, build the graph, validate it and export it into dist/
	$(BIN)/omskg build --out dist

test: $(TESTED) ## set up with test extras and run the test suite
	$(BIN)/python -m pytest

# Debian's Virtuoso, installed when virtuoso-t is missing; the tests start their own server on 127.0.0.1.
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
APT  := $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get
test-engines: $(TESTED) ## run the endpoint tests against a second store, Virtuoso (installed if missing)
	@command -v virtuoso-t >/dev/null || command -v apt-get >/dev/null || \
		{ echo "error: virtuoso-t not found and no apt-get to install it; install Virtuoso 7 (virtuoso-t, isql-vt)"; exit 2; }
	command -v virtuoso-t >/dev/null || $(APT) install -y --no-install-recommends virtuoso-opensource || \
		{ $(APT) update && $(APT) install -y --no-install-recommends virtuoso-opensource; }
	$(BIN)/python -m pytest -m engine --engine virtuoso

BENCHED := $(VENV)/.installed-bench

$(BENCHED): $(TESTED)
	$(BIN)/uv pip install --quiet --python $(BIN)/python -e '.[test,bench]'
	touch $(BENCHED)

bench: $(BENCHED) ## compare the embedded stores on the core graph plus the linked HPO dataset
	$(BIN)/python bench/engines.py

lint: $(TESTED) ## ruff and mypy --strict
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

format: $(TESTED) ## rewrite Python sources in canonical style
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

clean: ## remove the virtual environment and built output
	rm -rf $(VENV) dist
