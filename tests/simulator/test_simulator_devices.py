"""Tests of the simulator's Windows Autopilot devices and imports, over real HTTPS with requests."""
import base64
import json
import time
import uuid

import pytest
import requests

from .server import Simulator
from .state import NEVER
from .test_simulator import GRAPH_TIME, RW, SYNC, Client, graph, intune_message, new_tenant

DEVICES = "/beta/deviceManagement/windowsAutopilotDeviceIdentities"
IMPORTS = "/beta/deviceManagement/importedWindowsAutopilotDeviceIdentities"
IMPORT = IMPORTS + "/import"
READ = "DeviceManagementServiceConfig.Read.All"
HASH = base64.b64encode(b"\x00\x01hardware-hash").decode()


@pytest.fixture(scope="module")
def sim(tmp_path_factory):
    with Simulator(tmp_path_factory.mktemp("sim-devices")) as simulator:
        yield simulator


@pytest.fixture(autouse=True)
def _fresh(sim):
    sim.reset()


def record(serial, **fields):
    return dict({"serialNumber": serial, "hardwareIdentifier": HASH}, **fields)


def do_import(client, *records, **kwargs):
    return client.post(IMPORT, json={"importedWindowsAutopilotDeviceIdentities": list(records)},
                       **kwargs)


def all_pages(client, path, **params):
    """Follow @odata.nextLink to the end -> (items, number of pages)."""
    answer = client.get(path, params=params)
    assert answer.status_code == 200, answer.text
    items, pages = list(answer.json()["value"]), 1
    while "@odata.nextLink" in answer.json():
        link = answer.json()["@odata.nextLink"]
        assert link.startswith(client.base + path + "?") and "$skiptoken=" in link
        answer = client.session.get(link, verify=client.sim.ca_path, timeout=10)
        assert answer.status_code == 200, answer.text
        items.extend(answer.json()["value"])
        pages += 1
    return items, pages


def import_state(client, record_id):
    answer = client.get(IMPORTS + "/" + record_id)
    assert answer.status_code == 200, answer.text
    return answer.json()["state"]


def finish_sync(sim, client, seconds=30):
    assert client.post(SYNC).status_code == 204
    sim.advance_clock(seconds)


# --- device identities ---------------------------------------------------------------------------
def test_device_shape_headers_and_both_versions(sim):
    tid, cid = new_tenant(sim)
    [device_id] = sim.add_devices(tid, [{"serial_number": "PF3ABC12", "group_tag": "Sales",
                                         "enrollmentState": "enrolled",
                                         "last_contacted_date_time": "2026-01-02T03:04:05Z"}])
    client = graph(sim, tid, cid)
    answer = client.get(DEVICES, headers={"client-request-id": "mine"})
    assert answer.status_code == 200 and answer.headers["client-request-id"] == "mine"
    assert uuid.UUID(answer.headers["request-id"]) and answer.headers["OData-Version"] == "4.0"
    body = answer.json()
    assert body["@odata.context"] == sim.url + "/beta/$metadata#deviceManagement/" \
                                               "windowsAutopilotDeviceIdentities"
    assert "@odata.nextLink" not in body
    [device] = body["value"]
    assert device["id"] == device_id and device["serialNumber"] == "PF3ABC12"
    assert device["groupTag"] == "Sales" and device["enrollmentState"] == "enrolled"
    assert device["lastContactedDateTime"] == "2026-01-02T03:04:05.0000000Z"
    assert GRAPH_TIME.match(device["lastContactedDateTime"])
    assert device["deploymentProfileAssignedDateTime"] == NEVER
    assert device["deploymentProfileAssignmentStatus"] == "notAssigned"
    assert device["azureActiveDirectoryDeviceId"] == device["azureAdDeviceId"]
    assert device["managedDeviceId"] == "00000000-0000-0000-0000-000000000000"
    for name in ("purchaseOrderIdentifier", "productKey", "manufacturer", "model",
                 "addressableUserName", "userPrincipalName", "resourceName", "skuNumber",
                 "systemFamily", "displayName", "deploymentProfileAssignmentDetailedStatus"):
        assert isinstance(device[name], str), name
    one = client.get("/v1.0/deviceManagement/windowsAutopilotDeviceIdentities/" + device_id)
    assert one.status_code == 200
    assert one.json()["@odata.context"].endswith(
        "/v1.0/$metadata#deviceManagement/windowsAutopilotDeviceIdentities/$entity")
    assert {k: v for k, v in one.json().items() if k != "@odata.context"} == device
    selected = client.get(DEVICES, params={"$select": "id,serialNumber"}).json()["value"][0]
    assert set(selected) == {"@odata.type", "id", "serialNumber"}


def test_unknown_device_is_404_in_intunes_shape(sim):
    tid, cid = new_tenant(sim)
    answer = graph(sim, tid, cid).get(DEVICES + "/" + str(uuid.uuid4()))
    assert answer.status_code == 404
    assert answer.json()["error"]["code"] == "ResourceNotFound"
    inner = intune_message(answer)
    assert "/deviceManagement/windowsAutopilotDeviceIdentities/" in inner["Message"]
    assert inner["RetryAfter"] is None


def test_paging_follows_next_link_over_several_pages(sim):
    tid, cid = new_tenant(sim, device_page_size=7)
    ids = sim.add_devices(tid, 30)
    client = graph(sim, tid, cid)
    items, pages = all_pages(client, DEVICES)
    assert pages == 5 and [d["id"] for d in items] == ids
    smaller, pages = all_pages(client, DEVICES, **{"$top": 4})
    assert pages == 8 and [d["id"] for d in smaller] == ids
    first = client.get(DEVICES, params={"$top": 50}).json()
    assert len(first["value"]) == 7  # Graph may return fewer than $top
    assert "%24top=50" in first["@odata.nextLink"] or "$top=50" in first["@odata.nextLink"]
    assert client.get(DEVICES, params={"$top": "x"}).status_code == 400
    assert client.get(DEVICES, params={"$skiptoken": "garbage"}).status_code == 400
    assert client.get(DEVICES, params={"$orderby": "serialNumber"}).status_code == 400


def test_offset_skiptoken_skips_an_item_when_one_before_it_is_deleted(sim):
    tid, cid = new_tenant(sim, device_page_size=5)
    ids = sim.add_devices(tid, 10)
    client = graph(sim, tid, cid)
    first = client.get(DEVICES).json()
    assert client.delete(DEVICES + "/" + ids[0]).status_code == 200
    second = client.session.get(first["@odata.nextLink"], verify=sim.ca_path).json()
    seen = [d["id"] for d in first["value"] + second["value"]]
    assert ids[5] not in seen and len(seen) == 9  # shifted back one place: missed


def test_filters_contains_serial_and_group_tag_eq(sim):
    tid, cid = new_tenant(sim, device_page_size=2)
    sim.add_devices(tid, [{"serialNumber": "AB-1%d" % n, "groupTag": "Kiosk"} for n in range(3)])
    sim.add_devices(tid, [{"serialNumber": "zz-ab-9", "groupTag": "kiosk"},
                          {"serialNumber": "O'Neil-7", "groupTag": "Sales"}])
    client = graph(sim, tid, cid)
    found, pages = all_pages(client, DEVICES, **{"$filter": "contains(serialNumber,'ab-')"})
    assert sorted(d["serialNumber"] for d in found) == ["AB-10", "AB-11", "AB-12", "zz-ab-9"]
    assert pages == 2  # the filter travels in the nextLink
    tagged, _pages = all_pages(client, DEVICES, **{"$filter": "groupTag eq 'Kiosk'"})
    assert len(tagged) == 3 and {d["groupTag"] for d in tagged} == {"Kiosk"}
    quoted = client.get(DEVICES, params={"$filter": "contains(serialNumber, 'o''neil')"})
    assert [d["serialNumber"] for d in quoted.json()["value"]] == ["O'Neil-7"]
    for bad in ("serialNumber eq 'AB-10'", "startswith(serialNumber,'AB')", "groupTag eq Kiosk",
                "contains(groupTag,'K')"):
        refused = client.get(DEVICES, params={"$filter": bad})
        assert refused.status_code == 400, bad
        error = refused.json()["error"]
        assert error["code"] == "BadRequest" and error["message"].startswith("Invalid filter clause")


def test_updates_and_deletions_show_only_after_the_lag(sim):
    tid, cid = new_tenant(sim, device_change_lag=5)
    [device_id] = sim.add_devices(tid, [{"serialNumber": "LAG1", "groupTag": "Old"}])
    client = graph(sim, tid, cid)
    path = DEVICES + "/" + device_id
    update = client.post(path + "/updateDeviceProperties",
                         json={"groupTag": "New", "displayName": "KIOSK-01"})
    assert update.status_code == 204 and update.content == b""
    assert client.get(path).json()["groupTag"] == "Old"
    assert sim.devices(tid)[0]["groupTag"] == "New"  # the truth, without lag
    sim.advance_clock(5)
    shown = client.get(path).json()
    assert (shown["groupTag"], shown["displayName"]) == ("New", "KIOSK-01")
    deleted = client.delete(path)
    assert deleted.status_code == 200 and deleted.content == b""
    assert client.get(path).status_code == 200  # still shown
    assert [d["id"] for d in client.get(DEVICES).json()["value"]] == [device_id]
    assert sim.devices(tid) == []
    assert client.delete(path).status_code == 404  # a retry: Graph already accepted it
    assert client.post(path + "/updateDeviceProperties", json={"groupTag": "X"}).status_code == 404
    sim.advance_clock(5)
    assert client.get(path).status_code == 404
    assert client.get(DEVICES).json()["value"] == []


def test_update_refuses_unknown_properties_and_delete_can_answer_204(sim):
    tid, cid = new_tenant(sim, device_delete_status=204)
    [device_id] = sim.add_devices(tid, 1)
    client = graph(sim, tid, cid)
    refused = client.post(DEVICES + "/%s/updateDeviceProperties" % device_id,
                          json={"groupTag": "A", "serialNumber": "B"})
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "BadRequest"
    assert "serialNumber" in intune_message(refused)["Message"]
    assert sim.devices(tid)[0]["groupTag"] == ""  # nothing applied
    deleted = client.delete(DEVICES + "/" + device_id)
    assert deleted.status_code == 204 and deleted.content == b""


def test_assign_and_unassign_user(sim):
    tid, cid = new_tenant(sim)
    [device_id] = sim.add_devices(tid, 1)
    client = graph(sim, tid, cid)
    path = DEVICES + "/" + device_id
    assert client.post(path + "/assignUserToDevice", json={
        "userPrincipalName": "ada@contoso.com", "addressableUserName": "Ada"}).status_code == 204
    shown = client.get(path).json()
    assert (shown["userPrincipalName"], shown["addressableUserName"]) == ("ada@contoso.com", "Ada")
    assert client.post(path + "/assignUserToDevice", json={}).status_code == 400
    assert client.post(path + "/unassignUserFromDevice").status_code == 204
    assert client.get(path).json()["userPrincipalName"] == ""


# --- imports -------------------------------------------------------------------------------------
def test_import_answer_then_unknown_pending_complete_on_the_simulated_clock(sim):
    tid, cid = new_tenant(sim, import_seconds=4)
    client = graph(sim, tid, cid)
    answer = do_import(client, record("IMP1", groupTag="Kiosk",
                                      assignedUserPrincipalName="ada@contoso.com"),
                       record("IMP2", productKey="KEY"))
    assert answer.status_code == 200, answer.text
    assert answer.json()["@odata.context"].endswith(
        "$metadata#Collection(microsoft.graph.importedWindowsAutopilotDeviceIdentity)")
    first, second = answer.json()["value"]
    assert first["id"] != second["id"] and uuid.UUID(first["id"])
    assert first["importId"] == second["importId"] and uuid.UUID(first["importId"])
    assert (first["serialNumber"], first["groupTag"], first["hardwareIdentifier"]) == (
        "IMP1", "Kiosk", HASH)
    assert first["assignedUserPrincipalName"] == "ada@contoso.com"
    assert second["productKey"] == "KEY"
    assert first["state"] == {
        "@odata.type": "microsoft.graph.importedWindowsAutopilotDeviceIdentityState",
        "deviceImportStatus": "unknown", "deviceRegistrationId": "", "deviceErrorCode": 0,
        "deviceErrorName": ""}
    assert client.get(IMPORTS + "/" + first["id"]).json()["hardwareIdentifier"] is None
    assert import_state(client, first["id"])["deviceImportStatus"] == "unknown"
    sim.advance_clock(2)
    assert import_state(client, first["id"])["deviceImportStatus"] == "pending"
    sim.advance_clock(2)
    done = import_state(client, first["id"])
    assert done["deviceImportStatus"] == "complete" and uuid.UUID(done["deviceRegistrationId"])
    assert done["deviceErrorCode"] == 0
    given = do_import(client, record("IMP3", importId="mine")).json()["value"][0]
    assert given["importId"] == "mine"
    assert sim.import_stats(tid)["records_created"] == 3 and sim.import_stats(tid)["requests"] == 2


def test_completed_import_is_a_device_only_after_the_next_sync_has_finished(sim):
    tid, cid = new_tenant(sim, import_seconds=1, sync_seconds=30,
                          import_profile_status="pending")
    client = graph(sim, tid, cid)
    rec = do_import(client, record("SYNC1", groupTag="Lab",
                                   assignedUserPrincipalName="bob@contoso.com")).json()["value"][0]
    sim.advance_clock(1)
    registration = import_state(client, rec["id"])["deviceRegistrationId"]
    assert registration and client.get(DEVICES).json()["value"] == []
    assert client.post(SYNC).status_code == 204
    sim.advance_clock(29)
    assert client.get(DEVICES).json()["value"] == []  # the sync is still running
    assert sim.import_stats(tid)["waiting_for_sync"] == 1
    sim.advance_clock(1)
    [device] = client.get(DEVICES).json()["value"]
    assert device["id"] == registration and device["serialNumber"] == "SYNC1"
    assert (device["groupTag"], device["userPrincipalName"]) == ("Lab", "bob@contoso.com")
    assert device["enrollmentState"] == "notContacted"
    assert device["deploymentProfileAssignmentStatus"] == "pending"
    assert client.get(IMPORTS + "/" + rec["id"]).status_code == 200  # the record stays


def test_a_sync_started_before_completion_or_failed_lists_nothing(sim):
    tid, cid = new_tenant(sim, import_seconds=10, sync_seconds=30)
    client = graph(sim, tid, cid)
    do_import(client, record("EARLY1"))
    finish_sync(sim, client)  # started before the import completed (at +10 s)
    assert sim.get_settings(tid)["syncStatus"] == "completed"
    assert client.get(DEVICES).json()["value"] == []
    sim.update_tenant(tid, sync_result="failed")
    sim.advance_clock(600)
    finish_sync(sim, client)
    assert client.get(DEVICES).json()["value"] == []
    sim.update_tenant(tid, sync_result="completed")
    sim.advance_clock(600)
    finish_sync(sim, client)
    assert [d["serialNumber"] for d in client.get(DEVICES).json()["value"]] == ["EARLY1"]


def test_import_errors_806_808_and_forced(sim):
    tid, cid = new_tenant(sim, import_seconds=2,
                          import_errors={"bad1": [999, "SimulatedImportError"]})
    other, other_cid = new_tenant(sim)
    sim.add_devices(tid, [{"serialNumber": "MINE1"}])
    sim.add_devices(other, [{"serialNumber": "THEIRS1"}])
    sim.set_foreign_serials(["FAR1"])
    client = graph(sim, tid, cid)
    serials = ["MINE1", "THEIRS1", "far1", "BAD1", "NEW1", "NEW1"]
    records = do_import(client, *[record(s) for s in serials]).json()["value"]
    sim.advance_clock(2)
    states = [import_state(client, r["id"]) for r in records]
    outcome = [(s["deviceImportStatus"], s["deviceErrorCode"], s["deviceErrorName"]) for s in states]
    assert outcome == [("error", 806, "ZtdDeviceAlreadyAssigned"),
                       ("error", 808, "ZtdDeviceAssignedToOtherTenant"),
                       ("error", 808, "ZtdDeviceAssignedToOtherTenant"),
                       ("error", 999, "SimulatedImportError"),
                       ("complete", 0, ""),
                       ("error", 806, "ZtdDeviceAlreadyAssigned")]
    assert all(s["deviceRegistrationId"] == "" for s in states if s["deviceImportStatus"] == "error")
    again = do_import(client, record("NEW1")).json()["value"][0]  # completed, not yet synced
    sim.advance_clock(2)
    assert import_state(client, again["id"])["deviceErrorCode"] == 806
    elsewhere = graph(sim, other, other_cid)
    theirs = do_import(elsewhere, record("new1")).json()["value"][0]
    sim.advance_clock(2)
    assert import_state(elsewhere, theirs["id"])["deviceErrorCode"] == 808


def test_staggered_batch_completes_record_by_record(sim):
    tid, cid = new_tenant(sim, import_seconds=2, import_stagger=3)
    client = graph(sim, tid, cid)
    records = do_import(client, record("ST1"), record("ST2")).json()["value"]
    sim.advance_clock(2)
    assert [import_state(client, r["id"])["deviceImportStatus"] for r in records] == [
        "complete", "pending"]
    sim.advance_clock(3)
    assert import_state(client, records[1]["id"])["deviceImportStatus"] == "complete"


@pytest.mark.parametrize("body, text", [
    ({}, "non-empty importedWindowsAutopilotDeviceIdentities"),
    ({"importedWindowsAutopilotDeviceIdentities": []}, "non-empty"),
    ({"importedWindowsAutopilotDeviceIdentities": [{"hardwareIdentifier": HASH}]}, "required"),
    ({"importedWindowsAutopilotDeviceIdentities": [{"serialNumber": "S1"}]}, "required"),
    ({"importedWindowsAutopilotDeviceIdentities": [record("S1", hardwareIdentifier="not base64!")]},
     "not base64"),
    ({"importedWindowsAutopilotDeviceIdentities": [record("S1", orderIdentifier="x")]},
     "'orderIdentifier' does not exist"),
    ({"importedWindowsAutopilotDeviceIdentities": [record("S%d" % n) for n in range(4)]},
     "at most 3"),
])
def test_invalid_imports_are_400_and_create_nothing(sim, body, text):
    tid, cid = new_tenant(sim, import_max_batch=3)
    answer = graph(sim, tid, cid).post(IMPORT, json=body)
    assert answer.status_code == 400 and answer.json()["error"]["code"] == "BadRequest"
    assert text in intune_message(answer)["Message"]
    stats = sim.import_stats(tid)
    assert (stats["records_created"], stats["requests"], stats["refused"]) == (0, 0, 1)


def test_import_records_list_filter_get_and_delete(sim):
    tid, cid = new_tenant(sim, import_seconds=1, sync_seconds=5)
    client = graph(sim, tid, cid)
    batch = do_import(client, record("LIST1"), record("LIST2")).json()["value"]
    do_import(client, record("OTHER9"))
    listed = client.get(IMPORTS, params={"$filter": "importId eq '%s'" % batch[0]["importId"]})
    assert [r["serialNumber"] for r in listed.json()["value"]] == ["LIST1", "LIST2"]
    by_serial = client.get(IMPORTS, params={"$filter": "contains(serialNumber,'other')"})
    assert [r["serialNumber"] for r in by_serial.json()["value"]] == ["OTHER9"]
    assert client.get(IMPORTS, params={"$filter": "groupTag eq 'x'"}).status_code == 400
    assert len(client.get(IMPORTS).json()["value"]) == 3
    path = IMPORTS + "/" + batch[0]["id"]
    deleted = client.delete(path)
    assert deleted.status_code == 200 and deleted.content == b""
    assert client.get(path).status_code == 404 and client.delete(path).status_code == 404
    assert sim.import_stats(tid)["records"] == 2
    sim.advance_clock(1)
    finish_sync(sim, client, 5)  # deleting the record undid nothing
    assert "LIST1" in [d["serialNumber"] for d in client.get(DEVICES).json()["value"]]


def test_create_one_import_record_by_post_to_the_collection(sim):
    tid, cid = new_tenant(sim)
    client = graph(sim, tid, cid)
    created = client.post(IMPORTS, json=record("ONE1", groupTag="G"))
    assert created.status_code == 201 and created.json()["serialNumber"] == "ONE1"
    assert created.json()["@odata.context"].endswith(
        "#deviceManagement/importedWindowsAutopilotDeviceIdentities/$entity")
    assert client.post(IMPORTS, json={"serialNumber": "ONE2"}).status_code == 400
    assert sim.import_stats(tid)["records_created"] == 1


# --- lost answers, throttling, faults -----------------------------------------------------------
@pytest.mark.parametrize("kind, params, error", [
    ("acted_then_status", {"status": 503}, None),
    ("acted_then_status", {"status": 429}, None),
    ("acted_then_reset", {}, requests.exceptions.ConnectionError),
    ("acted_then_slow", {"delay": 0.6}, requests.exceptions.ReadTimeout),
])
def test_an_import_whose_answer_is_lost_after_the_records_were_created(sim, kind, params, error):
    tid, cid = new_tenant(sim, import_seconds=1)
    sim.add_fault(kind, tenant=tid, endpoint="import", **params)
    client = graph(sim, tid, cid)
    if error is None:
        answer = do_import(client, record("LOST1"), record("LOST2"))
        assert answer.status_code == params["status"]
    else:
        with pytest.raises(error):
            do_import(client, record("LOST1"), record("LOST2"), timeout=0.3)
    stats = sim.import_stats(tid)
    assert (stats["requests"], stats["records_created"]) == (1, 2)
    assert sorted(r["serialNumber"] for r in sim.imported_devices(tid)) == ["LOST1", "LOST2"]
    entry = sim.log(tenant=tid, endpoint="import")[-1]
    assert (entry["fault"], entry["handled"]) == (kind, 200)
    retry = do_import(client, record("LOST1")).json()["value"][0]  # the client retries blindly
    sim.advance_clock(1)
    assert import_state(client, retry["id"])["deviceErrorCode"] == 806


@pytest.mark.parametrize("write", ["delete", "update", "delete_record"])
def test_device_writes_whose_answer_is_lost_did_happen(sim, write):
    tid, cid = new_tenant(sim)
    [device_id] = sim.add_devices(tid, 1)
    client = graph(sim, tid, cid)
    rec = do_import(client, record("ACT1")).json()["value"][0]
    path, endpoint, call = {
        "delete": (DEVICES + "/" + device_id, "device", client.delete),
        "update": (DEVICES + "/%s/updateDeviceProperties" % device_id, "device_action",
                   lambda p: client.post(p, json={"groupTag": "Done"})),
        "delete_record": (IMPORTS + "/" + rec["id"], "import_record", client.delete)}[write]
    sim.add_fault("acted_then_status", tenant=tid, endpoint=endpoint, status=504)
    assert call(path).status_code == 504
    if write == "delete":
        assert sim.devices(tid) == [] and call(path).status_code == 404  # a retry: 404
    elif write == "update":
        assert sim.devices(tid)[0]["groupTag"] == "Done" and call(path).status_code == 204
    else:
        assert sim.imported_devices(tid) == [] and call(path).status_code == 404
    assert sim.log(tenant=tid, endpoint=endpoint)[0]["handled"] in (200, 204)


def test_an_import_can_fail_part_way(sim):
    tid, cid = new_tenant(sim)
    sim.add_fault("acted_then_status", tenant=tid, endpoint="import", status=500, acted_records=1)
    answer = do_import(graph(sim, tid, cid), record("PART1"), record("PART2"))
    assert answer.status_code == 500 and intune_message(answer)
    assert [r["serialNumber"] for r in sim.imported_devices(tid)] == ["PART1"]


def test_throttled_import_is_intunes_429_without_retry_after(sim):
    tid, cid = new_tenant(sim)
    sim.add_fault("status", tenant=tid, endpoint="import", status=429)
    client = graph(sim, tid, cid)
    answer = do_import(client, record("T1"), headers={"client-request-id": "corr-429"})
    assert answer.status_code == 429 and "Retry-After" not in answer.headers
    error = answer.json()["error"]
    assert error["code"] == "TooManyRequests"
    assert error["innerError"]["request-id"] == answer.headers["request-id"]
    assert error["innerError"]["client-request-id"] == "corr-429"
    inner = intune_message(answer)
    assert inner["RetryAfter"] is None and inner["Message"].startswith("An error has occurred")
    assert "importedWindowsAutopilotDeviceIdentities/import?api-version=" in inner["Message"]
    assert sim.import_stats(tid)["records_created"] == 0
    sim.add_fault("status", tenant=tid, endpoint="import", status=429, retry_after=30)
    assert do_import(client, record("T1")).headers["Retry-After"] == "30"
    sim.add_fault("status", tenant=tid, endpoint="import", status=429, shape="graph")
    plain = do_import(client, record("T1")).json()["error"]["message"]
    assert not plain.startswith("{")


def test_intune_write_limit_throttles_with_retry_after_only_when_asked(sim):
    tid, cid = new_tenant(sim, device_write_limit=2, device_write_window=20)
    client = graph(sim, tid, cid)
    assert [do_import(client, record("W%d" % n)).status_code for n in range(3)] == [200, 200, 429]
    throttled = do_import(client, record("W9"))
    assert "Retry-After" not in throttled.headers and intune_message(throttled)
    assert client.get(IMPORTS).status_code == 200  # reads are not limited
    assert sim.import_stats(tid)["refused"] == 2
    sim.update_tenant(tid, intune_retry_after=True)
    assert 1 <= int(do_import(client, record("W9")).headers["Retry-After"]) <= 20
    sim.advance_clock(20)
    assert do_import(client, record("W9")).status_code == 200


def test_gateway_faults_on_device_endpoints_keep_graphs_plain_shape(sim):
    tid, cid = new_tenant(sim)
    sim.add_devices(tid, 3)
    client = graph(sim, tid, cid)
    sim.add_fault("status", tenant=tid, endpoint="devices", status=503, retry_after=5)
    gateway = client.get(DEVICES)
    assert gateway.status_code == 503 and gateway.headers["Retry-After"] == "5"
    assert gateway.json()["error"]["code"] == "ServiceUnavailable"
    assert not gateway.json()["error"]["message"].startswith("{")
    sim.add_fault("status", tenant=tid, endpoint="device_action", status=409)
    conflict = client.post(DEVICES + "/x/unassignUserFromDevice")
    assert conflict.status_code == 409 and intune_message(conflict)


@pytest.mark.parametrize("endpoint, method, path", [
    ("devices", "get", DEVICES), ("device", "get", DEVICES + "/{id}"),
    ("device", "delete", DEVICES + "/{id}"),
    ("device_action", "post", DEVICES + "/{id}/unassignUserFromDevice"),
    ("imports", "get", IMPORTS), ("import", "post", IMPORT),
])
def test_every_fault_kind_reaches_the_new_endpoints(sim, endpoint, method, path):
    tid, cid = new_tenant(sim)
    [device_id] = sim.add_devices(tid, 1)
    client = graph(sim, tid, cid)
    path = path.format(id=device_id)
    kwargs = {"json": {"importedWindowsAutopilotDeviceIdentities": [record("F1")]}} \
        if endpoint == "import" else {}

    def call(**extra):
        return getattr(client, method)(path, **dict(kwargs, **extra))

    sim.add_fault("html", tenant=tid, endpoint=endpoint)
    assert call().headers["Content-Type"].startswith("text/html")
    sim.add_fault("empty", tenant=tid, endpoint=endpoint)
    assert call().content == b""
    sim.add_fault("reset", tenant=tid, endpoint=endpoint)
    with pytest.raises(requests.exceptions.ConnectionError):
        call()
    sim.add_fault("slow", tenant=tid, endpoint=endpoint, delay=0.5)
    with pytest.raises(requests.exceptions.ReadTimeout):
        call(timeout=0.2)
    deadline = time.monotonic() + 5  # the slow answer is logged when it is finally sent
    while len(sim.log(tenant=tid, endpoint=endpoint)) < 4 and time.monotonic() < deadline:
        time.sleep(0.05)
    sim.add_fault("expired_token", tenant=tid, endpoint=endpoint)
    assert call().status_code == 401
    sim.add_fault("truncated_json", tenant=tid, endpoint=endpoint)
    with pytest.raises(ValueError):
        json.loads(call().content)
    entries = sim.log(tenant=tid, endpoint=endpoint)
    assert [e["fault"] for e in entries] == ["html", "empty", "reset", "slow", "expired_token",
                                             "truncated_json"]


def test_malformed_fault_on_objects_and_list_items(sim):
    tid, cid = new_tenant(sim)
    [device_id] = sim.add_devices(tid, 2)[:1]
    client = graph(sim, tid, cid)
    sim.add_fault("malformed", tenant=tid, endpoint="device", values={"enrollmentState": 7},
                  missing=["serialNumber"])
    one = client.get(DEVICES + "/" + device_id).json()
    assert one["enrollmentState"] == 7 and "serialNumber" not in one
    sim.add_fault("malformed", tenant=tid, endpoint="devices", missing=["@odata.context"],
                  each_values={"lastContactedDateTime": "2026-02-30T00:00:00Z"},
                  each_missing=["id"])
    page = client.get(DEVICES).json()
    assert "@odata.context" not in page and len(page["value"]) == 2
    assert all("id" not in d and d["lastContactedDateTime"] == "2026-02-30T00:00:00Z"
               for d in page["value"])


# --- permissions -------------------------------------------------------------------------------
def test_read_roles_read_and_only_readwrite_writes(sim):
    tid, cid = new_tenant(sim, roles=(READ,))
    [device_id] = sim.add_devices(tid, 1)
    for role in (READ, "DeviceManagementConfiguration.ReadWrite.All"):
        client = graph(sim, tid, cid, roles=(role,))
        assert client.get(DEVICES).status_code == 200
        assert client.get(IMPORTS).status_code == 200
        for answer in (do_import(client, record("P1")), client.delete(DEVICES + "/" + device_id),
                       client.post(DEVICES + "/%s/updateDeviceProperties" % device_id, json={}),
                       client.post(DEVICES + "/%s/assignUserToDevice" % device_id, json={})):
            assert answer.status_code == 403, role
            assert answer.json()["error"]["code"] == "Forbidden"
            assert RW in answer.json()["error"]["message"]
    assert sim.import_stats(tid)["records_created"] == 0 and len(sim.devices(tid)) == 1
    assert Client(sim).get(DEVICES).status_code == 401
    assert Client(sim, "garbage").post(IMPORT, json={}).status_code == 401
    bare, bare_cid = new_tenant(sim, intune=False)
    assert graph(sim, bare, bare_cid).get(DEVICES).status_code == 404
    assert graph(sim, tid, cid).put(DEVICES).status_code == 405


# --- control API, config, scale ------------------------------------------------------------------
def test_control_api_for_devices_imports_and_foreign_serials(sim):
    control = Client(sim)
    tid = control.post("/_sim/tenants", json={"import_seconds": 0,
                                              "device_page_size": 3}).json()["tenant_id"]
    ids = control.post("/_sim/tenants/%s/devices" % tid, json={
        "devices": 4, "group_tag": "Seeded"}).json()["ids"]
    assert len(ids) == 4
    truth = control.get("/_sim/tenants/%s/devices" % tid).json()["devices"]
    assert [d["id"] for d in truth] == ids and {d["groupTag"] for d in truth} == {"Seeded"}
    assert control.put("/_sim/foreign-serials", json={"serials": ["f1"]}).json() == {
        "serials": ["F1"]}
    assert control.patch("/_sim/tenants/%s" % tid, json={"device_change_lag": 3}).status_code == 200
    assert control.patch("/_sim/tenants/%s" % tid, json={"import_max_batch": 0}).status_code == 400
    assert control.patch("/_sim/tenants/%s" % tid, json={"bogus": 1}).status_code == 400
    cid = control.post("/_sim/tenants/%s/apps" % tid, json={"secret": "x"}).json()["client_id"]
    do_import(graph(sim, tid, cid), record("F1"))
    imports = control.get("/_sim/tenants/%s/imports" % tid).json()
    assert (imports["requests"], imports["records_created"], imports["records"]) == (1, 1, 1)
    assert imports["imports"][0]["state"]["deviceErrorCode"] == 808
    assert imports["imports"][0]["hardwareIdentifier"] == HASH
    assert control.post("/_sim/tenants/%s/devices" % tid, json={
        "devices": [{"bogus": 1}]}).status_code == 400
    with pytest.raises(ValueError):
        sim.add_tenant(devices_page_size=1)  # a misspelt knob
    assert len(sim.state.tenant_ids()) == 1  # ... refused before the tenant existed


def test_config_seeds_devices_knobs_and_foreign_serials(tmp_path):
    tid = str(uuid.uuid4())
    config = {"foreign_serials": ["ELSEWHERE1"], "tenants": [{
        "tenant_id": tid, "device_page_size": 2, "import_seconds": 0,
        "devices": [{"serialNumber": "CFG1"}, {"serialNumber": "CFG2"}, {"serialNumber": "CFG3"}],
        "apps": [{"client_id": str(uuid.uuid4()), "secret": "x", "roles": [RW]}]}]}
    with Simulator(tmp_path / "state", config=config) as sim:
        sim.add_devices(tid, 5)
        sim.set_foreign_serials([])
        sim.reset()
        assert [d["serialNumber"] for d in sim.devices(tid)] == ["CFG1", "CFG2", "CFG3"]
        assert sim.foreign_serials() == ["ELSEWHERE1"]
        cid = config["tenants"][0]["apps"][0]["client_id"]
        client = graph(sim, tid, cid)
        assert len(client.get(DEVICES).json()["value"]) == 2
        do_import(client, record("ELSEWHERE1"))
        assert sim.imported_devices(tid)[0]["state"]["deviceErrorCode"] == 808


def test_ten_thousand_devices_seed_fast_and_page_completely(sim):
    tid, cid = new_tenant(sim)
    started = time.perf_counter()
    ids = sim.add_devices(tid, 10_000)
    seeded = time.perf_counter() - started
    client = graph(sim, tid, cid)
    started = time.perf_counter()
    items, pages = all_pages(client, DEVICES)
    paged = time.perf_counter() - started
    print("\n10,000 devices: seeded in %.3f s, %d pages read in %.3f s" % (seeded, pages, paged))
    assert pages == 100 and len(items) == 10_000
    assert [d["id"] for d in items] == ids
    assert len({d["serialNumber"] for d in items}) == 10_000
