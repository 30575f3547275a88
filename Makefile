# The two commands README promises: `make chat` and `make test`. Each does all set-up first.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV      := .venv
VENV_RASA := .venv-rasa
APP       := $(VENV)/bin/kratom-assistant
PY        := $(VENV)/bin/python
RASA      := $(VENV_RASA)/bin/rasa
PROJECT   := bot/rasa_project
MODEL     := build/models/kratom.tar.gz
INDEX     := build/kb/meta.json
ONNX      := build/onnx/meta.json
PORT      ?= 5005
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

MODEL_INPUTS := $(PROJECT)/config.yml $(PROJECT)/domain.yml $(wildcard $(PROJECT)/data/*.yml bot/rasa_nlu/*.py)
KB_INPUTS    := $(wildcard knowledge/entries/*.md knowledge/entries/es/*.md knowledge/*.yml knowledge/*.py embedding/*.py)

.PHONY: help setup sysdeps envs chat serve web slack test test-fast bench kb-validate audit clean

help:
	@echo "make chat   - set everything up, start the assistant and chat with it in the terminal"
	@echo "make test   - set everything up and run the whole test suite"
	@echo "make setup  - create both Python environments, build the index, train the Rasa model"
	@echo "make serve  - action server + Rasa REST channel on localhost:$(PORT) until Ctrl-C"
	@echo "make web    - the stack plus a demo page with the chat widget"
	@echo "make slack  - the Slack app in Socket Mode (SLACK_BOT_TOKEN, SLACK_APP_TOKEN; docs/slack/SLACK.md)"

envs: $(VENV)/.lock-hash $(VENV_RASA)/.lock-hash

$(VENV)/.lock-hash $(VENV_RASA)/.lock-hash: requirements/app.lock requirements/rasa.lock pyproject.toml scripts/setup_envs.sh
	@scripts/setup_envs.sh

# all-MiniLM-L6-v2 exported to ONNX once (the only step that needs torch); re-exported only when
# the exporter changes (it also compares the weights' hash).
$(ONNX): embedding/export.py embedding/onnx.py | envs
	@$(PY) -m embedding.export

# The index is rebuilt only when entries change (kb build also compares a content hash and
# validates every entry first).
$(INDEX): $(KB_INPUTS) $(ONNX) | envs
	@$(APP) kb build

# The Rasa model is retrained only when its configuration, training data or NLU component change.
$(MODEL): $(MODEL_INPUTS) | envs
	@mkdir -p build; echo "training the Rasa model..."
	@$(RASA) train --config $(PROJECT)/config.yml --domain $(PROJECT)/domain.yml \
	    --data $(PROJECT)/data --out build/models --fixed-model-name kratom --quiet > build/train.log 2>&1 \
	    || { tail -30 build/train.log; exit 1; }

setup: envs $(ONNX) $(INDEX) $(MODEL)

# Redis, PostgreSQL, Chromium: the real services the tests and benchmarks start on loopback.
sysdeps:
	@scripts/system_packages.sh

chat: setup
	@$(PY) -m bot.devstack chat $(if $(REGION),--region $(REGION))

serve: setup
	@PORT=$(PORT) $(PY) -m bot.devstack serve --port $(PORT)

web: setup
	@$(PY) -m bot.web.devweb

# The Slack app. Socket Mode: it connects out to Slack, so Rasa listens on 127.0.0.1 only and no
# public address is needed. Tokens from the environment or .env.slack (never committed).
slack: setup
	@PORT=$(PORT) $(PY) -m bot.devstack slack --port $(PORT)

test: setup sysdeps
	@$(PY) -m pytest $(PYTEST_ARGS)

test-fast: envs
	@$(PY) -m pytest -m "not e2e and not browser and not model" $(PYTEST_ARGS)

audit: envs
	@scripts/audit.sh

kb-validate: envs
	@$(APP) kb validate

bench: setup sysdeps
	@$(PY) -m bench.run $(BENCH_ARGS)

clean:
	rm -rf build .pytest_cache

# ---- Container images with podman (no Docker engine needed; root, podman, runc, debootstrap).
# `make images` builds both images of docker/compose.yml. Where no registry of images is
# reachable (the build machines reach only PyPI and Debian), BASE is a base bootstrapped from
# Debian's packages (scripts/base_image.sh); elsewhere the Dockerfiles' python:3.x-slim.
# `make test-images` (opt-in, not part of `make test`) runs the stack from them and checks it
# through nginx (tests/images/). The build host's CA bundle is lent to pip during the build
# only (a TLS-inspecting proxy), never stored in an image.
PODMAN_CONF := $(CURDIR)/docker/podman-containers.conf
PODMAN      ?= podman --storage-driver=vfs
IMAGE_TAG   ?= latest
BUILD_CA    ?= /etc/ssl/certs/ca-certificates.crt
# vfs (the only storage driver here) stores every layer as a full copy of the tree: with
# per-step layers the Rasa image (3.2 GB) filled 40 GB. One commit per image instead.
PODMAN_BUILD_FLAGS ?= --layers=false

.PHONY: images base-images test-images

base-images:
	@CONTAINERS_CONF=$(PODMAN_CONF) PODMAN="$(PODMAN)" scripts/base_image.sh all

images:
	@test -f $(MODEL) -a -f $(INDEX) -a -f $(ONNX) || { echo "build/ is incomplete: run make setup first"; exit 1; }
	@set -e; export CONTAINERS_CONF=$(PODMAN_CONF); \
	if [ "$$(curl -s -o /dev/null -m 5 -w '%{http_code}' https://registry-1.docker.io/v2/)" = 401 ]; then \
	    rasa_base=python:3.10-slim; actions_base=python:3.11-slim; \
	else \
	    echo "no registry of images reachable: bootstrapping the bases from Debian"; \
	    PODMAN="$(PODMAN)" scripts/base_image.sh all; \
	    rasa_base=localhost/kratom-base/rasa:bookworm; actions_base=localhost/kratom-base/actions:bookworm; \
	fi; \
	mounts=(); if [ -r "$(BUILD_CA)" ]; then \
	    mkdir -p build/podman; printf '[global]\ncert = /etc/ssl/certs/ca-certificates.crt\n' > build/podman/pip.conf; \
	    mounts=(-v "$(BUILD_CA):/etc/ssl/certs/ca-certificates.crt:ro" -v "$(CURDIR)/build/podman/pip.conf:/etc/pip.conf:ro"); \
	fi; \
	for image in rasa actions; do \
	    base=$$rasa_base; [ $$image = actions ] && base=$$actions_base; \
	    echo "building kratom-assistant/$$image:$(IMAGE_TAG) on $$base"; \
	    $(PODMAN) build $(PODMAN_BUILD_FLAGS) --format docker --network host "$${mounts[@]}" --build-arg BASE=$$base \
	        -f docker/Dockerfile.$$image -t kratom-assistant/$$image:$(IMAGE_TAG) . ; \
	done; \
	$(PODMAN) images --filter reference='kratom-*' --format '{{.Repository}}:{{.Tag}} {{.Size}}'

test-images: images
	@CONTAINERS_CONF=$(PODMAN_CONF) PODMAN="$(PODMAN)" IMAGE_TAG=$(IMAGE_TAG) \
	    $(PY) -m pytest tests/images -p no:cacheprovider $(PYTEST_ARGS)
