"""autopilot_device_info through real ansible-playbook runs against the simulator, on both doors."""

import pytest

DEVICE_KEYS = {"id", "serial_number", "group_tag", "display_name", "manufacturer", "model", "enrollment_state",
               "deployment_profile_assignment_status", "user_principal_name", "last_contacted_date_time",
               "azure_ad_device_id", "managed_device_id"}


def info_task(name="info", **options):
    return {"name": name, "intune.autopilot.autopilot_device_info": options, "register": name}


def graph_reads(tenant):
    return [(e["method"], e["endpoint"]) for e in tenant.log() if e["endpoint"] in ("devices", "device")]


@pytest.mark.smoke
def test_lists_every_device_across_pages_one_request_per_page(make_tenant, run_playbook):
    tenant = make_tenant(device_page_size=4)
    ids = tenant.sim.add_devices(tenant.tenant_id, 10, groupTag="Sales",
                                 lastContactedDateTime="2026-11-23T11:05:19.1234567Z")
    run = run_playbook([info_task()], module_defaults=tenant.connection)

    assert run.rc == 0, run.stdout
    result = run.result("info")["result"]
    assert result["changed"] is False
    assert [d["id"] for d in result["devices"]] == ids
    assert set(result["devices"][0]) == DEVICE_KEYS
    assert result["devices"][0]["last_contacted_date_time"] == "2026-11-23T11:05:19.123456Z"
    assert result["devices"][0]["managed_device_id"] is None  # Graph's zero GUID: not enrolled
    assert graph_reads(tenant) == [("GET", "devices")] * 3  # pages of 4, 4, 2
    assert result["tenant"] == tenant.tenant_id
    assert result["tenant_id"] == tenant.tenant_id
    assert result["graph_permissions"] == ["DeviceManagementServiceConfig.ReadWrite.All"]
    assert isinstance(result["graph_clock_offset"], int)


def test_serial_number_matches_exactly_though_graph_matches_substrings(tenant, run_playbook):
    tenant.sim.add_devices(tenant.tenant_id, [{"serialNumber": "PF3X9K2L"}, {"serialNumber": "PF3X9K2L0"},
                                              {"serialNumber": "XPF3X9K2L"}, {"serialNumber": "O'HARA-7"}])
    run = run_playbook([info_task("one", serial_number="pf3x9k2l"), info_task("quoted", serial_number="o'hara-7"),
                        info_task("prefix", serial_number="PF3X9")], module_defaults=tenant.connection)

    assert run.rc == 0, run.stdout + run.stderr
    assert [d["serial_number"] for d in run.result("one")["result"]["devices"]] == ["PF3X9K2L"]
    assert [d["serial_number"] for d in run.result("quoted")["result"]["devices"]] == ["O'HARA-7"]
    assert run.result("prefix")["result"]["devices"] == []
    assert graph_reads(tenant) == [("GET", "devices")] * 3  # Graph filtered: one page each


def test_group_tag_and_id(tenant, run_playbook):
    ids = tenant.sim.add_devices(tenant.tenant_id, [{"groupTag": "Sales"}, {"groupTag": "Sales EU"}, {}])
    run = run_playbook([info_task("sales", group_tag="Sales"), info_task("untagged", group_tag=""),
                        info_task("by_id", id=ids[1].upper()),
                        info_task("unknown", id="6c4b3a8e-0d1f-4a2b-9c3d-4e5f6a7b8c9d")],
                       module_defaults=tenant.connection)

    assert run.rc == 0, run.stdout
    assert [d["id"] for d in run.result("sales")["result"]["devices"]] == [ids[0]]
    assert [d["id"] for d in run.result("untagged")["result"]["devices"]] == [ids[2]]
    assert [d["group_tag"] for d in run.result("by_id")["result"]["devices"]] == ["Sales EU"]
    assert run.result("unknown")["result"]["devices"] == []


def test_check_mode_reads_the_same(tenant, run_playbook):
    tenant.sim.add_devices(tenant.tenant_id, 2)
    run = run_playbook([info_task()], module_defaults=tenant.connection, check=True)

    assert run.rc == 0, run.stdout
    assert len(run.result("info")["result"]["devices"]) == 2
    assert run.result("info")["result"]["changed"] is False


def test_a_read_only_app_is_enough(tenant, run_playbook):
    tenant.sim.add_devices(tenant.tenant_id, 1)
    client_id = tenant.sim.add_app(tenant.tenant_id, secret="read-only-secret",
                                   roles=["DeviceManagementServiceConfig.Read.All"])
    run = run_playbook([info_task()], module_defaults=dict(tenant.connection, client_id=client_id,
                                                           client_secret="read-only-secret"))

    assert run.rc == 0, run.stdout
    assert len(run.result("info")["result"]["devices"]) == 1


def test_a_malformed_device_fails_naming_property_value_and_request_id(tenant, run_playbook):
    tenant.sim.add_devices(tenant.tenant_id, 1)
    tenant.sim.add_fault("malformed", tenant=tenant.tenant_id, endpoint="devices",
                         each_values={"lastContactedDateTime": "yesterday"})
    run = run_playbook([info_task()], module_defaults=tenant.connection)

    failed = run.result("info")
    assert failed["status"] == "failed"
    request_id = tenant.log("devices")[0]["request_id"]
    assert "lastContactedDateTime is 'yesterday'" in failed["result"]["msg"]
    assert request_id in failed["result"]["msg"]
    assert failed["result"]["tenant_id"] == tenant.tenant_id
    assert "Traceback" not in run.stdout + run.stderr


@pytest.mark.parametrize("options, option", [
    ({"id": "6c4b3a8e-0d1f-4a2b-9c3d-4e5f6a7b8c9d", "serial_number": "PF3X9K2L"}, "id"),
    ({"id": "6c4b3a8e-0d1f-4a2b-9c3d-4e5f6a7b8c9d", "group_tag": "Sales"}, "id"),
    ({"id": "PF3X9K2L"}, "id"),
    ({"serial_number": "  "}, "serial_number"),
])
def test_bad_options_fail_before_any_request(tenant, run_playbook, options, option):
    run = run_playbook([info_task(**options)], module_defaults=tenant.connection)

    failed = run.result("info")
    assert failed["status"] == "failed"
    assert failed["result"]["msg"].startswith(option)
    assert tenant.log() == []
