"""autopilot_device_import through real ansible-playbook runs against the simulator, both doors.

Every test has its own tenant. Imports finish after the simulator's ``import_seconds`` (set short
here) and become devices only after a sync that started after they completed, as in Intune.
"""

import math

import pytest

from helpers import devices, log_seconds, serials, write_csv

IMPORT = "intune.autopilot.autopilot_device_import"
FAST = dict(import_seconds=1)


def import_task(name="import", **options):
    options.setdefault("poll_interval", 1)
    return {"name": name, IMPORT: options, "register": name.replace(" ", "_"), "ignore_errors": True}


def import_posts(tenant):
    return tenant.requests("POST", "import")


def outcomes(result):
    return [(row["serial_number"], row["outcome"]) for row in result["devices"]]


def assert_no_hash(run, hashes):
    output = run.stdout + run.stderr
    leaked = [h for h in hashes if h in output]
    assert not leaked, "a hardware hash is in the output"


# -- the whole workflow -------------------------------------------------------------------------
@pytest.mark.smoke
@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16"], ids=["utf-8-bom", "utf-16-bom"])
def test_csv_import_syncs_waits_then_a_second_run_sends_no_import(make_tenant, run_playbook, tmp_path, encoding):
    tenant = make_tenant(**FAST)
    rows = devices(serials("CSV", 3), group_tag="")
    rows[1]["group_tag"] = "Kiosk"
    csv_path = write_csv(tmp_path / "hashes.csv", rows, encoding)
    run = run_playbook([import_task("first", csv_path=csv_path, group_tag="Sales", wait=True),
                        import_task("second", csv_path=csv_path, group_tag="Sales", wait=True)],
                       module_defaults=tenant.connection, extra_args=["-vvv"])

    assert run.rc == 0, run.stdout
    first, second = run.result("first")["result"], run.result("second")["result"]
    assert first["changed"] is True and not first.get("failed"), first
    assert outcomes(first) == [(r["serial_number"], "imported") for r in rows]
    assert first["counts"] == {"imported": 3, "already_registered": 0, "failed": 0}
    assert first["sync"]["outcome"] == "triggered" and first["sync"]["sync_status"] == "completed"
    listed = dict((d["serialNumber"], d) for d in tenant.sim.devices(tenant.tenant_id))
    assert [row["device_id"] for row in first["devices"]] == [listed[r["serial_number"]]["id"] for r in rows]
    assert [listed[r["serial_number"]]["groupTag"] for r in rows] == ["Sales", "Kiosk", "Sales"]
    assert first["tenant_id"] == tenant.tenant_id
    # One import request, its records seen through and deleted.
    stats = tenant.sim.import_stats(tenant.tenant_id)
    assert stats["requests"] == 1 and stats["records_created"] == 3 and stats["records"] == 0
    assert len(tenant.requests("DELETE", "import_record")) == 3
    assert tenant.requests("GET", "import_record") == []  # never one GET per device
    # The second run finds them registered: no import, no sync, no change.
    assert second["changed"] is False, second
    assert outcomes(second) == [(r["serial_number"], "already_registered") for r in rows]
    assert second["sync"] is None
    assert len(import_posts(tenant)) == 1 and tenant.sim.syncs_started(tenant.tenant_id) == 1
    assert_no_hash(run, [r["hardware_hash"] for r in rows])


def test_806_is_already_registered_808_fails_after_every_row(make_tenant, run_playbook):
    tenant, other = make_tenant(**FAST), make_tenant()
    ours, foreign, fresh = serials("MIX", 3)
    other.sim.add_devices(other.tenant_id, [{"serialNumber": foreign}])
    given = devices([ours, foreign, fresh])
    # The first task registers "ours" without a sync: Graph does not list it, so the second run
    # sends it again and Intune answers 806.
    run = run_playbook([import_task("register", devices=given[:1], sync=False),
                        import_task("again", devices=given)],
                       module_defaults=tenant.connection, extra_args=["-v"])

    assert run.result("register")["result"]["counts"]["imported"] == 1
    failed = run.result("again")
    assert failed["status"] == "failed"
    result = failed["result"]
    assert outcomes(result) == [(ours, "already_registered"), (foreign, "failed"), (fresh, "imported")]
    rows = result["devices"]
    assert (rows[0]["error_code"], rows[0]["error_name"]) == (806, "ZtdDeviceAlreadyAssigned")
    assert (rows[1]["error_code"], rows[1]["error_name"]) == (808, "ZtdDeviceAssignedToOtherTenant")
    assert rows[2]["error_code"] is None and rows[2]["device_id"]
    assert result["counts"] == {"imported": 1, "already_registered": 1, "failed": 1}
    assert "1 of 3 devices failed to import" in result["msg"] and foreign in result["msg"]
    # The row that failed did not stop the others: the sync ran for the imported and the 806 one.
    assert result["changed"] is True and result["sync"]["outcome"] == "triggered"
    assert tenant.sim.import_stats(tenant.tenant_id)["records"] == 0
    assert_no_hash(run, [d["hardware_hash"] for d in given])


# -- batches and polls ---------------------------------------------------------------------------
def test_batches_and_one_paged_read_per_batch_per_poll(make_tenant, run_playbook):
    tenant = make_tenant(import_seconds=2, device_page_size=2)
    given = devices(serials("BAT", 11))
    run = run_playbook([import_task(devices=given, batch_size=4, sync=False)], module_defaults=tenant.connection)

    result = run.result("import")["result"]
    assert result["counts"]["imported"] == 11, result
    assert len(import_posts(tenant)) == math.ceil(11 / 4.0)
    # Polls: each round reads each waiting batch's records by importId, page by page
    # (device_page_size 2: batches of 4, 4 and 3 rows are 2 pages each): at most 6 reads a round.
    reads = tenant.requests("GET", "imports")
    rounds = _rounds(reads)
    assert rounds and all(len(r) <= 6 for r in rounds), [len(r) for r in rounds]
    assert tenant.requests("GET", "import_record") == []
    # 11 rows: the registered serials were found in one listing of every device, not one filter per row.
    assert len(tenant.requests("GET", "devices")) == 1
    assert tenant.sim.import_stats(tenant.tenant_id)["records"] == 0


def _rounds(entries, gap=0.4):
    rounds, last = [], None
    for entry in entries:
        moment = log_seconds(entry)
        if last is None or moment - last > gap:
            rounds.append([])
        rounds[-1].append(entry)
        last = moment
    return rounds


# -- lost answers and throttling -------------------------------------------------------------------
@pytest.mark.parametrize("fault, acted_records, posts", [
    ("acted_then_status", None, 1),   # every record created, the answer a gateway's 504
    ("acted_then_reset", 2, 2),       # two of four created, then the connection reset
], ids=["504-all-created", "reset-two-created"])
def test_a_lost_import_answer_is_decided_by_reading_the_records(make_tenant, run_playbook, fault, acted_records,
                                                                posts):
    tenant = make_tenant(**FAST)
    given = devices(serials("LOST", 4))
    params = {"status": 504} if fault == "acted_then_status" else {}
    if acted_records is not None:
        params["acted_records"] = acted_records
    tenant.sim.add_fault(fault, tenant=tenant.tenant_id, endpoint="import", **params)
    run = run_playbook([import_task(devices=given, sync=False)], module_defaults=tenant.connection)

    result = run.result("import")["result"]
    assert result["counts"]["imported"] == 4, result
    stats = tenant.sim.import_stats(tenant.tenant_id)
    assert stats["records_created"] == 4 and stats["requests"] == posts  # no serial imported twice
    assert len(import_posts(tenant)) == posts
    assert stats["records"] == 0


def test_a_throttled_import_is_sent_again_after_backoff(make_tenant, run_playbook):
    tenant = make_tenant(device_write_limit=1, device_write_window=1, **FAST)
    given = devices(serials("THR", 2))
    run = run_playbook([import_task(devices=given, batch_size=1, sync=False, wait_timeout=120)],
                       module_defaults=tenant.connection)

    result = run.result("import")["result"]
    assert result["counts"] == {"imported": 2, "already_registered": 0, "failed": 0}, result
    posts = [p["status"] for p in import_posts(tenant)]
    assert posts.count(200) == 2 and 429 in posts
    assert tenant.sim.import_stats(tenant.tenant_id)["records"] == 0  # the deletions got through too


# -- check mode and bad input -----------------------------------------------------------------------
def test_check_mode_predicts_and_never_imports(make_tenant, run_playbook):
    tenant = make_tenant(**FAST)
    known, new = serials("CHK", 2)
    tenant.sim.add_devices(tenant.tenant_id, [{"serialNumber": known}])
    run = run_playbook([import_task(devices=devices([known, new]))], module_defaults=tenant.connection, check=True)

    result = run.result("import")["result"]
    assert outcomes(result) == [(known, "already_registered"), (new, "imported")]
    assert result["changed"] is True and result["sync"]["outcome"] == "triggered"
    assert import_posts(tenant) == [] and tenant.requests("POST", "sync") == []
    assert len(tenant.requests("GET", "devices")) == 2  # two serials: one filtered read each


def test_bad_input_fails_before_any_request(tenant, run_playbook, tmp_path):
    good = devices(serials("BAD", 1))[0]
    no_columns = tmp_path / "no-columns.csv"
    no_columns.write_text("Serial,Hash\r\nX1,%s\r\n" % good["hardware_hash"])
    cases = [
        ("hash not base64", {"devices": [dict(good, hardware_hash="not*base64")]}, "hardware_hash is not base64"),
        ("missing serial", {"devices": [dict(good, serial_number="")]}, "devices[0]: serial_number is missing"),
        ("duplicate serials", {"devices": [good, dict(good, serial_number=good["serial_number"].lower())]},
         "devices[1] (serial number '%s'): the same serial number as devices[0]" % good["serial_number"].lower()),
        ("unreadable csv", {"csv_path": str(tmp_path / "missing.csv")}, "Cannot read csv_path"),
        ("csv without the columns", {"csv_path": str(no_columns)}, "has no 'Device Serial Number'"),
        ("both inputs", {"devices": [good], "csv_path": str(no_columns)}, "exactly one of devices and csv_path"),
        ("batch too big", {"devices": [good], "batch_size": 501}, "batch_size must be from 1 to 500"),
    ]
    tasks = [import_task(name, **options) for name, options, _expected in cases]
    run = run_playbook(tasks, module_defaults=tenant.connection, extra_args=["-vvv"])

    for name, _options, expected in cases:
        failed = run.result(name)
        assert failed["status"] == "failed", failed
        assert expected in failed["result"]["msg"], (name, failed["result"]["msg"])
    assert tenant.log() == []  # not even a token request
    assert_no_hash(run, [good["hardware_hash"]])


def test_check_mode_predicts_the_403_of_a_read_only_app(make_tenant, run_playbook):
    tenant = make_tenant(**FAST)
    reader = tenant.sim.add_app(tenant.tenant_id, secret="reader-secret", roles=["DeviceManagementServiceConfig.Read.All"])
    connection = dict(tenant.connection, client_id=reader, client_secret="reader-secret")
    run = run_playbook([import_task(devices=devices(serials("RO", 1)))], module_defaults=connection, check=True)

    result = run.result("import")["result"]
    assert result["msg"].startswith("Graph would answer 403 Forbidden (predicted in check mode"), result["msg"]
    assert "importing devices needs one of DeviceManagementServiceConfig.ReadWrite.All" in result["msg"]
    assert result["tenant_id"] == tenant.tenant_id
    assert import_posts(tenant) == [] and len(tenant.requests("GET", "devices")) == 1
