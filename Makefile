# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
FLASK  := $(BIN)/flask --app app
HOST   ?= 127.0.0.1
PORT   ?= 8050

.PHONY: run test lint format bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

run: $(VENV)/.installed
	$(FLASK) init-db
	$(FLASK) seed-demo --if-empty
	@echo
	@echo "助管通 is running at http://$(HOST):$(PORT)/  (Ctrl+C to stop)"
	@$(FLASK) demo-logins
	@echo
	$(BIN)/gunicorn -c deploy/gunicorn.conf.py --workers 2 --bind $(HOST):$(PORT) --access-logfile - 'app:create_app()'

test: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.installed
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: $(VENV)/.installed
	$(BIN)/python -m bench.attendance

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache test-artifacts
