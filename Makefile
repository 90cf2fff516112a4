# The commands people run. Everything installs into .venv from the lock files.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip --disable-pip-version-check -q

.PHONY: help setup setup-dev report test lab handouts clean-reports lock clean

help:
	@echo "make report   set up .venv and build the default report (CDNOW, real data)"
	@echo "make test     set up .venv with the dev + spark extras and run the whole test suite"
	@echo "make lab      open JupyterLab on notebooks/"
	@echo "make lock     re-resolve and rewrite requirements*.lock (maintainers)"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.core: $(BIN)/python requirements.lock pyproject.toml
	$(PIP) install -r requirements.lock
	$(PIP) install --no-deps -e .
	touch $@

$(VENV)/.dev: $(VENV)/.core requirements-dev.lock
	$(PIP) install -r requirements.lock -r requirements-dev.lock
	-$(BIN)/nbstripout --install --attributes .gitattributes  # strip notebook outputs on commit
	touch $@

setup: $(VENV)/.core
setup-dev: $(VENV)/.dev

report: setup
	$(BIN)/crmlab build

handouts: setup
	$(BIN)/crmlab handouts

test: setup-dev
	$(BIN)/python -m pytest

lab: setup
	$(BIN)/jupyter lab notebooks/

clean-reports:
	rm -rf reports/cdnow reports/bank-case reports/distributor-case reports/my-data reports/runs reports/handouts

# Maintainers: resolve the newest versions allowed by pyproject.toml and freeze them.
lock:
	rm -rf /tmp/crmlab-lock && $(PYTHON) -m venv /tmp/crmlab-lock
	/tmp/crmlab-lock/bin/pip install -q -e .
	/tmp/crmlab-lock/bin/pip freeze --exclude-editable | grep -vi '^crmlab' > requirements.lock
	/tmp/crmlab-lock/bin/pip install -q -e '.[spark,dev]'
	/tmp/crmlab-lock/bin/pip freeze --exclude-editable | grep -vi '^crmlab' | grep -vxFf requirements.lock > requirements-dev.lock

clean:
	rm -rf $(VENV)
