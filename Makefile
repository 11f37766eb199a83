# The README's commands. Needs Python 3.11+, a JDK 17+ and Maven; nothing else.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

CHROMIUM ?= /usr/bin/chromium

.PHONY: demo test bench chaos up lint tools browser clean

demo: $(STAMP) tools
	$(BIN)/aftercart demo

test: $(STAMP) tools browser lint
	CHROMIUM=$(CHROMIUM) $(BIN)/pytest

# make bench BENCH_ARGS="--scale" (or any of `aftercart bench --help`'s options)
BENCH_ARGS ?=

bench: $(STAMP) tools
	$(BIN)/python -m bench $(BENCH_ARGS)

chaos: $(STAMP) tools
	$(BIN)/python -m bench.chaos

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

# The web push sign-up test drives Debian's Chromium (Playwright's own browser download cannot
# be fetched here): installed when missing and running as root, else named as missing.
browser:
	@test -x $(CHROMIUM) || { \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			echo "installing Debian's chromium for the browser test" >&2; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
		else \
			echo "the browser test needs Chromium at $(CHROMIUM): as root, 'apt-get install chromium' (Debian), or run make CHROMIUM=/path/to/chromium" >&2; exit 1; \
		fi; }
	@test -x $(CHROMIUM) || { echo "apt-get installed no Chromium at $(CHROMIUM)" >&2; exit 1; }

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null || \
		{ echo "aftercart needs Python 3.11+ ('$(PYTHON)' is $$($(PYTHON) --version 2>&1)); run: make PYTHON=python3.11 ..." >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

clean:
	rm -rf $(VENV) .aftercart .mypy_cache .ruff_cache .pytest_cache
