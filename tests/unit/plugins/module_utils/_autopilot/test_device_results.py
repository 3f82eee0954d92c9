"""Device identities, pure logic: Graph JSON to results, serial matching, filters, changes."""

import pytest

from ansible_collections.intune.autopilot.plugins.module_utils._autopilot._devices import (
    RESULT_KEYS,
    device_filter,
    device_matches,
    device_result,
    diff,
    group_tag_filter,
    odata_string,
    serial_filter,
    serial_matches,
    shows_changes,
    split_unassign,
    update_body,
    wanted_changes,
)
from ansible_collections.intune.autopilot.plugins.module_utils._autopilot._model import MalformedProperty

GRAPH_DEVICE = {
    "@odata.type": "#microsoft.graph.windowsAutopilotDeviceIdentity",
    "id": "6c4b3a8e-0d1f-4a2b-9c3d-4e5f6a7b8c9d", "serialNumber": "PF3X9K2L", "groupTag": "Sales",
    "displayName": "", "manufacturer": "LENOVO", "model": "21HD", "enrollmentState": "notContacted",
    "deploymentProfileAssignmentStatus": "assignedInSync", "userPrincipalName": "",
    "lastContactedDateTime": "0001-01-01T00:00:00Z",
    "azureActiveDirectoryDeviceId": "1a2b3c4d-0000-4000-8000-000000000001",
    "managedDeviceId": "00000000-0000-0000-0000-000000000000", "productKey": "", "skuNumber": "",
}


def device(**changes):
    return dict(device_result(GRAPH_DEVICE), **changes)


def test_a_graph_device_becomes_the_documented_result():
    assert device_result(GRAPH_DEVICE) == {
        "id": GRAPH_DEVICE["id"], "serial_number": "PF3X9K2L", "group_tag": "Sales", "display_name": "",
        "manufacturer": "LENOVO", "model": "21HD", "enrollment_state": "notContacted",
        "deployment_profile_assignment_status": "assignedInSync", "user_principal_name": "",
        "last_contacted_date_time": None,  # Graph's "never"
        "azure_ad_device_id": "1a2b3c4d-0000-4000-8000-000000000001",
        "managed_device_id": None,  # the zero GUID: not enrolled
    }
    assert sorted(device_result(GRAPH_DEVICE)) == sorted(RESULT_KEYS)


def test_timestamps_are_iso_utc_with_z_and_the_older_entra_name_is_read():
    body = dict(GRAPH_DEVICE, lastContactedDateTime="2026-11-23T11:05:19.1234567+01:00",
                managedDeviceId="9f8e7d6c-0000-4000-8000-000000000002")
    del body["azureActiveDirectoryDeviceId"]
    body["azureAdDeviceId"] = "1a2b3c4d-0000-4000-8000-000000000003"
    result = device_result(body)
    assert result["last_contacted_date_time"] == "2026-11-23T10:05:19.123456Z"
    assert result["managed_device_id"] == "9f8e7d6c-0000-4000-8000-000000000002"
    assert result["azure_ad_device_id"] == "1a2b3c4d-0000-4000-8000-000000000003"


def test_properties_graph_leaves_out_are_null_but_id_and_serial_are_required():
    assert device_result({"id": "x", "serialNumber": "S1"})["group_tag"] is None
    with pytest.raises(MalformedProperty, match="serialNumber is missing"):
        device_result({"id": "x"})


@pytest.mark.parametrize("name, value, words", [
    ("lastContactedDateTime", "2026-02-30T00:00:00Z", "not a valid date and time"),
    ("lastContactedDateTime", 42, "not a timestamp string"),
    ("groupTag", ["Sales"], "not a string"),
])
def test_malformed_values_name_the_property_and_value(name, value, words):
    with pytest.raises(MalformedProperty) as info:
        device_result(dict(GRAPH_DEVICE, **{name: value}))
    assert info.value.name == name
    assert repr(value) in str(info.value) and words in str(info.value)


def test_a_device_that_is_not_an_object_is_malformed():
    with pytest.raises(MalformedProperty, match="not a JSON object"):
        device_result(["PF3X9K2L"])


@pytest.mark.parametrize("serial, wanted, same", [
    ("PF3X9K2L", "pf3x9k2l", True), (" PF3X9K2L", "PF3X9K2L ", True),
    ("PF3X9K2L0", "PF3X9K2L", False), ("PF3X9K2L", "", False), (None, "PF3X9K2L", False),
])
def test_serials_match_exactly_ignoring_case(serial, wanted, same):
    assert serial_matches(serial, wanted) is same


def test_filters_quote_and_double_embedded_quotes():
    assert odata_string("O'Brien's") == "'O''Brien''s'"
    assert serial_filter(" PF3'X ") == "contains(serialNumber,'PF3''X')"
    assert group_tag_filter("Sales EU") == "groupTag eq 'Sales EU'"


def test_one_filter_clause_the_serial_narrowing_most():
    assert device_filter() is None
    assert device_filter(serial_number="PF3", group_tag="Sales") == "contains(serialNumber,'PF3')"
    assert device_filter(group_tag="") == "groupTag eq ''"


def test_exact_match_on_our_side():
    assert device_matches(device(), serial_number="pf3x9k2l", group_tag="Sales")
    assert not device_matches(device(), serial_number="PF3X9K2")  # Graph's contains matched it
    assert not device_matches(device(), group_tag="sales")
    assert device_matches(device(group_tag=None), group_tag="")
    assert device_matches(device())


def test_changes_are_only_what_differs():
    current = device(display_name="", user_principal_name="")
    assert wanted_changes(current, {"group_tag": "Sales", "display_name": None,
                                    "user_principal_name": None}) == {}
    assert wanted_changes(current, {"group_tag": "HR", "display_name": "PC-1",
                                    "user_principal_name": ""}) == {"group_tag": "HR", "display_name": "PC-1"}
    assert wanted_changes(device(user_principal_name=None), {"user_principal_name": ""}) == {}
    assert shows_changes(device(group_tag="HR"), {"group_tag": "HR"})
    assert not shows_changes(current, {"group_tag": "HR"})


def test_an_empty_user_is_an_unassignment_not_an_update():
    properties, unassign = split_unassign({"group_tag": "", "user_principal_name": ""})
    assert (properties, unassign) == ({"group_tag": ""}, True)
    assert update_body(properties) == {"groupTag": ""}  # an empty tag clears it
    assert split_unassign({"user_principal_name": "ann@contoso.com"}) == (
        {"user_principal_name": "ann@contoso.com"}, False)
    assert update_body({"display_name": "PC-1", "user_principal_name": "ann@contoso.com"}) == {
        "displayName": "PC-1", "userPrincipalName": "ann@contoso.com"}


def test_diff_shows_the_managed_properties_before_and_after():
    assert diff(device(), {"group_tag": "HR"}) == {
        "before": {"group_tag": "Sales", "display_name": "", "user_principal_name": ""},
        "after": {"group_tag": "HR", "display_name": "", "user_principal_name": ""}}
