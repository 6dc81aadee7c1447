# EventStream. `make run` starts everything on the embedded default; `make test` runs the checks.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test lint format bench staff services install clean

$(STAMP): requirements.txt requirements-dev.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	@touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(PY) scripts/run.py

staff: $(STAMP)
	$(PY) scripts/run.py manage create_staff_user --username "$(USERNAME)" --password "$(PASSWORD)"

services:
	@bash scripts/ensure-services.sh

test: $(STAMP) services
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	APP_ENV=test $(VENV)/bin/pytest

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: $(STAMP) services
	$(PY) bench/run.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .coverage htmlcov
