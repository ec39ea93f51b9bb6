# threatmon: `make run` and `make test` set everything up themselves.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip
DB     ?= sqlite:///var/threatmon.db
export THREATMON_DB ?= $(DB)

.PHONY: run demo test test-fast lint format eval bench system-deps clean help

help:
	@echo "make run    - install, initialize the database, start scheduler + dashboard on http://127.0.0.1:8050"
	@echo "make demo   - offline demo: bundled sample feeds + generated 180-day history"
	@echo "make test   - install dev dependencies (and chromium, postgresql if missing), lint, run the whole suite"
	@echo "make lint   - ruff + mypy"
	@echo "make eval   - precision/recall/F1 of the tagger on the labelled dev set"
	@echo "make bench  - tagging speed and dashboard latency/memory benchmarks"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip

# Runtime install; re-runs when pyproject.toml changes.
$(VENV)/.runtime: pyproject.toml | $(BIN)/python
	$(PIP) install -q -e .
	@touch $@

# Development install (tests, linters, browser driver).
$(VENV)/.dev: pyproject.toml | $(BIN)/python
	$(PIP) install -q -e '.[dev]'
	@touch $(VENV)/.runtime $@

run: $(VENV)/.runtime
	$(BIN)/threatmon init
	$(BIN)/threatmon run

demo: $(VENV)/.runtime
	$(BIN)/threatmon demo

# Debian packages the tests need, installed only when missing: chromium (browser
# tests) and postgresql (the store's tests run on PostgreSQL as well as SQLite).
system-deps:
	@missing=""; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages:$$missing"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

test: $(VENV)/.dev system-deps
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/pytest

test-fast: $(VENV)/.dev
	$(BIN)/pytest -m "not browser and not slow"

lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(VENV)/.dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

eval: $(VENV)/.runtime
	$(BIN)/python bench/eval.py

bench: $(VENV)/.dev
	$(BIN)/python bench/bench_tagger.py
	$(BIN)/python bench/bench_dashboard.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache
