"""autopilot_sync through real ansible-playbook runs against the simulator.

The simulator keeps Microsoft's real 10-minute window; tests put the last
manual trigger a few seconds short of it to exercise the throttled paths
without waiting ten minutes.
"""

import math

import pytest

from helpers import graph_requests, graph_time, log_seconds, parse_z

WINDOW = 600


def sync_task(name="sync", **options):
    return {"name": name, "intune.autopilot.autopilot_sync": options, "register": name.replace(" ", "_")}


def posts(tenant):
    return len(tenant.requests("POST", "sync"))


@pytest.mark.smoke
def test_first_run_triggers_and_second_is_unchanged(make_tenant, run_playbook):
    tenant = make_tenant(sync_seconds=60)  # still running when the second task asks
    run = run_playbook([sync_task("first"), sync_task("second")], module_defaults=tenant.connection)

    assert run.rc == 0, run.stdout
    first, second = run.result("first"), run.result("second")
    assert first["result"]["changed"] is True
    assert first["result"]["outcome"] == "triggered"
    assert first["result"]["sync_status"] == "inProgress"
    assert second["status"] == "ok"
    assert second["result"]["changed"] is False
    assert second["result"]["outcome"] == "in_progress"
    assert posts(tenant) == 2
    assert tenant.sim.get_settings(tenant.tenant_id)["syncStatus"] in ("inProgress", "completed")


def test_in_progress_wait_polls_until_the_running_sync_ends(make_tenant, run_playbook):
    tenant = make_tenant(sync_seconds=6)  # long enough to outlast ansible's start-up under load
    tenant.sim.set_settings(tenant.tenant_id, syncStatus="inProgress", lastManualSyncTriggerDateTime=graph_time(700))
    run = run_playbook([sync_task(if_in_progress="wait", poll_interval=1)], module_defaults=tenant.connection)

    assert run.rc == 0, run.stdout
    result = run.result("sync")["result"]
    assert result["outcome"] == "in_progress"
    assert result["changed"] is False
    assert result["sync_status"] == "completed"
    assert result["autopilot_settings"]["sync_status"] == "completed"
    assert posts(tenant) == 1
    assert len(tenant.requests("GET", "settings")) >= 2  # polled while it ran
    assert run.elapsed < 20


def test_in_progress_fail(tenant, run_playbook):
    tenant.sim.update_tenant(tenant.tenant_id, sync_seconds=60)
    tenant.sim.set_settings(tenant.tenant_id, syncStatus="inProgress", lastManualSyncTriggerDateTime=graph_time(700))
    run = run_playbook([sync_task(if_in_progress="fail")], module_defaults=tenant.connection)

    failed = run.result("sync")
    assert failed["status"] == "failed"
    assert "already in progress" in failed["result"]["msg"]
    assert failed["result"]["outcome"] == "in_progress"
    assert posts(tenant) == 1


@pytest.mark.parametrize("retry_after", [True, False], ids=["retry-after", "no-retry-after"])
def test_throttled_skip_reports_when_a_sync_is_allowed(make_tenant, run_playbook, retry_after):
    tenant = make_tenant(sync_retry_after=retry_after)
    tenant.sim.set_settings(tenant.tenant_id, lastManualSyncTriggerDateTime=graph_time(60), syncStatus="completed")
    run = run_playbook([sync_task()], module_defaults=tenant.connection)

    assert run.rc == 0, run.stdout
    result = run.result("sync")["result"]
    assert result["outcome"] == "throttled"
    assert result["changed"] is False
    # The last trigger plus 10 minutes, the next whole second (never early): what the settings module
    # reports too, with a Retry-After (which counts from the answer) or without.
    trigger = parse_z(tenant.sim.get_settings(tenant.tenant_id)["lastManualSyncTriggerDateTime"][:26] + "Z")
    assert parse_z(result["manual_sync_allowed_at"]).timestamp() == math.ceil(trigger.timestamp() + WINDOW)
    assert posts(tenant) == 1  # a 429 here is the 10-minute rule, never retried
    assert graph_requests(tenant.log()) == [("POST", "sync"), ("GET", "settings")]


def test_throttled_fail_says_when(tenant, run_playbook):
    tenant.sim.set_settings(tenant.tenant_id, lastManualSyncTriggerDateTime=graph_time(60), syncStatus="completed")
    run = run_playbook([sync_task(if_throttled="fail")], module_defaults=tenant.connection)

    failed = run.result("sync")
    assert failed["status"] == "failed"
    assert "less than 10 minutes ago" in failed["result"]["msg"]
    assert failed["result"]["manual_sync_allowed_at"] in failed["result"]["msg"]
    assert posts(tenant) == 1


@pytest.mark.parametrize("retry_after", [True, False], ids=["retry-after", "no-retry-after"])
def test_throttled_wait_sleeps_until_the_window_ends_then_triggers(make_tenant, run_playbook, retry_after):
    tenant = make_tenant(sync_retry_after=retry_after)
    # The window ends 15 s from now: long enough to outlast ansible's start-up on a loaded machine.
    trigger = graph_time(WINDOW - 15)
    tenant.sim.set_settings(tenant.tenant_id, lastManualSyncTriggerDateTime=trigger, syncStatus="completed")
    run = run_playbook([sync_task(if_throttled="wait")], module_defaults=tenant.connection)

    assert run.rc == 0, run.stdout
    result = run.result("sync")["result"]
    assert result["outcome"] == "triggered"
    assert result["changed"] is True
    posts = tenant.requests("POST", "sync")
    assert [e["status"] for e in posts] == [429, 204]
    # asked again once the window had ended, and at most a few seconds later
    window_end = parse_z(trigger[:26] + "Z").timestamp() + WINDOW
    assert 0 <= log_seconds(posts[-1]) - window_end < 5


def test_intunes_refusal_shows_its_inner_message_and_its_window_follows_from_the_trigger(tenant, run_playbook):
    # Intune answers the sync's 429 itself: error.message holds its JSON object, and no Retry-After.
    trigger = graph_time(WINDOW - 15)
    tenant.sim.set_settings(tenant.tenant_id, lastManualSyncTriggerDateTime=trigger, syncStatus="completed")
    run = run_playbook([dict(sync_task("refused", if_throttled="fail"), ignore_errors=True),
                        sync_task("waited", if_throttled="wait")], module_defaults=tenant.connection)

    refused, waited = run.result("refused"), run.result("waited")["result"]
    message = refused["result"]["msg"]
    first = tenant.requests("POST", "sync")[0]
    assert refused["status"] == "failed"
    assert (" Graph said: Autopilot sync was requested too recently. Only one manual sync is allowed every 10 "
            "minutes. - Operation ID (for customer support): ") in message
    assert "Activity ID: %s - Url: https://fef." % first["client_request_id"] in message
    assert "_version" not in message and "RetryAfter" not in message
    assert "\r" not in message and "\\r\\n" not in message  # neither its CRLFs nor their escapes
    error = refused["result"]["error"]
    assert (error["status"], error["code"], error["request_id"]) == (429, "TooManyRequests", first["request_id"])
    assert error["message"] in message
    assert (waited["outcome"], waited["changed"]) == ("triggered", True)
    # Without Retry-After every 429 is followed by a read: the wait ends on the window those settings give.
    assert graph_requests(tenant.log()) == [("POST", "sync"), ("GET", "settings")] * 2 + [("POST", "sync")]
    posts = tenant.requests("POST", "sync")
    assert [e["status"] for e in posts] == [429, 429, 204]
    window_end = parse_z(trigger[:26] + "Z").timestamp() + WINDOW
    assert 0 <= log_seconds(posts[-1]) - window_end < 5


def test_skip_if_synced_within_skips_without_posting(tenant, run_playbook):
    tenant.sim.set_settings(tenant.tenant_id, lastSyncDateTime=graph_time(300), syncStatus="completed")
    run = run_playbook([sync_task(skip_if_synced_within=3600)], module_defaults=tenant.connection)

    assert run.rc == 0, run.stdout
    result = run.result("sync")["result"]
    assert result["outcome"] == "recently_synced"
    assert result["changed"] is False
    assert result["autopilot_settings"]["sync_status"] == "completed"
    assert graph_requests(tenant.log()) == [("GET", "settings")]


def test_skip_if_synced_within_triggers_when_the_last_sync_is_older(tenant, run_playbook):
    tenant.sim.set_settings(tenant.tenant_id, lastSyncDateTime=graph_time(7200), syncStatus="completed")
    run = run_playbook([sync_task(skip_if_synced_within=3600)], module_defaults=tenant.connection)

    result = run.result("sync")["result"]
    assert result["outcome"] == "triggered"
    assert result["changed"] is True
    assert graph_requests(tenant.log()) == [("GET", "settings"), ("POST", "sync")]


def test_wait_polls_until_the_triggered_sync_completes(make_tenant, run_playbook):
    tenant = make_tenant(sync_seconds=2)
    run = run_playbook([sync_task(wait=True, poll_interval=1)], module_defaults=tenant.connection)

    assert run.rc == 0, run.stdout
    result = run.result("sync")["result"]
    assert result["outcome"] == "triggered"
    assert result["changed"] is True
    assert result["sync_status"] == "completed"
    assert result["autopilot_settings"]["last_sync_date_time"] is not None
    assert 2 <= run.elapsed < 15


def test_wait_fails_when_the_sync_fails(make_tenant, run_playbook):
    tenant = make_tenant(sync_seconds=1, sync_result="failed")
    run = run_playbook([sync_task(wait=True, poll_interval=1)], module_defaults=tenant.connection)

    failed = run.result("sync")
    assert failed["status"] == "failed"
    assert "failed" in failed["result"]["msg"]
    assert failed["result"]["sync_status"] == "failed"
    assert failed["result"]["changed"] is True  # a sync was triggered all the same


def test_wait_timeout_bounds_the_task_and_names_the_last_status(make_tenant, run_playbook):
    tenant = make_tenant(sync_seconds=120)
    run = run_playbook([sync_task(wait=True, wait_timeout=3, poll_interval=1)], module_defaults=tenant.connection)

    failed = run.result("sync")
    assert failed["status"] == "failed"
    assert "wait_timeout=3" in failed["result"]["msg"]
    assert "inProgress" in failed["result"]["msg"]
    assert run.elapsed < 15


@pytest.mark.parametrize("settings,options,outcome,changed", [
    ({"syncStatus": "completed", "lastManualSyncTriggerDateTime": 3600}, {}, "triggered", True),
    ({"syncStatus": "inProgress", "lastManualSyncTriggerDateTime": 700}, {}, "in_progress", False),
    ({"syncStatus": "completed", "lastManualSyncTriggerDateTime": 60}, {}, "throttled", False),
    ({"syncStatus": "completed", "lastManualSyncTriggerDateTime": 60}, {"if_throttled": "wait"}, "triggered", True),
    ({"syncStatus": "completed", "lastSyncDateTime": 60}, {"skip_if_synced_within": 600}, "recently_synced", False),
], ids=["allowed", "running", "throttled", "throttled-wait", "recent"])
@pytest.mark.smoke
def test_check_mode_predicts_and_never_posts(make_tenant, run_playbook, settings, options, outcome, changed):
    tenant = make_tenant(sync_seconds=120)
    tenant.sim.set_settings(tenant.tenant_id, **dict(
        (k, graph_time(v) if k.endswith("DateTime") else v) for k, v in settings.items()))
    run = run_playbook([sync_task(**options)], module_defaults=tenant.connection, check=True)

    assert run.rc == 0, run.stdout
    result = run.result("sync")["result"]
    assert result["outcome"] == outcome
    assert result["changed"] is changed
    assert posts(tenant) == 0
    assert graph_requests(tenant.log()) == [("GET", "settings")]


def test_a_503_without_a_trigger_is_read_then_sent_again(tenant, run_playbook):
    """Graph refused before acting: the settings show no new trigger, so the request is sent again."""
    tenant.sim.add_fault("status", tenant=tenant.tenant_id, endpoint="sync", status=503, count=1)
    run = run_playbook([sync_task()], module_defaults=tenant.connection)

    assert run.rc == 0, run.stdout
    assert run.result("sync")["result"]["outcome"] == "triggered"
    assert [e["status"] for e in tenant.requests("POST", "sync")] == [503, 204]
    assert graph_requests(tenant.log()) == [("POST", "sync"), ("GET", "settings"), ("POST", "sync")]
    assert tenant.sim.syncs_started(tenant.tenant_id) == 1


def test_a_503_after_graph_acted_is_decided_by_reading_and_never_sent_again(tenant, run_playbook):
    tenant.sim.add_fault("acted_then_status", tenant=tenant.tenant_id, endpoint="sync", status=503)
    run = run_playbook([sync_task()], module_defaults=tenant.connection)

    assert run.rc == 0, run.stdout
    result = run.result("sync")["result"]
    assert (result["outcome"], result["changed"], result["sync_status"]) == ("triggered", True, "inProgress")
    assert graph_requests(tenant.log()) == [("POST", "sync"), ("GET", "settings")]
    assert tenant.sim.syncs_started(tenant.tenant_id) == 1


@pytest.mark.parametrize("options,option", [
    ({"poll_interval": 0}, "poll_interval"),
    ({"wait_timeout": 0}, "wait_timeout"),
    ({"skip_if_synced_within": -1}, "skip_if_synced_within"),
    ({"if_throttled": "later"}, "if_throttled"),
])
def test_bad_options_fail_before_any_request(tenant, run_playbook, options, option):
    run = run_playbook([sync_task(**options)], module_defaults=tenant.connection)

    failed = run.result("sync")
    assert failed["status"] == "failed"
    assert option in failed["result"]["msg"]
    assert tenant.log() == []
