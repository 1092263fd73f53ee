# Two commands do all set-up: `make demo` and `make test`. Both create .venv on first use and
# reinstall only when pyproject.toml changes; `make test` also installs the MCP Inspector once
# (when Node.js is there), so nothing is downloaded in the middle of the suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# 0.15.0 is the last release of the MCP Inspector that runs on Node 20.
INSPECTOR := @modelcontextprotocol/inspector@0.15.0
INSPECTOR_DIR := $(VENV)/inspector
INSPECTOR_STAMP := $(INSPECTOR_DIR)/.installed-0.15.0

.PHONY: demo example test lint types unit bench inspect clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

# The local-file example's data, written relative to today (same day, same files).
example:
	@$(PYTHON) examples/local/make_data.py

$(INSPECTOR_STAMP): | $(STAMP)
	@if command -v npm >/dev/null; then \
		npm install --silent --no-audit --no-fund --prefix $(INSPECTOR_DIR) $(INSPECTOR) && \
		touch $@; \
	else echo >&2 "npm not found: the MCP Inspector test will be skipped"; fi

demo: $(STAMP) example
	@mkdir -p demo-output
	@$(BIN)/spend-monitor digest --demo --format markdown --output demo-output/digest.md
	@$(BIN)/spend-monitor digest --demo --format json --output demo-output/digest.json
	@$(BIN)/spend-monitor digest --demo --output demo-output/digest.txt --charts demo-output
	@cat demo-output/digest.txt
	@echo >&2 "(copies in demo-output/: digest.txt, digest.md, digest.json)"

lint: $(STAMP)
	$(BIN)/ruff check server tests bench examples
	$(BIN)/ruff format --check server tests bench examples

types: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP) $(INSPECTOR_STAMP) example
	@bash .ci/ensure-postgres
	$(BIN)/python -m pytest

test: lint types unit

# `make bench` runs every section; `make bench BENCH=scale` (or local, tableau, sql, mcp) reruns
# those alone and keeps the other sections' last numbers in docs/performance.md.
bench: $(STAMP)
	$(BIN)/python bench/run.py $(BENCH)

# The MCP Inspector's web UI on the demo server.
inspect: $(STAMP) $(INSPECTOR_STAMP)
	$(INSPECTOR_DIR)/node_modules/.bin/mcp-inspector $(BIN)/spend-monitor-mcp --demo

clean:
	rm -rf $(VENV) demo-output .pytest_cache .mypy_cache .ruff_cache
