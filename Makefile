# Every target does its own setup from a fresh clone: virtualenv, requirements,
# collection build + install into a local collections path.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(abspath $(VENV))/bin
TMP := $(abspath .tmp)
COLLECTIONS := $(TMP)/collections
INSTALLED := $(COLLECTIONS)/ansible_collections/intune/autopilot/MANIFEST.json
# Everything that goes into the collection tarball (galaxy.yml build_ignore leaves the rest out).
SOURCES := galaxy.yml README.md LICENSE CHANGELOG.md requirements.txt \
	$(shell find meta plugins playbooks docs changelogs tests -type f -not -name '*.pyc' -not -path '*/__pycache__/*' 2>/dev/null)

export ANSIBLE_COLLECTIONS_PATH := $(COLLECTIONS)
export ANSIBLE_COLLECTIONS_SCAN_SYS_PATH := false
export PATH := $(BIN):$(PATH)

GATES := changelog lint docs galaxy sanity

.PHONY: demo test test-oldest-deps oldest-pins-changed test-load bench unit integration venv collection clean gates $(addprefix gate-,$(GATES))

## demo: sync, then report the settings (simulator, or a real tenant when AZURE_* is set)
demo: collection
	@$(BIN)/python tools/demo.py

## test: the whole test suite: unit and integration tests, the 200-tenant load test, the quality gates
test: collection
	$(BIN)/python -m pytest
	$(MAKE) --no-print-directory test-oldest-deps
	$(MAKE) --no-print-directory test-load
	tools/gates/all.sh

## test-oldest-deps: the authentication tests (certificate, client secret and every other auth_method) and the
## settings tests again, in .tmp/oldest-deps with exactly the oldest msal and requests requirements.txt admits
## (OLDEST_PINS overrides them)
OLDEST := $(TMP)/oldest-deps
OLDEST_PINS ?= $(shell sed -n 's/^\(msal\|requests\)>=\([0-9.]*\).*/\1==\2/p' requirements.txt)
OLDEST_TESTS := tests/integration/test_authentication.py tests/integration/test_windows_autopilot_settings.py
test-oldest-deps: collection $(OLDEST)/.installed
	$(OLDEST)/bin/python -c 'import msal, requests; print("oldest deps: msal", msal.__version__, "requests", requests.__version__)'
	$(OLDEST)/bin/python -m pytest $(OLDEST_TESTS) -n 2 -q

# Rebuilt only when the requirements or the pins change, so repeated runs stay quick.
OLDEST_STALE := $(shell test "$$(cat $(OLDEST)/.installed 2>/dev/null)" = "$(OLDEST_PINS)" || echo stale)
$(OLDEST)/.installed: requirements.txt requirements-test.txt $(if $(OLDEST_STALE),oldest-pins-changed)
	rm -rf $(OLDEST) && $(PYTHON) -m venv $(OLDEST)
	$(OLDEST)/bin/pip install --quiet -r requirements-test.txt $(OLDEST_PINS)
	echo "$(OLDEST_PINS)" > $@

oldest-pins-changed:

## test-load: 200 simulated tenants, forks 50, two runs (figures in tests/load/last_run.json)
test-load: collection
	INTUNE_LOAD_TEST=1 $(BIN)/python -m pytest tests/load -n 0 -q -s

## gates: ansible-test sanity, ansible-lint, galaxy-importer, docs build, changelog lint
gates:
	tools/gates/all.sh

$(addprefix gate-,$(GATES)): gate-%:
	tools/gates/$*.sh

unit: venv
	$(BIN)/python -m pytest tests/unit

integration: collection
	$(BIN)/python -m pytest tests/integration

## bench: performance benchmark (bench/results/, docs/docsite/rst/performance.rst); BENCH_ARGS=--quick for ~7 min
bench: collection $(VENV)/.bench-installed
	$(BIN)/python bench/run.py $(BENCH_ARGS)

$(VENV)/.bench-installed: $(VENV)/.installed requirements-bench.txt
	$(BIN)/pip install --quiet -r requirements-bench.txt
	touch $@

venv: $(VENV)/.installed

$(VENV)/.installed: requirements.txt requirements-test.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -r requirements.txt -r requirements-test.txt
	touch $@

collection: $(INSTALLED)

$(INSTALLED): $(VENV)/.installed $(SOURCES)
	rm -rf $(TMP)/build && mkdir -p $(TMP)/build
	$(BIN)/ansible-galaxy collection build --output-path $(TMP)/build .
	$(BIN)/ansible-galaxy collection install --force -p $(COLLECTIONS) $(TMP)/build/intune-autopilot-*.tar.gz
	touch $@

clean:
	rm -rf $(VENV) $(TMP) .pytest_cache
