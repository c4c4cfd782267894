# Two commands matter: `make demo` and `make test`. Everything else is what they are made of.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
VPY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# Every Python the package claims (its classifiers); each gets a venv in .venvs/ for unit + emulator tests.
PYTHONS := $(shell grep -o 'Python :: 3\.[0-9]*' pyproject.toml | cut -d' ' -f3)

.PHONY: venv engine demo demo-down test unit e2e lint bench clean reliability chaos pythons

# The demo needs only the package (a first `make demo` skips the dev tools); tests need the extras.
BASE_STAMP := $(VENV)/.installed-base
$(BASE_STAMP): pyproject.toml
	test -x $(VPY) || $(PY) -m venv $(VENV)
	$(VPY) -m pip install -q --disable-pip-version-check -U pip
	$(VPY) -m pip install -q --disable-pip-version-check -e .
	touch $(BASE_STAMP)

$(STAMP): $(BASE_STAMP)
	$(VPY) -m pip install -q --disable-pip-version-check -e '.[dev,sdk]'
	touch $(STAMP)

venv: $(STAMP)

# Finds or builds the real pulumi CLI + Python language host; the last line is their directory.
engine:
	@bash scripts/engine/engine.sh

demo: $(BASE_STAMP)
	@bash scripts/demo.sh up

demo-down:
	@bash scripts/demo.sh down

# The other Pythons first (unit + emulator tests), then everything on .venv, so the output ends with
# the full suite's summary; any failure fails the target.
test: venv
	@status=0; $(MAKE) --no-print-directory -k pythons || status=1; \
	ENGINE_DIR=$$(bash scripts/engine/engine.sh | tail -n 1) && \
	EHPC_ENGINE_DIR=$$ENGINE_DIR $(VPY) -m pytest -ra $(PYTEST_ARGS) || status=1; \
	exit $$status

MAIN_PY = $(shell test -x $(VPY) && $(VPY) -c 'import sys; print("%d.%d" % sys.version_info[:2])')
.PRECIOUS: .venvs/%/.installed
pythons: $(foreach v,$(filter-out $(MAIN_PY),$(PYTHONS)),python-$(v))

.venvs/%/.installed: pyproject.toml
	rm -rf .venvs/$*
	$$(bash scripts/python-for.sh $*) -m venv .venvs/$*
	.venvs/$*/bin/python -m pip install -q -U pip
	.venvs/$*/bin/python -m pip install -q -e '.[dev]'
	touch $@

python-%: .venvs/%/.installed
	@echo "== Python $* (unit + emulator tests) =="
	.venvs/$*/bin/python -m pytest -ra -q -p no:cacheprovider tests/unit tests/emulator

unit: venv
	$(VPY) -m pytest -ra tests/unit $(PYTEST_ARGS)

lint: venv
	$(VPY) -m ruff check .
	$(VPY) -m mypy

clean:
	rm -rf .state .venvs build dist *.egg-info

# Faults, crashes, bad input, secrets and load against the emulator through the real engine;
# prints a summary table and rewrites docs/reliability.md. Part of `make test` as well.
reliability: venv
	@ENGINE_DIR=$$(bash scripts/engine/engine.sh | tail -n 1) && \
	EHPC_ENGINE_DIR=$$ENGINE_DIR $(VPY) -m pytest -ra tests/reliability $(PYTEST_ARGS)

# Seeded random runs (stacks, program changes, faults, SIGKILLs, restarts) through the real engine, each
# checked after every step; exits non-zero on any violation. A failing run prints how to replay it
# (`make chaos SEED=<its seed> RUNS=1`). `make chaos RUNS=300 JOBS=2 CHAOS_ARGS=--summary` is the long
# batch (hours, outside CI) whose summary docs/chaos.md is committed; `make test` runs a few seeds.
RUNS ?= 3
SEED ?= 1
JOBS ?= 1
chaos: venv
	@ENGINE_DIR=$$(bash scripts/engine/engine.sh | tail -n 1) && \
	EHPC_ENGINE_DIR=$$ENGINE_DIR $(VPY) -m tests.chaos --runs $(RUNS) --seed $(SEED) --jobs $(JOBS) $(CHAOS_ARGS)
