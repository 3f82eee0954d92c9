"""Unit-level fixtures: the simulator for the HTTP layer's tests (real TLS, no Ansible)."""

import pytest

from simulator import Simulator


@pytest.fixture(scope="session")
def https_sim(tmp_path_factory):
    with Simulator(tmp_path_factory.mktemp("sim"), sync_seconds=60) as simulator:
        yield simulator


@pytest.fixture
def sim_tenant(https_sim):
    """A fresh tenant id; its faults and log are its own."""
    return https_sim.add_tenant()
