"""GraphClient against the simulator: URLs, tokens, accepted statuses and error shaping."""

import pytest

from ansible_collections.intune.autopilot.plugins.module_utils._auth._providers import StaticTokenProvider
from ansible_collections.intune.autopilot.plugins.module_utils._base._settings import build_connection_settings
from ansible_collections.intune.autopilot.plugins.module_utils._base._errors import GraphError
from ansible_collections.intune.autopilot.plugins.module_utils._client._graph import GraphClient
from ansible_collections.intune.autopilot.plugins.module_utils._client._retry import RetryPolicy
from ansible_collections.intune.autopilot.plugins.module_utils._client._session import Transport

SETTINGS = "deviceManagement/windowsAutopilotSettings"


@pytest.fixture
def client_for(https_sim):
    def build(tenant, roles=("DeviceManagementServiceConfig.ReadWrite.All",), expires_in=3600):
        token = https_sim.mint_access_token(tenant, "unit-client", roles=roles, expires_in=expires_in)
        settings = build_connection_settings(
            {"access_token": token, "graph_endpoint": https_sim.url, "ca_path": https_sim.ca_path,
             "validate_certs": True, "timeout": 5, "max_retries": 1}, environ={})
        transport = Transport(verify=settings.verify, timeout=5, retry=RetryPolicy(max_retries=1),
                              sleep=lambda s: None)
        return GraphClient(settings, transport, StaticTokenProvider(token))
    return build


def test_get_returns_graph_json(https_sim, sim_tenant, client_for):
    response = client_for(sim_tenant).get(SETTINGS)
    assert response.status == 200
    assert response.body["id"] == https_sim.get_settings(sim_tenant)["id"]
    assert response.request_id
    assert https_sim.log(tenant=sim_tenant)[0]["path"] == "/beta/" + SETTINGS


def test_accepted_statuses_are_returned_not_raised(https_sim, sim_tenant, client_for):
    client = client_for(sim_tenant)
    assert client.post(SETTINGS + "/sync", accept=(409, 429)).status == 204
    response = client.post(SETTINGS + "/sync", accept=(409, 429))
    assert response.status == 409
    assert response.body["error"]["code"]


def test_graph_errors_carry_code_and_ids(https_sim, client_for):
    tenant = https_sim.add_tenant(intune=False)
    with pytest.raises(GraphError) as error:
        client_for(tenant).get(SETTINGS)
    details = error.value.details
    assert details["status"] == 404
    assert details["code"]
    assert details["request_id"] == https_sim.log(tenant=tenant)[-1]["request_id"]
    assert details["client_request_id"] == https_sim.log(tenant=tenant)[-1]["client_request_id"]
    assert details["date"]
    assert "Intune license" in error.value.message


def test_missing_permission_names_it(https_sim, sim_tenant, client_for):
    with pytest.raises(GraphError) as error:
        client_for(sim_tenant, roles=()).get(SETTINGS)
    assert error.value.status == 403
    assert "DeviceManagementServiceConfig.ReadWrite.All" in error.value.message


def test_an_expired_given_token_points_to_access_token(https_sim, sim_tenant, client_for):
    with pytest.raises(GraphError) as error:
        client_for(sim_tenant, expires_in=-60).get(SETTINGS)
    assert error.value.status == 401
    assert "access_token" in error.value.message


@pytest.mark.parametrize("kind,words", [
    ("html", "an HTML page titled"),
    ("empty", None),
    ("truncated_json", "could not be parsed"),
])
def test_non_json_answers_become_clear_errors(https_sim, sim_tenant, client_for, kind, words):
    https_sim.add_fault(kind, tenant=sim_tenant, endpoint="settings")
    if words is None:  # an empty 200 is a valid "no body"; the caller gets None
        assert client_for(sim_tenant).get(SETTINGS).body is None
        return
    with pytest.raises(GraphError) as error:
        client_for(sim_tenant).get(SETTINGS)
    assert words in error.value.message
    assert error.value.code == "NonJsonResponse"
    assert error.value.details["status"] == 200
