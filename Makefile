# The commands people run. Everything installs into .venv from the lock files.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip --disable-pip-version-check -q

# `make handouts LANG=zh`: a LANG given on the make command line picks the handout language.
# LANG from the environment is the locale (en_US.UTF-8...) and is ignored here; the handout
# run then gets LANG=C.UTF-8 as its locale. HANDOUT_LANG=zh|en|all works too.
ifeq ($(origin LANG),command line)
HANDOUT_LANG ?= $(LANG)
HANDOUT_ENV  := LANG=C.UTF-8
endif
HANDOUT_LANG ?=
# Extra pytest arguments, e.g. PYTEST_ARGS="-p no:randomly" for the default order.
PYTEST_ARGS  ?=
# Test worker processes (pytest-xdist): one per core; PYTEST_JOBS=0 runs in this process.
# --dist loadfile keeps each test file on one worker, so its module fixtures (a built report,
# executed chapters, a Spark session) are made once.
PYTEST_JOBS  ?= auto
# JupyterLab refuses to run as root without --allow-root (containers, teaching VMs).
LAB_ARGS     := $(if $(filter 0,$(shell id -u)),--allow-root)

.PHONY: help setup setup-dev dev-setup report test lab handouts clean-reports lock clean

help:
	@echo "make report     set up .venv and build the default report (CDNOW, real data)"
	@echo "make test       install the test tools (pytest & co, dev + spark extras) into .venv and"
	@echo "                run the whole test suite in random order (the seed is printed);"
	@echo "                PYTEST_ARGS=\"-p no:randomly\" for the default order; one worker per"
	@echo "                core (PYTEST_JOBS=0 for a single process). After only"
	@echo "                'make report', .venv has no pytest: run 'make test' (or make setup-dev)"
	@echo "make lab        open JupyterLab on notebooks/ (adds --allow-root when run as root)"
	@echo "make handouts   student handouts and answer keys; LANG=zh or LANG=en for one language"
	@echo "make dev-setup  for contributors: test tools + the nbstripout git filter (edits .git/config)"
	@echo "make lock       re-resolve and rewrite requirements*.lock (maintainers)"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.core: $(BIN)/python requirements.lock pyproject.toml
	$(PIP) install -r requirements.lock
	$(PIP) install --no-deps -e .
	touch $@

$(VENV)/.dev: $(VENV)/.core requirements-dev.lock
	$(PIP) install -r requirements.lock -r requirements-dev.lock
	touch $@

setup: $(VENV)/.core
setup-dev: $(VENV)/.dev

# Contributors only: strip notebook outputs on commit (writes a filter into .git/config).
dev-setup: setup-dev
	$(BIN)/nbstripout --install --attributes .gitattributes

report: setup
	$(BIN)/crmlab build

handouts: setup
ifneq ($(filter-out zh en all,$(HANDOUT_LANG)),)
	$(error make handouts: LANG (or HANDOUT_LANG) must be zh, en or all, not '$(HANDOUT_LANG)'; e.g. make handouts LANG=zh)
endif
	$(HANDOUT_ENV) $(BIN)/crmlab handouts $(if $(HANDOUT_LANG),--lang $(HANDOUT_LANG))

test: setup-dev
	$(BIN)/python -m pytest -n $(PYTEST_JOBS) --dist loadfile $(PYTEST_ARGS)

lab: setup
	$(BIN)/jupyter lab notebooks/ $(LAB_ARGS)

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
