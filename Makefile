# Run `make help` for the list of targets.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
TESTED := $(VENV)/.installed-test

.PHONY: help run test lint format clean

help: ## list the targets
	@awk -F':.*## ' '/^[a-z-]+:.*## / {printf "  %-10s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

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

lint: $(TESTED) ## ruff and mypy --strict
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests
	$(BIN)/mypy

format: $(TESTED) ## rewrite Python sources in canonical style
	$(BIN)/ruff format src tests
	$(BIN)/ruff check --fix src tests

clean: ## remove the virtual environment and built output
	rm -rf $(VENV) dist
