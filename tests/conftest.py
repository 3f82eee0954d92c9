"""Shared pytest setup: import the collection from this checkout, and run the simulator."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TESTS = ROOT / "tests"


def _expose_collection():
    """Make ``ansible_collections.intune.autopilot`` importable from the working tree.

    Unit tests import the source directly (a symlink under .tmp), while the
    integration tests run ansible-playbook against the built and installed
    collection.
    """
    base = ROOT / ".tmp" / "dev"
    namespace = base / "ansible_collections" / "intune"
    namespace.mkdir(parents=True, exist_ok=True)
    link = namespace / "autopilot"
    if not link.is_symlink():
        try:
            link.symlink_to(ROOT, target_is_directory=True)
        except FileExistsError:  # another pytest run (a parallel matrix leg) made it first
            pass
    for path in (str(base), str(TESTS)):
        if path not in sys.path:
            sys.path.insert(0, path)


_expose_collection()
