# `make run` and `make test` set up everything they need on a machine with python3, pip and make.
SHELL := /bin/bash
PYTHON ?= python3
# uv from PATH when present, else the one pip installs into this Python.
UV := $(shell command -v uv 2>/dev/null || echo "$(PYTHON) -m uv")
RUN := $(UV) run --frozen
DEMO_DIR ?= var/demo
DEMO_METERS ?= 300
DEMO_DAYS ?= 14
export UV_PYTHON_DOWNLOADS := never

.PHONY: setup run test lint typecheck layers pytest benchmark-import benchmark-bulk clean

.venv/.synced: pyproject.toml uv.lock
	@command -v uv >/dev/null 2>&1 || $(PYTHON) -m uv --version >/dev/null 2>&1 \
		|| $(PYTHON) -m pip install --quiet uv
	$(UV) sync --frozen --extra spark
	@touch $@

setup: .venv/.synced

HOST ?= 127.0.0.1
PORT ?= 8000
WORKERS ?= 2

# Generate the demo (once), import it, issue demo API keys (printed, with a curl each) and a
# consumer sign-in code for the portal, and serve
# the API with $(WORKERS) processes on http://$(HOST):$(PORT)/ until Ctrl+C.
run: setup
	@test -f $(DEMO_DIR)/parties.csv || $(RUN) meterguard demo-data $(DEMO_DIR) --meters $(DEMO_METERS) --days $(DEMO_DAYS) --seed 1
	$(RUN) meterguard import $(DEMO_DIR)
	@test -f $(DEMO_DIR)/messages.csv || $(RUN) meterguard demo-messages $(DEMO_DIR) --days $(DEMO_DAYS)
	$(RUN) meterguard ingest $(DEMO_DIR)/messages.csv
	$(RUN) meterguard status
	@echo
	@$(RUN) meterguard keys demo --url http://$(HOST):$(PORT)
	@$(RUN) meterguard portal demo --url http://$(HOST):$(PORT)
	@echo
	@echo "MeterGuard's registry is loaded from $(DEMO_DIR) into ./meterguard.db. In another terminal, try:"
	@echo '  uv run meterguard explain "$$(sed -n 1p $(DEMO_DIR)/requests.jsonl)"'
	@echo "  uv run meterguard consent list"
	@echo "  uv run meterguard status"
	@echo "  uv run meterguard report cos                # meters still holding a former supplier's credentials"
	@echo "  uv run meterguard deliveries --party LUMEN_ENERGY"
	@echo "  uv run meterguard import $(DEMO_DIR)        # again: changes nothing"
	@echo "  uv run meterguard demo-data /tmp/mg --meters 1000 --seed 7"
	@echo "  uv run meterguard --help"
	@echo
	@echo "MeterGuard serves the demo at http://$(HOST):$(PORT)/  (OpenAPI: /openapi.json, docs: /docs)"
	@echo "Call it with a key above, e.g. the curl lines; Ctrl+C stops the server."
	$(RUN) meterguard serve --host $(HOST) --port $(PORT) --workers $(WORKERS)

lint: setup
	$(RUN) ruff check src tests benchmarks
	$(RUN) ruff format --check src tests benchmarks

typecheck: setup
	$(RUN) mypy

layers: setup
	$(RUN) lint-imports

pytest: setup
	@bash scripts/ensure-postgres
	@bash scripts/ensure-chromium
	$(RUN) pytest

test: lint typecheck layers pytest

benchmark-import: setup
	$(RUN) python benchmarks/import_readings.py

benchmark-bulk: setup
	$(RUN) --group bench python benchmarks/bulk.py

clean:
	rm -rf .venv var .pytest_cache .mypy_cache .ruff_cache
