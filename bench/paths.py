"""Where things are: the repository, its virtualenv, the installed collection, scratch space."""
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHON = Path(sys.executable)               # the .venv python that runs the benchmark (and the modules)
BIN = PYTHON.parent
ANSIBLE_PLAYBOOK = BIN / "ansible-playbook"
ANSIBLE_GALAXY = BIN / "ansible-galaxy"
COLLECTIONS = Path(os.environ.get("ANSIBLE_COLLECTIONS_PATH", str(ROOT / ".tmp" / "collections")).split(":")[0])
INSTALLED_MANIFEST = COLLECTIONS / "ansible_collections" / "intune" / "autopilot" / "MANIFEST.json"
SIMULATOR = ROOT / "tests" / "simulator" / "server.py"
WORK = ROOT / ".tmp" / "bench"              # scratch: playbooks, caches, kept AnsiballZ files
RESULTS = ROOT / "bench" / "results"
PROBES = ROOT / "bench" / "probes"
DOC = ROOT / "docs" / "docsite" / "rst" / "performance.rst"
