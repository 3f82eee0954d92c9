"""windows_autopilot_settings through real ansible-playbook runs against the simulator."""

import datetime
import json
import subprocess

import pytest

from ansible_env import BIN, ansible_environment
from helpers import graph_requests, graph_time, parse_z

READ = {"name": "read", "intune.autopilot.windows_autopilot_settings": {}, "register": "settings"}


@pytest.mark.smoke
def test_reports_settings_with_one_get_and_no_change(tenant, run_playbook):
    tenant.sim.set_settings(tenant.tenant_id, lastSyncDateTime="2026-11-20T08:30:15.1234567Z",
                            lastManualSyncTriggerDateTime="0001-01-01T00:00:00Z", syncStatus="completed")
    run = run_playbook([READ], module_defaults=tenant.connection)

    assert run.rc == 0, run.stdout
    result = run.result("read")["result"]
    assert result["changed"] is False
    assert result["autopilot_settings"] == {
        "id": tenant.sim.get_settings(tenant.tenant_id)["id"],
        "last_sync_date_time": "2026-11-20T08:30:15.123456Z",
        "last_manual_sync_trigger_date_time": None,
        "sync_status": "completed",
    }
    assert result["sync_status"] == "completed"
    assert result["sync_in_progress"] is False
    assert result["manual_sync_allowed"] is True
    assert result["manual_sync_allowed_at"] is None
    assert graph_requests(tenant.log()) == [("GET", "settings")]


@pytest.mark.smoke
def test_check_mode_runs_the_same_read(tenant, run_playbook):
    run = run_playbook([READ], module_defaults=tenant.connection, check=True)

    assert run.rc == 0, run.stdout
    result = run.result("read")["result"]
    assert result["changed"] is False
    assert result["autopilot_settings"]["sync_status"] == tenant.sim.get_settings(tenant.tenant_id)["syncStatus"]
    assert graph_requests(tenant.log()) == [("GET", "settings")]


def test_two_runs_report_the_same_and_change_nothing(tenant, run_playbook):
    tenant.sim.set_settings(tenant.tenant_id, lastSyncDateTime=graph_time(7200), syncStatus="completed")
    before = tenant.sim.get_settings(tenant.tenant_id)
    run = run_playbook([dict(READ, name="first"), dict(READ, name="second")], module_defaults=tenant.connection)

    assert run.rc == 0, run.stdout
    first, second = run.result("first")["result"], run.result("second")["result"]
    assert first["changed"] is second["changed"] is False
    assert first["autopilot_settings"] == second["autopilot_settings"]
    assert tenant.sim.get_settings(tenant.tenant_id) == before
    assert graph_requests(tenant.log()) == [("GET", "settings"), ("GET", "settings")]


def test_reports_the_ten_minute_window_after_a_manual_trigger(tenant, run_playbook):
    tenant.sim.set_settings(tenant.tenant_id, lastManualSyncTriggerDateTime=graph_time(120),
                            lastSyncDateTime=graph_time(100), syncStatus="completed")
    run = run_playbook([READ], module_defaults=tenant.connection)

    result = run.result("read")["result"]
    assert result["manual_sync_allowed"] is False
    trigger = parse_z(result["autopilot_settings"]["last_manual_sync_trigger_date_time"])
    # Ten minutes after the trigger, the next whole second: never early, and no fraction that moves.
    allowed_at = parse_z(result["manual_sync_allowed_at"])
    assert allowed_at.microsecond == 0 and result["manual_sync_allowed_at"].endswith(":%02dZ" % allowed_at.second)
    assert datetime.timedelta(0) <= allowed_at - (trigger + datetime.timedelta(minutes=10)) < datetime.timedelta(seconds=1)


def test_says_when_a_sync_is_running(tenant, run_playbook):
    tenant.sim.update_tenant(tenant.tenant_id, sync_seconds=120)
    tenant.sim.set_settings(tenant.tenant_id, syncStatus="inProgress",
                            lastManualSyncTriggerDateTime=graph_time(700))
    run = run_playbook([READ], module_defaults=tenant.connection)

    result = run.result("read")["result"]
    assert result["sync_in_progress"] is True
    assert result["sync_status"] == "inProgress"
    assert result["manual_sync_allowed"] is False
    assert result["manual_sync_allowed_at"] is None  # the window is over; only the running sync blocks


@pytest.mark.smoke
def test_ad_hoc_command_with_credentials_from_the_environment(tenant):
    env = ansible_environment()
    env.update({"AZURE_TENANT_ID": tenant.tenant_id, "AZURE_CLIENT_ID": tenant.client_id,
                "AZURE_CLIENT_SECRET": tenant.secret, "AZURE_AUTHORITY_HOST": tenant.sim.url})
    args = "graph_endpoint=%s ca_path=%s" % (tenant.sim.url, tenant.sim.ca_path)
    process = subprocess.run(
        [str(BIN / "ansible"), "localhost", "-m", "intune.autopilot.windows_autopilot_settings", "-a", args,
         "-o"], env=env, capture_output=True, text=True, timeout=120, check=False)

    assert process.returncode == 0, process.stdout + process.stderr
    assert "SUCCESS" in process.stdout
    payload = json.loads(process.stdout.split("=>", 1)[1])
    assert payload["changed"] is False
    assert payload["autopilot_settings"]["id"] == tenant.sim.get_settings(tenant.tenant_id)["id"]
    assert tenant.secret not in process.stdout + process.stderr


def test_rejects_v1_style_graph_answers_clearly(tenant, run_playbook):
    connection = dict(tenant.connection, graph_endpoint=tenant.sim.url + "/v1.0")
    run = run_playbook([READ], module_defaults=connection)
    # A trailing /v1.0 is ignored: the module always uses /beta, where the resource lives.
    assert run.rc == 0, run.stdout
    assert graph_requests(tenant.log()) == [("GET", "settings")]
    assert all("/beta/" in e["path"] for e in tenant.log("settings"))


@pytest.mark.parametrize("status,fragment", [
    (403, "DeviceManagementServiceConfig.ReadWrite.All"),
])
def test_permission_error_names_the_permission(make_tenant, run_playbook, status, fragment):
    tenant = make_tenant()
    client_id = tenant.sim.add_app(tenant.tenant_id, secret="roleless-secret", roles=())
    connection = dict(tenant.connection, client_id=client_id, client_secret="roleless-secret")
    run = run_playbook([READ], module_defaults=connection)

    assert run.rc != 0
    failed = run.result("read")
    assert failed["status"] == "failed"
    assert fragment in failed["result"]["msg"]
    assert failed["result"]["error"]["status"] == status
    assert failed["result"]["error"]["request_id"]
    assert "Traceback" not in run.stdout + run.stderr
