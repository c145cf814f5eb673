# Two entry points for a fresh machine (see README): `make quickstart` and `make test`.
# Each creates .venv, installs gainrl with constraints.txt (keeps torch on the CPU build), then runs.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
PIP_INSTALL := PIP_CONSTRAINT=$(CURDIR)/constraints.txt $(BIN)/python -m pip install --disable-pip-version-check
PYTEST_ARGS ?=

VERL_VENV ?= .venv-verl
VERL_LEGACY_VENV ?= .venv-verl-legacy

.PHONY: quickstart test test-slow test-verl test-verl-legacy install install-all bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed-core: $(BIN)/python setup.cfg pyproject.toml constraints.txt
	$(PIP_INSTALL) -e .
	touch $@

$(VENV)/.installed-quickstart: $(BIN)/python setup.cfg pyproject.toml constraints.txt
	$(PIP_INSTALL) -e ".[train,eval]"
	touch $@ $(VENV)/.installed-core

$(VENV)/.installed-all: $(BIN)/python setup.cfg pyproject.toml constraints.txt
	$(PIP_INSTALL) -e ".[all]"
	touch $@ $(VENV)/.installed-core $(VENV)/.installed-quickstart

install: $(VENV)/.installed-core

install-all: $(VENV)/.installed-all

quickstart: $(VENV)/.installed-quickstart
	$(BIN)/gainrl quickstart

test: $(VENV)/.installed-all
	$(BIN)/python -m pytest -m "not slow" $(PYTEST_ARGS)

test-slow: $(VENV)/.installed-all
	$(BIN)/python -m pytest -m slow $(PYTEST_ARGS)

# The verl plug-ins' tests need verl, which pins transformers (and, before 0.9, numpy) below what the main
# environment uses: their own venvs, each built from scratch from its constraints file. test-verl: verl 0.9.x
# (the registered v1 trainer); test-verl-legacy: verl 0.7.1 (the 0.5-0.7 sampler interface).
VERL_PIP := -m pip install --disable-pip-version-check

$(VERL_VENV)/.installed: setup.cfg pyproject.toml constraints-verl.txt
	rm -rf $(VERL_VENV) && $(PYTHON) -m venv $(VERL_VENV)
	PIP_CONSTRAINT=$(CURDIR)/constraints-verl.txt $(VERL_VENV)/bin/python $(VERL_PIP) \
		-e . verl transferqueue cachetools fastapi "pytest>=8.0" "pytest-timeout>=2.3"
	touch $@

$(VERL_LEGACY_VENV)/.installed: setup.cfg pyproject.toml constraints-verl-legacy.txt
	rm -rf $(VERL_LEGACY_VENV) && $(PYTHON) -m venv $(VERL_LEGACY_VENV)
	PIP_CONSTRAINT=$(CURDIR)/constraints-verl-legacy.txt $(VERL_LEGACY_VENV)/bin/python $(VERL_PIP) \
		-e . verl "pytest>=8.0" "pytest-timeout>=2.3"
	touch $@

test-verl: $(VERL_VENV)/.installed
	$(VERL_VENV)/bin/python -m pytest tests/integrations/test_integrations_verl_v1.py \
		tests/integrations/test_integrations_verl_data.py $(PYTEST_ARGS)

test-verl-legacy: $(VERL_LEGACY_VENV)/.installed
	$(VERL_LEGACY_VENV)/bin/python -m pytest tests/integrations/test_integrations_verl_legacy.py \
		tests/integrations/test_integrations_verl_data.py $(PYTEST_ARGS)

bench: $(VENV)/.installed-all
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) $(VERL_VENV) $(VERL_LEGACY_VENV) .gainrl-hub runs build *.egg-info .pytest_cache
