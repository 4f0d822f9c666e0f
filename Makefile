# Run `make help` for the list of targets.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
TESTED := $(VENV)/.installed-test

# Compiled Python is kept under .venv, not beside the sources. Where the environment sets
# PYTHONDONTWRITEBYTECODE (this machine does) nothing would be kept, and every process, each
# test worker included, would compile every module again: a third of make test-fast's time.
unexport PYTHONDONTWRITEBYTECODE
export PYTHONPYCACHEPREFIX := $(CURDIR)/$(VENV)/pycache

.PHONY: help run serve diagram query-prefixes test test-fast screenshots docs-check test-engines bench bench-serve bench-push bench-validate bench-annotate fuzz lint format clean

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

# Debian packages, installed when their command is missing: Chromium for the browser test,
# Graphviz for the diagrams, Virtuoso for test-engines. The tests start their own servers.
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
APT  := $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get
# $(call provide,TEST,WHAT,PACKAGE): unless the shell TEST holds, install PACKAGE (apt-get update only if needed).
provide = $(1) || { command -v apt-get >/dev/null || \
	{ echo "error: $(2) not found and no apt-get to install it; install $(3)"; exit 2; }; \
	$(APT) install -y --no-install-recommends $(3) || { $(APT) update && $(APT) install -y --no-install-recommends $(3); }; }
# $(call need,COMMAND,PACKAGE): PACKAGE unless COMMAND is on PATH.
need = $(call provide,command -v $(1) >/dev/null,$(1),$(2))
# $(call need-lib,LIBRARY,PACKAGE): PACKAGE unless the linker knows LIBRARY (unixODBC's, for pyodbc).
need-lib = $(call provide,/sbin/ldconfig -p | grep -q '$(1)',$(1),$(2))

$(TESTED): $(STAMP)
	$(BIN)/uv pip install --quiet --python $(BIN)/python -e '.[test]'
	@$(call need,chromium,chromium)
	@$(call need,dot,graphviz)
	touch $(TESTED)

run: $(STAMP) ## set up, build the graph, validate it and export it into dist/
	$(BIN)/omskg build --out dist

serve: $(STAMP) ## serve the built store (make run first) at http://127.0.0.1:8000/
	$(BIN)/omskg serve --store dist/store $(if $(OMSKG_SOURCES),--sources $(OMSKG_SOURCES))

diagram: $(STAMP) ## draw OMS's neighbourhood into docs/images/ (needs Graphviz)
	@$(call need,dot,graphviz)
	$(BIN)/omskg diagram omse:oms --out docs/images/oms

query-prefixes: $(STAMP) ## rewrite the PREFIX lines of every queries/*/*.rq from ontology/prefixes.csv
	$(BIN)/python -c 'from omskg.query import write_standalone; print(*(f"rewrote {p}" for p in write_standalone()), sep="\n")'

test: $(TESTED) ## set up with test extras and run the test suite (on two processes)
	$(BIN)/python -m pytest -n 2 --dist loadgroup

test-fast: $(TESTED) ## the tests that need no HPO data, browser, server, worker process, whole build or reference engine (within a minute)
	$(BIN)/python -m pytest -n 2 -m "not slow and not reference"

screenshots: $(TESTED) ## take the pictures of the OMS, clonazepam and myoclonus pages in docs/images/ (browser test)
	OMSKG_SCREENSHOTS=docs/images $(BIN)/python -m pytest tests/test_browser.py -k readers_order

docs-check: $(TESTED) ## rerun the commands shown in README.md and docs/ and compare their output
	$(BIN)/python -m pytest tests/test_docs.py

test-engines: $(TESTED) ## the endpoint tests on a second store, Virtuoso (installed if missing); the whole HPO graph pushed into both
	@$(call need,virtuoso-t,virtuoso-opensource)
	@$(call need-lib,libodbc.so.2,libodbc2)
	$(BIN)/python -m pytest -m "engine or virtuoso or whole_push" --engine virtuoso --whole-push

BENCHED := $(VENV)/.installed-bench

$(BENCHED): $(TESTED)
	$(BIN)/uv pip install --quiet --python $(BIN)/python -e '.[test,bench]'
	touch $(BENCHED)

bench: $(BENCHED) ## compare the embedded stores on the core graph plus the linked HPO dataset
	$(BIN)/python bench/engines.py

bench-validate: $(BENCHED) ## hold each SHACL engine to pySHACL on every shape example, then time it on the core graph and on slices of the HPO graph (needs Java 17)
	@$(call need,java,openjdk-17-jre-headless)
	$(BIN)/python bench/validate.py

bench-annotate: $(BENCHED) ## recall and precision of omskg annotate against our curation and FastHPOCR (OMSKG_SOURCES=DIR: the documents)
	$(BIN)/python bench/annotate.py $(if $(OMSKG_SOURCES),--sources $(OMSKG_SOURCES))

bench-push: $(TESTED) ## time omskg push of the core and HPO graphs into Oxigraph and Virtuoso, against their own loaders
	@$(call need,virtuoso-t,virtuoso-opensource)
	@$(call need-lib,libodbc.so.2,libodbc2)
	$(BIN)/python bench/push.py

bench-serve: $(TESTED) ## time the web server's routes and the pages' rendering in Chromium
	$(BIN)/python bench/serve.py

FUZZED       := $(VENV)/.installed-fuzz
FUZZ_SECONDS ?= 60
FUZZ_FORMATS ?= turtle nt nquads trig jsonld rdfxml sparql

$(FUZZED): $(TESTED)
	$(BIN)/uv pip install --quiet --python $(BIN)/python -e '.[test,fuzz]'
	touch $(FUZZED)

# Findings land in fuzz/findings/; replay one with: .venv/bin/python fuzz/fuzz_rdf.py FORMAT FILE
fuzz: $(FUZZED) ## fuzz each input format's read, export and re-read for FUZZ_SECONDS apiece
	@found=""; for format in $(FUZZ_FORMATS); do \
		echo "fuzz $$format for $(FUZZ_SECONDS) s"; \
		$(BIN)/python fuzz/fuzz_rdf.py $$format -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
			|| found="$$found $$format"; \
	done; \
	if [ -n "$$found" ]; then echo "findings in:$$found (see fuzz/findings/)"; exit 1; fi

lint: $(TESTED) ## ruff and mypy --strict
	$(BIN)/ruff check src tests bench fuzz
	$(BIN)/ruff format --check src tests bench fuzz
	$(BIN)/mypy

format: $(TESTED) ## rewrite Python sources in canonical style
	$(BIN)/ruff format src tests bench fuzz
	$(BIN)/ruff check --fix src tests bench fuzz

clean: ## remove the virtual environment and built output
	rm -rf $(VENV) dist
