"""Shared pytest setup: import the collection from this checkout, and run the simulator."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TESTS = ROOT / "tests"


def _expose_collection():
    """Make ``ansible_collections.intune.autopilot`` importable from the working tree.

    Unit tests import the source directly, through the committed link
    collections/ansible_collections/intune/autopilot -> ../../.. (the one
    ansible.cfg names), while the integration tests run ansible-playbook
    against the built and installed collection.
    """
    for path in (str(ROOT / "collections"), str(TESTS)):
        if path not in sys.path:
            sys.path.insert(0, path)


_expose_collection()
