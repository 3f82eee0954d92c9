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
	$(shell find meta plugins playbooks roles docs changelogs tests -type f -not -name '*.pyc' -not -path '*/__pycache__/*' 2>/dev/null)

export ANSIBLE_COLLECTIONS_PATH := $(COLLECTIONS)
export ANSIBLE_COLLECTIONS_SCAN_SYS_PATH := false
export PATH := $(BIN):$(PATH)

GATES := changelog lint docs galaxy sanity

# The ansible-core releases the smoke matrix proves (meta/runtime.yml admits >=2.16), each in its own
# venv and collections path under .tmp/matrix. 2.16 to 2.19 run on $(PYTHON); 2.20 and later need
# Python 3.12+ on the controller and run on the first one found (pyenv's, or python3.12+ on PATH);
# where there is none they are skipped, and test-matrix says so.
MATRIX_CORES := 2.16 2.17 2.18 2.19
MATRIX_CORES_PY312 := 2.20 2.21
PYTHON_312 := $(shell for p in $(wildcard $(HOME)/.pyenv/versions/3.1[2-9].*/bin/python3) python3.12 python3.13 python3.14; do \
	"$$p" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null && { command -v "$$p"; break; }; done)
MATRIX_LEGS := $(MATRIX_CORES) $(if $(PYTHON_312),$(MATRIX_CORES_PY312))
MATRIX_SKIPPED_NOTE := $(if $(PYTHON_312),,; not tested (no Python 3.12+ here): $(MATRIX_CORES_PY312))
matrix_python = $(if $(filter $(MATRIX_CORES_PY312),$(1)),$(or $(PYTHON_312),$(error ansible-core $(1) needs Python 3.12+, none found)),$(PYTHON))
MATRIX := $(TMP)/matrix
MATRIX_JOBS ?= 2

.PHONY: demo simulator test test-oldest-deps oldest-pins-changed test-load test-matrix bench unit integration venv collection clean gates $(addprefix gate-,$(GATES)) \
	$(addprefix test-core-,$(MATRIX_CORES) $(MATRIX_CORES_PY312))

## demo: sync, then report the settings (simulator, or a real tenant when AZURE_* is set)
demo: collection
	@$(BIN)/python tools/demo.py

## simulator: the simulator in the foreground for your own playbooks; writes .tmp/simulator/env to source
## (SIMULATOR_ARGS="--port 8443" for a fixed port); Ctrl-C stops it
SIMULATOR_ARGS ?=
simulator: collection
	@$(BIN)/python tools/run_simulator.py $(SIMULATOR_ARGS)

## test: the whole test suite: unit and integration tests, the ansible-core matrix, the 200-tenant load test, the quality gates
test: collection
	$(BIN)/python -m pytest
	$(MAKE) --no-print-directory test-matrix
	$(MAKE) --no-print-directory test-oldest-deps
	$(MAKE) --no-print-directory test-load
	tools/gates/all.sh

## test-oldest-deps: the authentication tests (certificate, client secret and every other auth_method) and the
## settings tests again, in .tmp/oldest-deps with exactly the oldest release of each requirements.txt floor
## (msal, requests, cryptography; OLDEST_PINS overrides them). The simulator runs in the same venv, so it
## gets those releases too.
OLDEST := $(TMP)/oldest-deps
OLDEST_PINS ?= $(shell sed -n 's/^\([A-Za-z0-9_.-]*\)>=\([0-9.]*\).*/\1==\2/p' requirements.txt)
OLDEST_TESTS := tests/integration/test_authentication.py tests/integration/test_windows_autopilot_settings.py
test-oldest-deps: collection $(OLDEST)/.installed
	$(OLDEST)/bin/python tools/installed_pins.py $(OLDEST_PINS)
	$(OLDEST)/bin/python -m pytest $(OLDEST_TESTS) -n 2 -q

# Rebuilt only when the requirements or the pins change, so repeated runs stay quick.
OLDEST_STALE := $(shell test "$$(cat $(OLDEST)/.installed 2>/dev/null)" = "$(OLDEST_PINS)" || echo stale)
$(OLDEST)/.installed: requirements.txt requirements-test.txt $(if $(OLDEST_STALE),oldest-pins-changed)
	rm -rf $(OLDEST) && $(PYTHON) -m venv $(OLDEST)
	$(OLDEST)/bin/pip install --quiet -r requirements.txt -r requirements-test.txt $(OLDEST_PINS)
	echo "$(OLDEST_PINS)" > $@

oldest-pins-changed:

## test-load: 200 simulated tenants, forks 50, two runs (figures in tests/load/last_run.json)
test-load: collection
	INTUNE_LOAD_TEST=1 $(BIN)/python -m pytest tests/load -n 0 -q -s

## test-matrix: the smoke tests (pytest -m smoke) on every ansible-core in MATRIX_LEGS, MATRIX_JOBS at a time
test-matrix: collection
	@start=$$(date +%s); \
	$(MAKE) --no-print-directory --output-sync=target -j$(MATRIX_JOBS) $(addprefix test-core-,$(MATRIX_LEGS)) \
		&& echo "test-matrix: ansible-core $(MATRIX_LEGS) passed in $$(( $$(date +%s) - start ))s$(MATRIX_SKIPPED_NOTE)"

# test-core-2.16 ...: one leg of the matrix, with that release's own ansible-playbook, ansible and
# ansible-galaxy (tests/ansible_env.py takes them from the running Python's bin directory).
$(addprefix test-core-,$(MATRIX_CORES) $(MATRIX_CORES_PY312)): test-core-%: $(MATRIX)/%/collections/ansible_collections/intune/autopilot/MANIFEST.json
	@$(MATRIX)/$*/venv/bin/python -c 'import ansible.release as a, platform; \
		print("== ansible-core %s on Python %s" % (a.__version__, platform.python_version()))'
	ANSIBLE_COLLECTIONS_PATH=$(MATRIX)/$*/collections MATRIX_ANSIBLE_CORE=$* \
		$(MATRIX)/$*/venv/bin/python -m pytest tests/integration -m smoke -n 0

# A leg's venv: the runtime and test requirements with ansible-core held to that release.
# What pip resolved is kept in resolved.txt beside it.
$(MATRIX)/%/venv/.installed: requirements.txt requirements-test.txt
	rm -rf $(MATRIX)/$*/venv
	$(call matrix_python,$*) -m venv $(MATRIX)/$*/venv
	echo 'ansible-core==$*.*' >$(MATRIX)/$*/constraints.txt
	$(MATRIX)/$*/venv/bin/pip install --quiet --disable-pip-version-check \
		-r requirements.txt -r requirements-test.txt -c $(MATRIX)/$*/constraints.txt
	$(MATRIX)/$*/venv/bin/pip freeze --all >$(MATRIX)/$*/resolved.txt
	touch $@

# The tarball `make collection` built, installed with the leg's own ansible-galaxy.
$(MATRIX)/%/collections/ansible_collections/intune/autopilot/MANIFEST.json: $(MATRIX)/%/venv/.installed $(INSTALLED)
	ANSIBLE_COLLECTIONS_PATH=$(MATRIX)/$*/collections $(MATRIX)/$*/venv/bin/ansible-galaxy collection install \
		--offline --force -p $(MATRIX)/$*/collections $(TMP)/build/intune-autopilot-*.tar.gz
	touch $@

.PRECIOUS: $(MATRIX)/%/venv/.installed $(MATRIX)/%/collections/ansible_collections/intune/autopilot/MANIFEST.json

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
