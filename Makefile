# Two entry points for a fresh machine (see README): `make quickstart` and `make test`.
# Each creates .venv, installs gainrl with constraints.txt (keeps torch on the CPU build), then runs.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
PIP_INSTALL := PIP_CONSTRAINT=$(CURDIR)/constraints.txt $(BIN)/python -m pip install --disable-pip-version-check
PYTEST_ARGS ?=

VERL_VENV ?= .venv-verl

.PHONY: quickstart test test-slow test-verl install install-all bench clean

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

# The verl plug-in's tests need verl, which pins numpy and transformers below what the main environment uses: their
# own venv, built from constraints-verl.txt.
$(VERL_VENV)/.installed: setup.cfg pyproject.toml constraints-verl.txt
	$(PYTHON) -m venv $(VERL_VENV)
	PIP_CONSTRAINT=$(CURDIR)/constraints-verl.txt $(VERL_VENV)/bin/python -m pip install --disable-pip-version-check \
		-e . verl "pytest>=8.0" "pytest-timeout>=2.3"
	touch $@

test-verl: $(VERL_VENV)/.installed
	$(VERL_VENV)/bin/python -m pytest tests/test_integrations_verl.py tests/test_integrations_verl_data.py $(PYTEST_ARGS)

bench: $(VENV)/.installed-all
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) $(VERL_VENV) .gainrl-hub runs build *.egg-info .pytest_cache
