# Two commands do all set-up: `make demo` and `make test`. Both create .venv on first use and
# reinstall only when pyproject.toml changes.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint types unit bench inspect clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

demo: $(STAMP)
	@mkdir -p demo-output
	@$(BIN)/spend-monitor digest --demo --format markdown --output demo-output/digest.md
	@$(BIN)/spend-monitor digest --demo --format json --output demo-output/digest.json
	@$(BIN)/spend-monitor digest --demo --output demo-output/digest.txt --charts demo-output
	@cat demo-output/digest.txt
	@echo >&2 "(copies in demo-output/: digest.txt, digest.md, digest.json)"

lint: $(STAMP)
	$(BIN)/ruff check server tests bench
	$(BIN)/ruff format --check server tests bench

types: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	@bash .ci/ensure-postgres
	$(BIN)/python -m pytest

test: lint types unit

bench: $(STAMP)
	$(BIN)/python bench/run.py

# The MCP Inspector's web UI on the demo server (0.15.0 is the last release for Node 20).
inspect: $(STAMP)
	npx -y @modelcontextprotocol/inspector@0.15.0 $(BIN)/spend-monitor-mcp --demo

clean:
	rm -rf $(VENV) demo-output .pytest_cache .mypy_cache .ruff_cache
