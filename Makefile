# Two commands matter: `make demo` and `make test`. Everything else is what they are made of.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
VPY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: venv engine demo demo-down test unit e2e lint bench clean reliability

$(STAMP): pyproject.toml
	test -x $(VPY) || $(PY) -m venv $(VENV)
	$(VPY) -m pip install -q --disable-pip-version-check -U pip
	$(VPY) -m pip install -q --disable-pip-version-check -e '.[dev,sdk]'
	touch $(STAMP)

venv: $(STAMP)

# Finds or builds the real pulumi CLI + Python language host; the last line is their directory.
engine:
	@bash scripts/engine/engine.sh

demo: venv
	@bash scripts/demo.sh up

demo-down:
	@bash scripts/demo.sh down

test: venv
	@ENGINE_DIR=$$(bash scripts/engine/engine.sh | tail -n 1) && \
	EHPC_ENGINE_DIR=$$ENGINE_DIR $(VPY) -m pytest -ra $(PYTEST_ARGS)

unit: venv
	$(VPY) -m pytest -ra tests/unit $(PYTEST_ARGS)

lint: venv
	$(VPY) -m ruff check .
	$(VPY) -m mypy

clean:
	rm -rf .state build *.egg-info

# Faults, crashes, bad input, secrets and load against the emulator through the real engine;
# prints a summary table and rewrites docs/reliability.md. Part of `make test` as well.
reliability: venv
	@ENGINE_DIR=$$(bash scripts/engine/engine.sh | tail -n 1) && \
	EHPC_ENGINE_DIR=$$ENGINE_DIR $(VPY) -m pytest -ra tests/reliability $(PYTEST_ARGS)
