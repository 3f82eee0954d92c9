"""DeviceGraph against the simulator: paging, filters, one device, and writes whose answer is lost."""

import pytest

from ansible_collections.intune.autopilot.plugins.module_utils._autopilot._api import AutopilotGraph
from ansible_collections.intune.autopilot.plugins.module_utils._autopilot._device_api import DeviceGraph
from ansible_collections.intune.autopilot.plugins.module_utils._autopilot._devices import serial_filter
from ansible_collections.intune.autopilot.plugins.module_utils._base._errors import GraphError

READ_ONLY = ("DeviceManagementServiceConfig.Read.All",)


@pytest.fixture
def graph_for(client_for):
    return lambda tenant, **options: DeviceGraph(client_for(tenant, **options), max_retries=2)


def methods(https_sim, tenant, endpoint):
    return [(e["method"], e["status"]) for e in https_sim.log(tenant=tenant, endpoint=endpoint)]


def test_listing_follows_every_next_link_one_request_per_page(https_sim, graph_for):
    tenant = https_sim.add_tenant(device_page_size=3)
    ids = https_sim.add_devices(tenant, 8)
    listed = graph_for(tenant).list_devices()
    first = next(listed)  # a generator: only the first page has been read
    assert len(https_sim.log(tenant=tenant, endpoint="devices")) == 1
    assert [first["id"]] + [d["id"] for d in listed] == ids
    assert methods(https_sim, tenant, "devices") == [("GET", 200)] * 3


def test_the_filter_reaches_graph_with_quotes_doubled(https_sim, graph_for):
    tenant = https_sim.add_tenant()
    https_sim.add_devices(tenant, [{"serialNumber": "O'BRIEN-1"}, {"serialNumber": "OBRIEN-2"}])
    found = list(graph_for(tenant).list_devices(serial_filter("o'brien")))
    assert [d["serial_number"] for d in found] == ["O'BRIEN-1"]


def test_a_next_link_to_another_host_is_refused_before_sending_the_token(https_sim, graph_for):
    tenant = https_sim.add_tenant(device_page_size=2)
    https_sim.add_devices(tenant, 4)
    https_sim.add_fault("malformed", tenant=tenant, endpoint="devices",
                        values={"@odata.nextLink": "https://graph.evil.example/beta/x?$skiptoken=1"})
    with pytest.raises(GraphError) as error:
        list(graph_for(tenant).list_devices())
    assert error.value.code == "ForeignNextLink"
    assert "graph.evil.example" in error.value.message
    assert len(https_sim.log(tenant=tenant)) == 1


def test_a_next_link_that_loops_stops_the_listing(https_sim, graph_for):
    tenant = https_sim.add_tenant(device_page_size=2)
    https_sim.add_devices(tenant, 4)
    https_sim.add_fault("malformed", tenant=tenant, endpoint="devices", count=-1, values={
        "@odata.nextLink": https_sim.url + "/beta/deviceManagement/windowsAutopilotDeviceIdentities"})
    with pytest.raises(GraphError) as error:
        list(graph_for(tenant).list_devices())
    assert error.value.code == "NextLinkLoop"
    assert len(https_sim.log(tenant=tenant, endpoint="devices")) == 2


def test_a_malformed_device_names_property_value_and_request_id(https_sim, graph_for):
    tenant = https_sim.add_tenant()
    https_sim.add_devices(tenant, 2)
    https_sim.add_fault("malformed", tenant=tenant, endpoint="devices",
                        each_values={"lastContactedDateTime": "2026-02-30T00:00:00Z"})
    with pytest.raises(GraphError) as error:
        list(graph_for(tenant).list_devices())
    request_id = https_sim.log(tenant=tenant, endpoint="devices")[0]["request_id"]
    assert "lastContactedDateTime is '2026-02-30T00:00:00Z'" in error.value.message
    assert request_id in error.value.message
    assert error.value.code == "MalformedResponse"


def test_a_page_without_a_value_list_is_malformed(https_sim, graph_for):
    tenant = https_sim.add_tenant()
    https_sim.add_fault("malformed", tenant=tenant, endpoint="devices", missing=["value"])
    with pytest.raises(GraphError, match="value is missing"):
        list(graph_for(tenant).list_devices())


def test_reads_are_retried_on_transient_answers(https_sim, graph_for):
    tenant = https_sim.add_tenant()
    (device_id,) = https_sim.add_devices(tenant, 1)
    https_sim.add_fault("status", tenant=tenant, endpoint="device", status=503)
    assert graph_for(tenant).get_device(device_id)["id"] == device_id
    assert methods(https_sim, tenant, "device") == [("GET", 503), ("GET", 200)]


def test_an_unknown_device_reads_as_none(https_sim, graph_for):
    tenant = https_sim.add_tenant()
    assert graph_for(tenant).get_device("6c4b3a8e-0d1f-4a2b-9c3d-4e5f6a7b8c9d") is None


def test_device_404_and_403_hints_speak_of_devices_not_settings(https_sim, graph_for):
    tenant = https_sim.add_tenant()
    with pytest.raises(GraphError) as missing:
        graph_for(tenant).update_device("6c4b3a8e-0d1f-4a2b-9c3d-4e5f6a7b8c9d", {"group_tag": "HR"})
    assert "autopilot_device_import" in missing.value.message
    assert "license" not in missing.value.message and "settings" not in missing.value.message
    (device_id,) = https_sim.add_devices(tenant, 1)
    with pytest.raises(GraphError) as forbidden:
        graph_for(tenant, roles=READ_ONLY).delete_device(device_id)
    assert forbidden.value.status == 403
    assert "Grant it the Microsoft Graph application permission DeviceManagementServiceConfig.ReadWrite.All" \
        in forbidden.value.message
    with pytest.raises(GraphError) as forbidden_read:
        list(graph_for(tenant, roles=()).list_devices())
    assert "DeviceManagementServiceConfig.Read.All or DeviceManagementServiceConfig.ReadWrite.All" \
        in forbidden_read.value.message


def test_the_settings_404_still_points_to_the_intune_license(https_sim, client_for):
    tenant = https_sim.add_tenant(intune=False)
    with pytest.raises(GraphError) as error:
        AutopilotGraph(client_for(tenant), 1).read_settings()
    assert "graph_endpoint points to the wrong service" in error.value.message


def test_delete_then_already_gone(https_sim, graph_for):
    tenant = https_sim.add_tenant()
    (device_id,) = https_sim.add_devices(tenant, 1)
    assert graph_for(tenant).delete_device(device_id) is True
    assert graph_for(tenant).delete_device(device_id) is False
    assert https_sim.devices(tenant) == []


def test_a_lost_delete_answer_is_decided_by_reading(https_sim, graph_for):
    tenant = https_sim.add_tenant()
    (device_id,) = https_sim.add_devices(tenant, 1)
    https_sim.add_fault("acted_then_status", tenant=tenant, endpoint="device", method="DELETE", status=504)
    assert graph_for(tenant).delete_device(device_id) is True
    assert methods(https_sim, tenant, "device") == [("DELETE", 504), ("GET", 404)]  # one DELETE only


def test_a_lost_delete_answer_while_graph_still_shows_the_device(https_sim, graph_for):
    tenant = https_sim.add_tenant(device_change_lag=60)
    (device_id,) = https_sim.add_devices(tenant, 1)
    https_sim.add_fault("acted_then_reset", tenant=tenant, endpoint="device", method="DELETE")
    assert graph_for(tenant).delete_device(device_id) is True  # the second DELETE's 404 is our first one
    assert methods(https_sim, tenant, "device") == [("DELETE", None), ("GET", 200), ("DELETE", 404)]


def test_a_lost_update_answer_is_decided_by_reading(https_sim, graph_for):
    tenant = https_sim.add_tenant()
    (device_id,) = https_sim.add_devices(tenant, 1)
    https_sim.add_fault("acted_then_status", tenant=tenant, endpoint="device_action", status=503)
    graph_for(tenant).update_device(device_id, {"group_tag": "HR", "display_name": "PC-1"})
    assert methods(https_sim, tenant, "device_action") == [("POST", 503)]
    assert https_sim.devices(tenant)[0]["groupTag"] == "HR"


def test_a_lost_update_answer_not_shown_yet_is_sent_again(https_sim, graph_for):
    tenant = https_sim.add_tenant(device_change_lag=60)
    (device_id,) = https_sim.add_devices(tenant, 1)
    https_sim.add_fault("acted_then_status", tenant=tenant, endpoint="device_action", status=503)
    graph_for(tenant).update_device(device_id, {"display_name": "PC-1"})
    assert methods(https_sim, tenant, "device_action") == [("POST", 503), ("POST", 204)]


def test_every_answer_lost_gives_up_naming_the_write(https_sim, graph_for):
    tenant = https_sim.add_tenant(device_change_lag=60)
    (device_id,) = https_sim.add_devices(tenant, 1)
    https_sim.add_fault("status", tenant=tenant, endpoint="device_action", status=500, count=-1)
    with pytest.raises(GraphError) as error:
        graph_for(tenant).update_device(device_id, {"display_name": "PC-1"})
    assert "Gave up on the update of device %s after 3 request(s)" % device_id in error.value.message
    assert error.value.status == 500


def test_a_lost_answer_whose_read_fails_too_says_it_cannot_tell(https_sim, graph_for):
    tenant = https_sim.add_tenant()
    (device_id,) = https_sim.add_devices(tenant, 1)
    https_sim.add_fault("acted_then_status", tenant=tenant, endpoint="device", method="DELETE", status=504)
    https_sim.add_fault("status", tenant=tenant, endpoint="device", method="GET", status=500)
    with pytest.raises(GraphError) as error:
        graph_for(tenant).delete_device(device_id)
    assert "Could not tell whether Graph carried out the deletion" in error.value.message
    assert "autopilot_device_info" in error.value.message


def test_intune_429_on_a_write_refused_it_and_is_retried(https_sim, graph_for):
    tenant = https_sim.add_tenant()
    (device_id,) = https_sim.add_devices(tenant, 1)
    https_sim.add_fault("status", tenant=tenant, endpoint="device_action", status=429)
    graph_for(tenant).update_device(device_id, {"user_principal_name": ""})
    assert methods(https_sim, tenant, "device_action") == [("POST", 429), ("POST", 204)]
    assert [e["path"].rsplit("/", 1)[-1] for e in https_sim.log(tenant=tenant, endpoint="device_action")] == [
        "unassignUserFromDevice"] * 2


def test_assign_and_unassign_a_user(https_sim, graph_for):
    tenant = https_sim.add_tenant()
    (device_id,) = https_sim.add_devices(tenant, 1)
    graph = graph_for(tenant)
    graph.assign_user(device_id, "ann@contoso.com")
    assert graph.get_device(device_id)["user_principal_name"] == "ann@contoso.com"
    graph.update_device(device_id, {"user_principal_name": ""})
    assert graph.get_device(device_id)["user_principal_name"] == ""
