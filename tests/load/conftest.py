"""The fleet load test runs only when asked for: ``make test-load`` (INTUNE_LOAD_TEST=1)."""

import os

import pytest


def pytest_collection_modifyitems(config, items):
    if os.environ.get("INTUNE_LOAD_TEST") == "1":
        return
    skip = pytest.mark.skip(reason="load test: run with INTUNE_LOAD_TEST=1 (make test-load)")
    for item in items:
        if "tests/load/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(skip)
