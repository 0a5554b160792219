# Two commands do all the set-up: `make run` and `make test` (see README.md).
# Every target installs, provisions, trains and indexes only what is missing or stale.
SHELL := /bin/bash
.DEFAULT_GOAL := help

APP_PY  := .venv/app/bin/python
RASA_PY := .venv/rasa/bin/python
RASA    := .venv/rasa/bin/rasa
# Rasa 3.6 runs only on Python 3.10; the pyenv shim does not work, so take the interpreter itself.
PY310   := $(firstword $(wildcard $(HOME)/.pyenv/versions/3.10*/bin/python3.10) $(shell command -v python3.10))
PY311   := $(firstword $(wildcard $(HOME)/.pyenv/versions/3.11*/bin/python3.11) $(shell command -v python3.11))
MODEL_DIR := .cache/models/multilingual-e5-small
export RASA_TELEMETRY_ENABLED := false
export TF_CPP_MIN_LOG_LEVEL := 2
export PYTHONDONTWRITEBYTECODE := 1

# Rasa's training and the FAQ index build each leave a core mostly idle, so what is missing is
# built two at a time (apt waits for the other's lock instead of failing).
PREPARE := $(MAKE) --no-print-directory -j2 --output-sync=line
APT_GET := apt-get -o DPkg::Lock::Timeout=300

NLU_INPUTS := config.yml domain.yml $(wildcard data/*.yml data/*/*.yml) $(wildcard bot/*.py)

.PHONY: help install run run-cluster test unit-tests fuzz loadtest chaos chat eval bench validate lint index train clean

help:
	@echo "make run       install what is missing, train/index what is stale, start everything"
	@echo "make test      install what is missing and run the whole test suite"
	@echo "make chat      chat in the terminal with the running assistant"
	@echo "make run-cluster  2 app + 2 Rasa processes behind nginx on PostgreSQL and Redis"
	@echo "make loadtest  virtual newcomers on every channel: single process vs cluster"
	@echo "make chaos     the four faults under load (5,000 messages)"
	@echo "make fuzz      the property-based attack tests with a long budget"
	@echo "make eval      evaluate intents, FAQ answers, reply language and whole conversations per language"
	@echo "make bench     SweFAQ retrieval, REST latency and memory figures"
	@echo "make validate  check FAQ content and municipality files"

.venv/app/.installed: requirements/app.txt requirements/dev.txt
	$(PY311) -m venv .venv/app
	$(APP_PY) -m pip install --quiet --disable-pip-version-check -r requirements/app.txt -r requirements/dev.txt
	touch $@

.venv/rasa/.installed: requirements/rasa.txt | .venv/app/.installed
	.venv/app/bin/uv venv --quiet --allow-existing --python $(PY310) .venv/rasa
	.venv/app/bin/uv pip install --quiet --python $(RASA_PY) -r requirements/rasa.txt
	touch $@

# The socket.io client the web widget loads, and rasa-webchat for its compatibility test.
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Debian's Chromium for the browser tests (Playwright drives it; it never downloads a browser).
/usr/bin/chromium:
	$(APT_GET) install -y -q --no-install-recommends chromium || ($(APT_GET) update -q && $(APT_GET) install -y -q --no-install-recommends chromium)

# Debian's nginx in front of several processes (make run-cluster, loadtest, chaos and the cluster tests).
/usr/sbin/nginx:
	$(APT_GET) install -y -q --no-install-recommends nginx-light || ($(APT_GET) update -q && $(APT_GET) install -y -q --no-install-recommends nginx-light)

install: .venv/app/.installed .venv/rasa/.installed node_modules/.installed

# What decides the written model folder; a change re-provisions.
PROVISION_INPUTS := knowledge/model/e5file.py knowledge/model/tokenizer.py knowledge/model/bert.py knowledge/model/provision.py knowledge/model/quantize.py

$(MODEL_DIR)/.provisioned: $(PROVISION_INPUTS) | .venv/app/.installed
	$(APP_PY) -m app provision --out $(MODEL_DIR)
	touch $@

models/.trained: $(NLU_INPUTS) | .venv/rasa/.installed
	$(RASA) train --quiet --fixed-model-name assistant --out models
	touch $@

train: models/.trained

index: $(MODEL_DIR)/.provisioned
	$(APP_PY) -m app index build

validate: .venv/app/.installed
	$(APP_PY) -m app validate

run:
	@$(PREPARE) install $(MODEL_DIR)/.provisioned models/.trained index
	$(APP_PY) -m app run

chat: .venv/app/.installed
	$(APP_PY) -m app chat

lint: .venv/app/.installed
	.venv/app/bin/ruff check .
	.venv/app/bin/lint-imports --no-cache

# The unit tests need the app's side only (the model folder, the FAQ index, nginx for its config
# check), so they run while Rasa trains; the integration tests need the trained model.
test:
	@$(PREPARE) unit-tests models/.trained /usr/bin/chromium
	.venv/app/bin/ruff check .
	.venv/app/bin/lint-imports --no-cache
	$(APP_PY) -m pytest tests/integration

unit-tests: install /usr/sbin/nginx index
	$(APP_PY) -m pytest tests/unit

# The regional service on this machine: 2 app and 2 Rasa processes, nginx, PostgreSQL and Redis.
run-cluster: install /usr/sbin/nginx $(MODEL_DIR)/.provisioned models/.trained index
	$(APP_PY) -m app cluster

# Virtual newcomers on every channel against the single process and the cluster.
loadtest: install /usr/sbin/nginx $(MODEL_DIR)/.provisioned models/.trained index
	$(APP_PY) -m app loadtest

# The four faults under load (5,000 messages); make test runs a short version.
chaos: install /usr/sbin/nginx $(MODEL_DIR)/.provisioned models/.trained index
	$(APP_PY) -m app chaos

# The property-based attack tests with a long budget (make test runs them with a small one).
fuzz: install /usr/bin/chromium $(MODEL_DIR)/.provisioned models/.trained index
	HYPOTHESIS_PROFILE=fuzz $(APP_PY) -m pytest tests -m fuzz

eval: install $(MODEL_DIR)/.provisioned models/.trained index
	$(APP_PY) -m app eval

bench: install $(MODEL_DIR)/.provisioned models/.trained index
	$(APP_PY) -m app bench

clean:
	rm -rf models var .cache/index
