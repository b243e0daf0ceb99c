# The front door. `make demo` and `make test` each do all their own set-up on a fresh machine.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION := 1
export PYSPARK_PYTHON := $(abspath $(PY))

.PHONY: help venv demo test lint format synth deploy bench reliability clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/'

$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	$(PY) -m pip install --quiet --no-deps -e .
	touch $(STAMP)

venv: $(STAMP)  ## create .venv and install the pinned dependencies

demo: $(STAMP)  ## run the whole pipeline locally on the offline emulator; writes out/
	$(PY) -m spotify_lake demo

# The report's browser test drives Debian's Chromium (playwright's own browser download is not used).
CHROMIUM := /usr/bin/chromium
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
$(CHROMIUM):
	$(SUDO) apt-get update
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium chromium-driver

test: $(STAMP) $(CHROMIUM)  ## run the whole test suite (installs Chromium for the report's browser test if missing)
	$(PY) -m pytest

lint: $(STAMP)  ## ruff
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

SCALE ?= medium
bench: $(STAMP)  ## benchmarks against DuckDB, pandas and inferred-schema Spark (SCALE=tiny|small|medium|large); writes out/bench/
	$(PY) -m spotify_lake bench --scale $(SCALE)

reliability: $(STAMP)  ## faults, crashes, fuzzed input, re-runs, concurrency, auth, secrets; writes out/reliability/
	$(PY) -m spotify_lake reliability

clean:  ## remove generated output (not the venv)
	rm -rf out cdk.out .pytest_cache

# --- AWS deployment (CDK). The CLI version is pinned in package.json / package-lock.json. ---
ENV ?= dev
CDK := CDK_DISABLE_CLI_TELEMETRY=true npx --no-install cdk
NODE_STAMP := node_modules/.package-lock.json

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund

synth: $(STAMP) $(NODE_STAMP)  ## synthesize every environment into cdk.out (no AWS credentials or Docker needed)
	$(CDK) synth --quiet --no-notices

deploy: $(STAMP) $(NODE_STAMP)  ## deploy one environment: make deploy ENV=dev (needs AWS credentials; see docs/DEPLOY.md)
	$(CDK) deploy -c env=$(ENV) --require-approval broadening --no-notices SpotifyLake-$(ENV)
