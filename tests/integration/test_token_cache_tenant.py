"""The opt-in token cache hands a task only a token of the tenant it asked for, on both doors."""

import json
import uuid

import pytest

READ = {"name": "read", "intune.autopilot.windows_autopilot_settings": {}}


@pytest.mark.parametrize("tenant_form", ["guid", "domain"])
def test_a_planted_token_of_another_tenant_is_not_used(make_tenant, run_playbook, tmp_path, tenant_form):
    """Someone swaps the token in our cache entry (key and expiry intact) for a token of another
    tenant: its ``tid`` is not the tenant asked (a domain resolves through the cached discovery),
    so the task requests its own token and Graph only ever sees our tenant's."""
    domain = "cache-%s.onmicrosoft.com" % uuid.uuid4().hex[:8]
    ours, other = make_tenant(domain=domain), make_tenant()
    cache = tmp_path / "cache"
    connection = dict(ours.connection, token_cache=True, cache_path=str(cache),
                      tenant_id=ours.tenant_id if tenant_form == "guid" else domain)
    assert run_playbook([READ], module_defaults=connection).rc == 0  # fills the cache
    (entry_file,) = (cache / "tokens").iterdir()
    entry = json.loads(entry_file.read_text())
    entry["access_token"] = other.sim.mint_access_token(other.tenant_id, other.client_id)
    entry_file.write_text(json.dumps(entry))

    run = run_playbook([READ], module_defaults=connection)

    assert run.rc == 0, run.stdout[-3000:]
    assert run.result("read")["result"]["tenant_id"] == ours.tenant_id
    assert [e["status"] for e in ours.log("token")] == [200, 200]  # the second task asked for its own
    assert [e["status"] for e in ours.log("settings")] == [200, 200]
    assert other.log() == []  # the planted token never reached Graph
    assert json.loads(entry_file.read_text())["access_token"] != entry["access_token"]  # replaced
