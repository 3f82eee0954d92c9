"""Simulated tenants of the benchmark: deterministic ids, one app with a client secret each."""
import uuid
from collections import namedtuple


ROLE = "DeviceManagementServiceConfig.ReadWrite.All"
_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://github.com/intune-autopilot/intune.autopilot/bench")

Tenant = namedtuple("Tenant", ["name", "tenant_id", "client_id", "client_secret"])


def tenant(name):
    """A tenant whose ids only depend on ``name`` (so reruns use the same cache keys)."""
    tenant_id = str(uuid.uuid5(_NAMESPACE, "tenant/" + name))
    client_id = str(uuid.uuid5(_NAMESPACE, "client/" + name))
    # Long and distinctive: Ansible masks no_log values wherever they appear in output.
    secret = "bench-secret-" + uuid.uuid5(_NAMESPACE, "secret/" + name).hex
    return Tenant(name, tenant_id, client_id, secret)


def fleet(count):
    return [tenant("fleet-%04d" % i) for i in range(1, count + 1)]


def simulator_config(tenants):
    """The simulator's --config: no throttle window and instant syncs, so every sync can answer 204."""
    entries = []
    for t in tenants:
        entries.append({
            "tenant_id": t.tenant_id,
            "throttle_seconds": 0,
            "sync_seconds": 0,
            "settings": {"syncStatus": "completed",
                         "lastSyncDateTime": "2026-01-01T00:00:00Z",
                         "lastManualSyncTriggerDateTime": "2026-01-01T00:00:00Z"},
            "apps": [{"client_id": t.client_id, "secret": t.client_secret, "roles": [ROLE]}],
        })
    return {"tenants": entries}
