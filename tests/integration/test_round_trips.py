"""HTTPS round trips per task, counted in the simulator's log (issue: performance)."""

import os
import stat

READ = {"intune.autopilot.windows_autopilot_settings": {}}


def tasks(count):
    return [dict(READ, name="read %d" % i) for i in range(count)]


def endpoints(tenant):
    return [e["endpoint"] for e in tenant.log()]


def test_discovery_is_cached_across_tasks(tenant, run_playbook):
    run = run_playbook(tasks(3), module_defaults=tenant.connection)

    assert run.rc == 0, run.stdout
    # first task: discovery, token, Graph; later tasks: token, Graph
    assert endpoints(tenant) == ["discovery", "token", "settings"] + ["token", "settings"] * 2


def test_token_cache_leaves_one_round_trip_per_task(tenant, run_playbook, tmp_path):
    cache = tmp_path / "cache"
    connection = dict(tenant.connection, token_cache=True, cache_path=str(cache))
    run = run_playbook(tasks(3), module_defaults=connection)

    assert run.rc == 0, run.stdout
    assert endpoints(tenant) == ["discovery", "token", "settings", "settings", "settings"]
    token_files = list((cache / "tokens").iterdir())
    assert len(token_files) == 1
    assert stat.S_IMODE(token_files[0].stat().st_mode) == 0o600
    assert stat.S_IMODE((cache / "tokens").stat().st_mode) == 0o700
    assert token_files[0].stat().st_uid == os.geteuid()


def test_token_cache_is_never_shared_between_credentials(make_tenant, run_playbook, tmp_path):
    first, second = make_tenant(), make_tenant()
    cache = str(tmp_path / "cache")
    other_app = first.sim.add_app(first.tenant_id, secret="another-app-secret")
    runs = [
        dict(first.connection, token_cache=True, cache_path=cache),
        dict(second.connection, token_cache=True, cache_path=cache),  # other tenant
        dict(first.connection, client_id=other_app, client_secret="another-app-secret",
             token_cache=True, cache_path=cache),  # other client in the same tenant
    ]
    for connection in runs:
        run = run_playbook(tasks(1), module_defaults=connection)
        assert run.rc == 0, run.stdout
    assert len(first.log("token")) == 2
    assert len(second.log("token")) == 1
    assert len(os.listdir(os.path.join(cache, "tokens"))) == 3


def test_a_wrong_secret_does_not_use_a_cached_token(tenant, run_playbook, tmp_path):
    connection = dict(tenant.connection, token_cache=True, cache_path=str(tmp_path / "cache"))
    assert run_playbook(tasks(1), module_defaults=connection).rc == 0
    run = run_playbook(tasks(1), module_defaults=dict(connection, client_secret="not-the-secret"))

    assert run.rc != 0
    assert "AADSTS7000215" in run.result("read 0")["result"]["msg"]


def test_a_cached_token_graph_rejects_is_replaced(tenant, run_playbook, tmp_path):
    connection = dict(tenant.connection, token_cache=True, cache_path=str(tmp_path / "cache"))
    assert run_playbook(tasks(1), module_defaults=connection).rc == 0
    tenant.sim.add_fault("expired_token", tenant=tenant.tenant_id, endpoint="settings")
    run = run_playbook(tasks(2), module_defaults=connection)

    assert run.rc == 0, run.stdout
    # the rejected cached token is dropped, a new one is cached and used by the next task
    assert [e["status"] for e in tenant.log("settings")] == [200, 401, 200, 200]
    assert len(tenant.log("token")) == 2


def test_a_cached_token_is_replaced_after_a_403(tenant, run_playbook, tmp_path):
    """A permission granted after the token was cached takes effect at once."""
    client_id = tenant.sim.add_app(tenant.tenant_id, secret="late-consent-secret", roles=())
    connection = dict(tenant.connection, client_id=client_id, client_secret="late-consent-secret",
                      token_cache=True, cache_path=str(tmp_path / "cache"))
    assert run_playbook(tasks(1), module_defaults=connection).rc != 0  # 403: no role yet

    tenant.sim.add_app(tenant.tenant_id, client_id=client_id, secret="late-consent-secret")  # admin consents
    run = run_playbook(tasks(1), module_defaults=connection)

    assert run.rc == 0, run.stdout
    assert [e["status"] for e in tenant.log("settings")] == [403, 403, 200]
