"""Seeding tenants from a config dict (the --config JSON file) and the CLI's demo tenant."""
import time

from .device_state import KNOBS as DEVICE_KNOBS
from .state import format_graph_time

DEMO_TENANT_ID = "8f4b2e1a-3c5d-4e6f-9a0b-1c2d3e4f5a6b"
DEMO_DOMAIN = "contoso.onmicrosoft.com"
DEMO_CLIENT_ID = "5e7d9c1b-2a3f-4b6c-8d9e-0f1a2b3c4d5e"
DEMO_CLIENT_SECRET = "demo-only-secret-not-for-production"  # published on purpose: demo only

_TENANT_KEYS = ("tenant_id", "domain", "intune", "throttle_seconds", "sync_seconds",
                "sync_result", "sync_retry_after", "settings", "clock_offset", "status_lag",
                "trigger_lag", "cloud", "devices") + tuple(DEVICE_KNOBS)


def demo_config(now=None):
    """One tenant that synced three hours ago, so a manual sync is allowed right away."""
    synced = (now if now is not None else time.time()) - 3 * 3600
    return {"tenants": [{
        "tenant_id": DEMO_TENANT_ID,
        "domain": DEMO_DOMAIN,
        "intune": True,
        "apps": [{"client_id": DEMO_CLIENT_ID, "secret": DEMO_CLIENT_SECRET,
                  "roles": ["DeviceManagementServiceConfig.ReadWrite.All"]}],
        "settings": {"lastSyncDateTime": format_graph_time(synced + 30),
                     "lastManualSyncTriggerDateTime": format_graph_time(synced),
                     "syncStatus": "completed"},
    }]}


def apply_config(sim, config):
    """Create every tenant, app and managed identity the config names (and the simulator's
    ``foreign_serials``); returns tenant ids."""
    created = []
    sim.set_foreign_serials((config or {}).get("foreign_serials", ()))
    for entry in (config or {}).get("tenants", []):
        unknown = set(entry) - set(_TENANT_KEYS) - {"apps", "managed_identities"}
        if unknown:
            raise ValueError("unknown tenant keys in config: %s" % ", ".join(sorted(unknown)))
        tenant_id = sim.add_tenant(**{k: entry[k] for k in _TENANT_KEYS if k in entry})
        for app in entry.get("apps", []):
            sim.add_app(tenant_id, **app)
        for identity in entry.get("managed_identities", []):
            sim.add_managed_identity(tenant_id, **identity)
        created.append(tenant_id)
    return created
