# The front door. `make demo` and `make test` each do all their own set-up on a fresh machine.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# npm ci's own marker: node_modules matches package-lock.json (the CDK CLI and the IAM evaluator).
NODE_STAMP := node_modules/.package-lock.json
export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION := 1
export PYSPARK_PYTHON := $(abspath $(PY))
# Hadoop's S3A client for the S3 protocol tests, matching PySpark 3.5.4's Hadoop (3.3.4); fetched with Maven
# into a cache outside the repository, and handed to the tests' SparkSession (curation.session.EXTRA_JARS_ENV).
JARS_DIR ?= $(HOME)/.cache/spotify-lake/jars
ARTIFACT_hadoop-aws-3.3.4.jar := org.apache.hadoop:hadoop-aws:3.3.4
ARTIFACT_aws-java-sdk-bundle-1.12.262.jar := com.amazonaws:aws-java-sdk-bundle:1.12.262
S3A_JARS := $(JARS_DIR)/hadoop-aws-3.3.4.jar $(JARS_DIR)/aws-java-sdk-bundle-1.12.262.jar
# Only the tests load them: `make demo` must not need them.
test: export CURATION_EXTRA_JARS := $(subst $(eval) ,:,$(S3A_JARS))

.PHONY: help venv jars demo test test-fast lint typecheck imports check format synth deploy bench reliability clean trino athena-check

help:  ## list the targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/'

$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	$(PY) -m pip install --quiet --no-deps -e .
	touch $(STAMP)

venv: $(STAMP)  ## create .venv and install the pinned dependencies

$(JARS_DIR)/%.jar:
	@command -v mvn >/dev/null || { echo "Maven (mvn) is needed to fetch $*.jar: apt-get install maven" >&2; exit 1; }
	mvn -q -B dependency:copy -Dartifact=$(ARTIFACT_$*.jar) -DoutputDirectory=$(JARS_DIR)
	test -s $@

jars: $(S3A_JARS)  ## fetch the S3A jars the S3 protocol tests load into local Spark

demo: $(STAMP)  ## run the whole pipeline locally on the offline emulator; writes out/
	$(PY) -m spotify_lake demo

# The report's browser test drives Debian's Chromium (playwright's own browser download is not used).
CHROMIUM := /usr/bin/chromium
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
$(CHROMIUM):
	$(SUDO) apt-get update
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium chromium-driver

test: $(STAMP) $(NODE_STAMP) $(S3A_JARS) trino $(CHROMIUM)  ## run the whole test suite (set-up: node_modules for the IAM evaluator, S3A jars, Trino, Chromium for the report's browser test)
	$(PY) -m pytest

# The edit-test loop: everything but Spark, other JVMs (Trino, S3A), CDK synthesis, the browser and the slow
# tests; markers are set by tests/conftest.py from the fixtures a test uses. Two xdist workers (this project's
# machines have two cores; `-n auto` picks the same).
FAST_MARKERS := not (spark or jvm or synth or browser or slow)
FAST_WORKERS ?= 2
test-fast: $(STAMP) $(NODE_STAMP)  ## the fast tier: no Spark, no JVM, no synth, no browser (well under two minutes)
	$(PY) -m pytest -m "$(FAST_MARKERS)" -n $(FAST_WORKERS)

trino: $(STAMP)  ## fetch Trino and its Hive plugin once with Maven into ~/.cache/spotify-lake (about 450 MB)
	$(PY) -m spotify_lake athena-check --fetch-only

LAKE ?= out/lake
athena-check: $(STAMP) trino  ## every view and named query on Trino vs DuckDB over LAKE (default out/lake); writes out/athena-check/
	$(PY) -m spotify_lake athena-check --lake $(LAKE)

lint: $(STAMP)  ## ruff: lint rules (complexity included) and formatting
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# The runtime packages, the contract they share, the stacks and the CDK app (config: [tool.mypy] in pyproject.toml).
TYPED := contract/lake_contract lambdas/extractor/extraction lambdas/quality_gate/quality_gate glue/curation glue/jobs \
	stacks app.py
typecheck: $(STAMP)  ## mypy over the runtime packages, the contract and the stacks
	$(VENV)/bin/mypy --cache-dir .mypy_cache $(TYPED)

imports: $(STAMP)  ## import-linter: layers point one way, no cycles ([tool.importlinter] in pyproject.toml)
	$(VENV)/bin/lint-imports

check: lint typecheck imports  ## every static gate CI runs before the tests

format: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

SCALE ?= medium
bench: $(STAMP)  ## benchmarks against DuckDB, pandas and Spark (declared and inferred schema) (SCALE=tiny|small|medium|large); writes out/bench/
	$(PY) -m spotify_lake bench --scale $(SCALE)

reliability: $(STAMP)  ## faults, crashes, fuzzed input, re-runs, concurrency, auth, secrets; writes out/reliability/
	$(PY) -m spotify_lake reliability

clean:  ## remove generated output (not the venv)
	rm -rf out cdk.out .pytest_cache

# --- AWS deployment (CDK). The CLI version is pinned in package.json / package-lock.json. ---
ENV ?= dev
CDK := CDK_DISABLE_CLI_TELEMETRY=true npx --no-install cdk
$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund

synth: $(STAMP) $(NODE_STAMP)  ## synthesize every environment into cdk.out (no AWS credentials or Docker needed)
	$(CDK) synth --quiet --no-notices

deploy: $(STAMP) $(NODE_STAMP)  ## deploy one environment: make deploy ENV=dev (needs AWS credentials; see docs/DEPLOY.md)
	$(CDK) deploy -c env=$(ENV) --require-approval broadening --no-notices SpotifyLake-$(ENV)
