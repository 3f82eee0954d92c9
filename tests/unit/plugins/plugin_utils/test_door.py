# -*- coding: utf-8 -*-
"""Which door a task takes (pure logic; the integration tests run both doors for real)."""

import pytest

from ansible_collections.intune.autopilot.plugins.plugin_utils._door import module_path_reason

LOCAL = dict(connection="local", async_val=0, become=False, in_process_allowed=True, libraries_missing=[],
             task_environment={}, environ={"HOME": "/root"})


def reason(**changes):
    return module_path_reason(**dict(LOCAL, **changes))


@pytest.mark.parametrize("connection", ["local", "ansible.builtin.local", "ansible.legacy.local"])
def test_a_plain_local_task_runs_in_the_controller(connection):
    assert reason(connection=connection) is None


@pytest.mark.parametrize("changes, words", [
    (dict(in_process_allowed=False), "intune_autopilot_in_process is false"),
    (dict(connection="ssh"), "connection ssh is not local"),
    (dict(connection="ansible.netcommon.httpapi"), "not local"),
    (dict(async_val=30), "async"),
    (dict(become=True), "become"),
    (dict(libraries_missing=["msal"]), "msal cannot be imported by the controller's Python"),
    (dict(task_environment={"HTTPS_PROXY": "http://proxy:3128"}), "HTTPS_PROXY"),
    (dict(task_environment={"REQUESTS_CA_BUNDLE": "/etc/ca.pem", "IDENTITY_ENDPOINT": "http://x"}),
     "IDENTITY_ENDPOINT, REQUESTS_CA_BUNDLE"),
])
def test_these_tasks_go_to_the_module(changes, words):
    assert words in reason(**changes)


def test_the_environment_may_carry_what_only_the_core_reads():
    """Credentials, cloud and cache settings reach the core through its environ argument."""
    names = ["AZURE_TENANT_ID", "AZURE_TENANT", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET", "AZURE_SECRET",
             "AZURE_CLIENT_CERTIFICATE_PATH", "AZURE_CLIENT_CERTIFICATE_PASSWORD", "AZURE_FEDERATED_TOKEN_FILE",
             "AZURE_AUTHORITY_HOST", "AZURE_CLOUD_ENVIRONMENT", "INTUNE_AUTOPILOT_TOKEN_CACHE",
             "INTUNE_AUTOPILOT_CACHE_PATH", "INTUNE_AUTOPILOT_GRAPH_ENDPOINT", "INTUNE_AUTOPILOT_CA_PATH",
             "XDG_CACHE_HOME", "AZURE_AD_USER", "AZURE_PASSWORD"]
    assert reason(task_environment=dict((name, "x") for name in names)) is None


def test_a_variable_set_to_the_value_the_controller_has_changes_nothing():
    assert reason(task_environment={"HOME": "/root"}) is None
    assert "HOME" in reason(task_environment={"HOME": "/elsewhere"})
