"""Unit-level fixtures: the simulator for the HTTP layer's tests (real TLS, no Ansible)."""

import pytest

from ansible_collections.intune.autopilot.plugins.module_utils._auth._providers import StaticTokenProvider
from ansible_collections.intune.autopilot.plugins.module_utils._base._settings import build_connection_settings
from ansible_collections.intune.autopilot.plugins.module_utils._client._graph import GraphClient
from ansible_collections.intune.autopilot.plugins.module_utils._client._retry import RetryPolicy
from ansible_collections.intune.autopilot.plugins.module_utils._client._session import Transport
from simulator import Simulator


@pytest.fixture(scope="session")
def https_sim(tmp_path_factory):
    with Simulator(tmp_path_factory.mktemp("sim"), sync_seconds=60) as simulator:
        yield simulator


@pytest.fixture
def sim_tenant(https_sim):
    """A fresh tenant id; its faults and log are its own."""
    return https_sim.add_tenant()


@pytest.fixture
def client_for(https_sim):
    """A GraphClient on the simulator with a minted token of ``roles`` for ``tenant``; no retry sleeps."""
    def build(tenant, roles=("DeviceManagementServiceConfig.ReadWrite.All",), expires_in=3600):
        token = https_sim.mint_access_token(tenant, "unit-client", roles=roles, expires_in=expires_in)
        settings = build_connection_settings(
            {"access_token": token, "graph_endpoint": https_sim.url, "ca_path": https_sim.ca_path,
             "validate_certs": True, "timeout": 5, "max_retries": 1}, environ={})
        transport = Transport(verify=settings.verify, timeout=5, retry=RetryPolicy(max_retries=1),
                              sleep=lambda s: None)
        return GraphClient(settings, transport, StaticTokenProvider(token))
    return build
