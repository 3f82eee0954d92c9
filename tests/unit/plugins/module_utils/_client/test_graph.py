"""GraphClient against the simulator: URLs, tokens, accepted statuses and error shaping."""

import json

import pytest

from ansible_collections.intune.autopilot.plugins.module_utils._base._errors import GraphError
from ansible_collections.intune.autopilot.plugins.module_utils._client._graph import _decode_json, error_message

SETTINGS = "deviceManagement/windowsAutopilotSettings"


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


def test_a_call_passes_its_own_hints_over_the_default_advice(https_sim, sim_tenant, client_for):
    client = client_for(sim_tenant)
    with pytest.raises(GraphError) as default:
        client.get(SETTINGS + "/nothing-here")
    assert "graph_endpoint points to Microsoft Graph" in default.value.message
    with pytest.raises(GraphError) as hinted:
        client.get(SETTINGS + "/nothing-here", hints={404: "No such thing here"})
    assert "No such thing here." in hinted.value.message
    assert "graph_endpoint" not in hinted.value.message


def test_query_options_are_percent_encoded_with_odata_punctuation_kept(https_sim, client_for):
    client = client_for(https_sim.add_tenant())
    url = client.url("x", {"$filter": "contains(serialNumber,'A B+C&D')", "$top": 5})
    assert url.endswith("/beta/x?$filter=contains(serialNumber,'A%20B%2BC%26D')&$top=5")


@pytest.mark.parametrize("link", [
    "https://other.invalid/beta/deviceManagement/windowsAutopilotDeviceIdentities",
    "http://{host}/beta/deviceManagement/windowsAutopilotDeviceIdentities",  # not https
    "https://{hostname}:1/beta/deviceManagement/windowsAutopilotDeviceIdentities",  # another port
    "/beta/deviceManagement/windowsAutopilotDeviceIdentities",
])
def test_follow_sends_the_token_to_graph_endpoints_host_only(https_sim, sim_tenant, client_for, link):
    client = client_for(sim_tenant)
    host = https_sim.url.split("/")[2]
    with pytest.raises(GraphError) as error:
        client.follow(link.format(host=host, hostname=host.rsplit(":", 1)[0]))
    assert error.value.code == "ForeignNextLink"
    assert https_sim.log(tenant=sim_tenant) == []  # nothing was sent


def test_follow_gets_an_absolute_link_on_the_same_host(https_sim, sim_tenant, client_for):
    client = client_for(sim_tenant)
    response = client.follow(https_sim.url + "/beta/" + SETTINGS)
    assert response.body["id"] == https_sim.get_settings(sim_tenant)["id"]


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


# -- Graph's error.message, and Intune's own error object inside it ------------------------------------

INTUNE_INNER = ("An Autopilot sync is already in progress. - Operation ID (for customer support): "
                "00000000-0000-0000-0000-000000000000 - Activity ID: 7d1c5e0a - Url: https://fef.example/x")
INTUNE_MESSAGE = json.dumps({"_version": 3, "Message": INTUNE_INNER, "CustomApiErrorPhrase": "",
                             "RetryAfter": None, "ErrorSourceService": "", "HttpHeaders": "{}"},
                            indent=2).replace("\n", "\r\n")
DEEP = '{"a": ' * 100000 + "1" + "}" * 100000  # json.loads raises RecursionError, not ValueError


@pytest.mark.parametrize("message, shown", [
    (INTUNE_MESSAGE, INTUNE_INNER),                                # Intune's object as a JSON string
    ("  " + INTUNE_MESSAGE, INTUNE_INNER),
    ({"Message": INTUNE_INNER}, INTUNE_INNER),                     # already an object
    ("Access token has expired.", "Access token has expired."),   # Graph's plain text
    ("{not json} at all", "{not json} at all"),                    # braces, but text
    ('{"_version": 3, "RetryAfter": null}', '{"_version": 3, "RetryAfter": null}'),  # no Message: as sent
    ('{"Message": 42}', '{"Message": 42}'),
    ('["Message"]', '["Message"]'),
    (DEEP, DEEP),
    (None, None), (42, None), (["a"], None),
])
def test_error_message_shows_intunes_inner_message_and_never_fails(message, shown):
    assert error_message({"message": message}) == shown


class Answer:
    """What _decode_json reads of a requests.Response."""

    def __init__(self, text, content_type="application/json"):
        self.text = text
        self.content = text.encode()
        self.headers = {"Content-Type": content_type}


def test_a_body_nested_too_deeply_is_not_json_we_can_use():
    with pytest.raises(ValueError) as info:
        _decode_json(Answer(DEEP))
    assert info.type is not RecursionError and "nested too deeply" in str(info.value)


def test_intunes_refusal_of_the_sync_is_returned_with_its_inner_message(https_sim, sim_tenant, client_for):
    client = client_for(sim_tenant)
    assert client.post(SETTINGS + "/sync", accept=(409, 429)).refusal is None  # 204
    response = client.post(SETTINGS + "/sync", accept=(409, 429))
    assert response.status == 409 and "Retry-After" not in response.headers
    details = response.refusal.details
    assert details["message"].startswith("An Autopilot sync is already in progress")
    assert "_version" not in details["message"] and "\r" not in details["message"]
    assert details["message"].endswith("Activity ID: %s - Url: https://fef.msub05.manage.microsoft.com/"
                                       "DeviceEnrollmentFE/StatelessDeviceEnrollmentFEService/deviceManagement/"
                                       "windowsAutopilotSettings/sync?api-version=5023-06-28"
                                       % details["client_request_id"])
    assert details["request_id"] == https_sim.log(tenant=sim_tenant)[-1]["request_id"]


def test_an_intune_error_that_is_raised_shows_the_inner_message(https_sim, sim_tenant, client_for):
    https_sim.add_fault("status", tenant=sim_tenant, endpoint="sync", status=500, message="Internal failure")
    with pytest.raises(GraphError) as error:
        client_for(sim_tenant).post(SETTINGS + "/sync", accept=(409, 429))
    assert error.value.message.startswith("Graph answered 500 InternalServerError: Internal failure - Operation ID")
    assert "_version" not in error.value.message
    assert error.value.details["message"].startswith("Internal failure - Operation ID")
