# unclench: `make run` starts the app on a fresh machine, `make test` sets up and runs every check.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Installs come from the hash-locked files, so a fresh machine gets exactly the versions that were tested:
# requirements.txt for `make run`, requirements-dev.txt (a superset at the same versions) for `make test`.
LOCK := requirements.txt
DEV_LOCK := requirements-dev.txt
RUN_STAMP := $(VENV)/.installed-run
STAMP := $(VENV)/.installed
PIP_VERSION := 26.3
LINT_PATHS := src tests $(wildcard bench) tools
# `make lock` runs uv from its own small venv: it must work even when .venv can no longer install from a stale lock.
UV_VERSION := 0.13.8
UV := .venv-lock/bin/uv
UV_STAMP := .venv-lock/.uv-$(UV_VERSION)
LOCK_FLAGS := --generate-hashes --python-version 3.11 --python-platform x86_64-manylinux_2_28 --quiet \
	--custom-compile-command "make lock"

.PHONY: run test lint pytest system-deps bench demo clean lock

# $(call install_locked,LOCKFILE,EXTRAS): a venv with exactly the locked packages, then unclench itself without
# dependencies; the last step fails, naming the package, when pyproject.toml asks for something the lock lacks.
define install_locked
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q pip==$(PIP_VERSION)
	$(BIN)/python -m pip install -q --require-hashes -r $(1)
	$(BIN)/python -m pip install -q --no-deps -e .
	@$(BIN)/python -c 'import sys, tomllib; p = tomllib.load(open("pyproject.toml", "rb"))["project"]; \
	  print("\n".join(p["dependencies"] + [r for e in sys.argv[1:] for r in p["optional-dependencies"][e]]))' $(2) \
	  | PIP_CONFIG_FILE=/dev/null PIP_FIND_LINKS= $(BIN)/python -m pip install -q --dry-run --no-index -r /dev/stdin \
	  || { echo "$(1) lacks a package that pyproject.toml asks for: run 'make lock' and commit the requirements files."; exit 1; }
endef

$(RUN_STAMP): $(LOCK) pyproject.toml
	$(call install_locked,$(LOCK),)
	touch $(RUN_STAMP)

$(STAMP): $(DEV_LOCK) pyproject.toml
	$(call install_locked,$(DEV_LOCK),dev)
	touch $(STAMP) $(RUN_STAMP)

# Refresh the lock files after editing dependencies in pyproject.toml: `make lock` keeps every pinned version and adds
# what is new; `make lock UPGRADE=1` moves everything to the newest releases (then run `make test`). Commit both files.
lock: $(UV_STAMP)
	$(UV) pip compile pyproject.toml --extra dev $(LOCK_FLAGS) $(if $(UPGRADE),--upgrade) -o $(DEV_LOCK)
	$(UV) pip compile pyproject.toml $(LOCK_FLAGS) --constraint $(DEV_LOCK) -o $(LOCK)

$(UV_STAMP):
	$(PYTHON) -m venv .venv-lock
	.venv-lock/bin/python -m pip install -q uv==$(UV_VERSION)
	touch $@

# Debian packages the tests need: Chromium for the browser tests, poppler for PDF pages, fonts.
system-deps:
	@missing=""; \
	for pkg in chromium poppler-utils fonts-dejavu-core libsndfile1; do \
	  dpkg -s $$pkg >/dev/null 2>&1 || missing="$$missing $$pkg"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages:$$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

run: $(RUN_STAMP)
	$(BIN)/unclench serve

lint: $(STAMP)
	$(BIN)/ruff check $(LINT_PATHS)
	$(BIN)/ruff format --check $(LINT_PATHS)
	$(BIN)/mypy
	$(BIN)/lint-imports

pytest: $(STAMP) system-deps
	$(BIN)/pytest

test: lint pytest

bench: $(STAMP)
	@for script in bench/bench_*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

demo: $(RUN_STAMP)
	$(BIN)/unclench demo

clean:
	rm -rf $(VENV) .venv-lock build .pytest_cache .mypy_cache .ruff_cache
