# The README's commands. Needs Python 3.11+, a JDK 17+ and Maven; nothing else.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: demo test bench up lint tools clean

demo: $(STAMP) tools
	$(BIN)/aftercart demo

test: $(STAMP) tools lint
	$(BIN)/pytest

bench: $(STAMP) tools
	$(BIN)/python -m bench

up: $(STAMP) tools
	$(BIN)/aftercart up

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

tools:
	@command -v java >/dev/null 2>&1 || { echo "aftercart needs a JDK 17+ for its local Kafka broker: 'java' is not on PATH" >&2; exit 1; }
	@command -v mvn >/dev/null 2>&1 || { echo "aftercart needs Maven to fetch Kafka: 'mvn' is not on PATH" >&2; exit 1; }

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null || \
		{ echo "aftercart needs Python 3.11+ ('$(PYTHON)' is $$($(PYTHON) --version 2>&1)); run: make PYTHON=python3.11 ..." >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

clean:
	rm -rf $(VENV) .aftercart .mypy_cache .ruff_cache .pytest_cache
