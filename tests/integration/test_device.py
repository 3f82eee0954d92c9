"""autopilot_device through real ansible-playbook runs against the simulator, on both doors.

Faults of its calls (a lost DELETE or update answer, Intune's 429, a 403 for a read-only app) are
rows of test_fault_matrix.py.
"""

import pytest

READ_ONLY = ["DeviceManagementServiceConfig.Read.All"]
UNKNOWN_ID = "6c4b3a8e-0d1f-4a2b-9c3d-4e5f6a7b8c9d"


def device_task(name="device", **options):
    return {"name": name, "intune.autopilot.autopilot_device": options, "register": name}


def writes(tenant):
    """(method, last path segment) of every write the tenant's Graph received."""
    return [(e["method"], e["path"].rsplit("/", 1)[-1]) for e in tenant.log()
            if e["endpoint"] in ("device", "device_action") and e["method"] != "GET"]


def truth(tenant):
    return {d["serialNumber"]: d for d in tenant.sim.devices(tenant.tenant_id)}


def read_only(tenant):
    client_id = tenant.sim.add_app(tenant.tenant_id, secret="read-only-secret", roles=READ_ONLY)
    return dict(tenant.connection, client_id=client_id, client_secret="read-only-secret")


def test_present_sets_only_what_differs_and_a_second_run_sends_nothing(tenant, run_playbook):
    (device_id,) = tenant.sim.add_devices(tenant.tenant_id, [{"serialNumber": "PF3X9K2L", "groupTag": "Sales"}])
    wanted = dict(serial_number="pf3x9k2l", group_tag="Sales", display_name="SALES-1",
                  user_principal_name="ann@contoso.com")
    run = run_playbook([device_task("first", **wanted), device_task("second", **wanted)],
                       module_defaults=tenant.connection)

    assert run.rc == 0, run.stdout + run.stderr
    first, second = run.result("first")["result"], run.result("second")["result"]
    assert first["changed"] is True
    assert first["diff"] == {
        "before": {"group_tag": "Sales", "display_name": "", "user_principal_name": ""},
        "after": {"group_tag": "Sales", "display_name": "SALES-1", "user_principal_name": "ann@contoso.com"}}
    assert first["device"]["id"] == device_id
    assert first["device"]["display_name"] == "SALES-1"  # no lag: the read after the change shows it
    assert second["changed"] is False
    assert second["diff"]["before"] == second["diff"]["after"]
    assert writes(tenant) == [("POST", "updateDeviceProperties")]  # one write, the first run's
    assert truth(tenant)["PF3X9K2L"]["userPrincipalName"] == "ann@contoso.com"
    assert first["tenant_id"] == tenant.tenant_id and second["tenant"] == tenant.tenant_id
    assert first["graph_permissions"] == ["DeviceManagementServiceConfig.ReadWrite.All"]


def test_an_empty_user_unassigns_and_an_empty_tag_clears(tenant, run_playbook):
    (device_id,) = tenant.sim.add_devices(tenant.tenant_id,
                                          [{"groupTag": "Sales", "userPrincipalName": "ann@contoso.com"}])
    run = run_playbook([device_task(id=device_id, group_tag="", user_principal_name="")],
                       module_defaults=tenant.connection)

    assert run.rc == 0, run.stdout + run.stderr
    assert run.result("device")["result"]["changed"] is True
    assert writes(tenant) == [("POST", "updateDeviceProperties"), ("POST", "unassignUserFromDevice")]
    (device,) = tenant.sim.devices(tenant.tenant_id)
    assert (device["groupTag"], device["userPrincipalName"]) == ("", "")


def test_check_mode_and_diff_send_no_write(tenant, run_playbook):
    tenant.sim.add_devices(tenant.tenant_id, [{"serialNumber": "PF3X9K2L"}])
    run = run_playbook([device_task(serial_number="PF3X9K2L", group_tag="HR"),
                        device_task("delete", serial_number="PF3X9K2L", state="absent")],
                       module_defaults=tenant.connection, check=True, extra_args=["--diff"])

    assert run.rc == 0, run.stdout + run.stderr
    result = run.result("device")["result"]
    assert result["changed"] is True
    assert result["diff"]["after"]["group_tag"] == "HR"
    assert result["device"]["group_tag"] == ""  # Graph's, as read
    assert '-    "group_tag": "",\n+    "group_tag": "HR",' in run.stdout  # what --diff shows
    assert run.result("delete")["result"]["changed"] is True
    assert run.result("delete")["result"]["diff"]["after"] == {}
    assert writes(tenant) == []
    assert truth(tenant)["PF3X9K2L"]["groupTag"] == ""


def test_check_mode_predicts_the_403_of_a_read_only_app_without_writing(tenant, run_playbook):
    tenant.sim.add_devices(tenant.tenant_id, [{"serialNumber": "PF3X9K2L"}])
    run = run_playbook([device_task(serial_number="PF3X9K2L", group_tag="HR")],
                       module_defaults=read_only(tenant), check=True)

    failed = run.result("device")
    assert failed["status"] == "failed"
    assert "would answer 403 Forbidden (predicted in check mode" in failed["result"]["msg"]
    assert "DeviceManagementServiceConfig.ReadWrite.All" in failed["result"]["msg"]
    assert failed["result"]["tenant_id"] == tenant.tenant_id
    assert writes(tenant) == []


def test_a_device_not_registered_says_to_import_its_hash(tenant, run_playbook):
    tasks = [dict(device_task(serial_number="NOTHERE1", group_tag="HR"), ignore_errors=True),
             dict(device_task("by_id", id=UNKNOWN_ID), ignore_errors=True)]
    run = run_playbook(tasks, module_defaults=tenant.connection)

    by_serial, by_id = run.result("device"), run.result("by_id")
    assert by_serial["status"] == by_id["status"] == "failed"
    assert by_serial["result"]["msg"].startswith(
        "No Windows Autopilot device with serial number NOTHERE1 is registered in this tenant. Import its "
        "hardware hash with intune.autopilot.autopilot_device_import")
    assert "with id %s is registered" % UNKNOWN_ID in by_id["result"]["msg"]
    assert by_serial["result"]["changed"] is False
    assert by_serial["result"]["tenant_id"] == tenant.tenant_id
    assert writes(tenant) == []


def test_lag_without_wait_returns_graphs_read_and_with_wait_polls_until_shown(make_tenant, run_playbook):
    tenant = make_tenant(device_change_lag=4)
    tenant.sim.add_devices(tenant.tenant_id, [{"serialNumber": "LAG1"}, {"serialNumber": "LAG2"}])
    run = run_playbook([device_task("quick", serial_number="LAG1", display_name="PC-1"),
                        device_task("patient", serial_number="LAG2", display_name="PC-2", wait=True,
                                    poll_interval=1, wait_timeout=60)],
                       module_defaults=tenant.connection)

    assert run.rc == 0, run.stdout + run.stderr
    quick, patient = run.result("quick")["result"], run.result("patient")["result"]
    assert quick["changed"] is True and quick["device"]["display_name"] == ""  # Graph does not show it yet
    assert patient["changed"] is True and patient["device"]["display_name"] == "PC-2"
    assert len([e for e in tenant.log("device") if e["method"] == "GET"]) >= 3  # polled


def test_wait_timeout_fails_changed_with_the_device_as_last_read(make_tenant, run_playbook):
    tenant = make_tenant(device_change_lag=600)
    tenant.sim.add_devices(tenant.tenant_id, [{"serialNumber": "SLOW1"}])
    run = run_playbook([device_task(serial_number="SLOW1", group_tag="HR", wait=True, wait_timeout=3,
                                    poll_interval=1)], module_defaults=tenant.connection)

    failed = run.result("device")
    assert failed["status"] == "failed"
    assert "Gave up after wait_timeout=3s waiting for Graph to show the change" in failed["result"]["msg"]
    assert failed["result"]["changed"] is True
    assert failed["result"]["device"]["group_tag"] == ""
    assert failed["result"]["tenant_id"] == tenant.tenant_id
    assert run.elapsed < 60


def test_absent_deletes_and_a_second_run_is_unchanged_even_while_graph_still_shows_it(make_tenant, run_playbook):
    tenant = make_tenant(device_change_lag=600)
    tenant.sim.add_devices(tenant.tenant_id, [{"serialNumber": "GONE1"}])
    run = run_playbook([device_task("first", serial_number="GONE1", state="absent"),
                        device_task("second", serial_number="GONE1", state="absent")],
                       module_defaults=tenant.connection)

    assert run.rc == 0, run.stdout + run.stderr
    first, second = run.result("first")["result"], run.result("second")["result"]
    assert first["changed"] is True and "device" not in first
    assert first["diff"]["before"]["group_tag"] == "" and first["diff"]["after"] == {}
    assert second["changed"] is False  # Graph answered 404: its deletion was accepted before
    assert tenant.sim.devices(tenant.tenant_id) == []
    assert [e["status"] for e in tenant.requests("DELETE", "device")] == [200, 404]


def test_absent_with_wait_and_absent_when_never_there(make_tenant, run_playbook):
    tenant = make_tenant(device_change_lag=2)
    tenant.sim.add_devices(tenant.tenant_id, [{"serialNumber": "GONE2"}])
    run = run_playbook([device_task("delete", serial_number="GONE2", state="absent", wait=True, poll_interval=1),
                        device_task("again", serial_number="GONE2", state="absent")],
                       module_defaults=tenant.connection)

    assert run.rc == 0, run.stdout + run.stderr
    assert run.result("delete")["result"]["changed"] is True
    assert run.result("again")["result"]["changed"] is False
    assert [e["status"] for e in tenant.requests("DELETE", "device")] == [200]  # the second saw it gone


def test_two_devices_with_one_serial_ask_for_the_id(tenant, run_playbook):
    ids = tenant.sim.add_devices(tenant.tenant_id, [{"serialNumber": "TWIN1"}, {"serialNumber": "twin1"}])
    run = run_playbook([device_task(serial_number="TWIN1", group_tag="HR")], module_defaults=tenant.connection)

    failed = run.result("device")
    assert failed["status"] == "failed"
    assert "2 Windows Autopilot devices have serial number TWIN1" in failed["result"]["msg"]
    assert all(device_id in failed["result"]["msg"] for device_id in ids)
    assert writes(tenant) == []


@pytest.mark.parametrize("options, option", [
    ({"id": UNKNOWN_ID, "serial_number": "PF3X9K2L"}, "id"),
    ({"group_tag": "HR"}, "serial_number"),
    ({"id": "not-a-guid"}, "id"),
    ({"serial_number": "PF3X9K2L", "state": "absent", "group_tag": "HR"}, "group_tag"),
    ({"serial_number": "PF3X9K2L", "user_principal_name": "ann"}, "user_principal_name"),
    ({"serial_number": "PF3X9K2L", "wait_timeout": 0}, "wait_timeout"),
    ({"serial_number": "PF3X9K2L", "state": "gone"}, "state"),
])
def test_bad_options_fail_before_any_request(tenant, run_playbook, options, option):
    run = run_playbook([device_task(**options)], module_defaults=tenant.connection)

    failed = run.result("device")
    assert failed["status"] == "failed"
    assert option in failed["result"]["msg"]
    assert tenant.log() == []
