"""Tenants, app registrations, managed identities and the Autopilot sync state machine.

One lock guards everything here. Nothing sleeps while holding it: the sync
state machine is evaluated lazily from the clock whenever a tenant is read.
``sync_listeners`` hear of each sync's end (device_state.py makes completed
imports visible then).
"""
import hashlib
import hmac
import math
import re
import secrets
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone

from cryptography import x509
from cryptography.hazmat.primitives import hashes

NEVER = "0001-01-01T00:00:00Z"  # how Graph spells "never happened"
SYNC_STATUSES = ("unknown", "inProgress", "completed", "failed", "unknownFutureValue")
SYNC_RESULTS = ("completed", "failed")
SETTINGS_PROPERTIES = ("id", "lastSyncDateTime", "lastManualSyncTriggerDateTime", "syncStatus")
# The Graph resource (token audience) of each cloud whose Graph a tenant may play.
GRAPH_RESOURCES = {"global": "https://graph.microsoft.com", "usgov": "https://graph.microsoft.us",
                   "usgov_dod": "https://dod-graph.microsoft.us",
                   "china": "https://microsoftgraph.chinacloudapi.cn"}
_TICKS = 10_000_000  # Graph prints 100 ns ticks: seven fractional digits
_ISO = re.compile(r"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$")


def to_ticks(ts):
    """Epoch seconds -> 100 ns ticks (None stays None). State keeps ticks so that a
    timestamp set from text prints back exactly (floats cannot hold 7 digits)."""
    return None if ts is None else int(round(ts * _TICKS))


def format_graph_ticks(ticks):
    if ticks is None:
        return NEVER
    secs, frac = divmod(ticks, _TICKS)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(secs)) + ".%07dZ" % frac


def parse_graph_ticks(value):
    """ISO 8601 text (or epoch number) -> ticks; NEVER/None -> None."""
    if value is None or isinstance(value, (int, float)):
        return to_ticks(value)
    match = _ISO.match(value.strip())
    if not match:
        raise ValueError("not an ISO 8601 timestamp: %r" % value)
    base, frac, zone = match.groups()
    if base.startswith("0001-01-01"):
        return None
    stamp = datetime.fromisoformat(base + ("+00:00" if zone == "Z" else zone))
    frac_ticks = int(round(float("0." + frac) * _TICKS)) if frac else 0
    return int(stamp.timestamp()) * _TICKS + frac_ticks


def format_graph_time(ts):
    """Epoch seconds (float) or None -> '2026-11-23T11:05:19.1234567Z' / NEVER."""
    return format_graph_ticks(to_ticks(ts))


def parse_graph_time(value):
    """Graph timestamp text -> epoch seconds (float); NEVER/None -> None."""
    ticks = parse_graph_ticks(value)
    return None if ticks is None else ticks / _TICKS


class Clock:
    """Wall clock with an offset tests can push forward instead of sleeping."""

    def __init__(self):
        self._offset = 0.0

    def now(self):
        return time.time() + self._offset

    def advance(self, seconds):
        self._offset += float(seconds)
        return self.now()

    def reset(self):
        self._offset = 0.0


@dataclass
class RegisteredCert:
    cert: x509.Certificate
    sha1: bytes
    sha256: bytes

    @classmethod
    def from_cert(cls, cert):
        return cls(cert, cert.fingerprint(hashes.SHA1()), cert.fingerprint(hashes.SHA256()))

    @property
    def expired_at(self):
        # not_valid_after_utc came with cryptography 42; the oldest-deps leg runs the floor (39), whose
        # not_valid_after is naive UTC.
        after = getattr(self.cert, "not_valid_after_utc", None)
        if after is None:
            after = self.cert.not_valid_after.replace(tzinfo=timezone.utc)
        return after.timestamp()


@dataclass
class App:
    client_id: str
    secret: str = None
    certificates: list = field(default_factory=list)  # RegisteredCert
    federated_subject: str = None
    roles: tuple = ()


@dataclass
class ManagedIdentity:
    client_id: str
    system_assigned: bool
    roles: tuple = ()


@dataclass
class Tenant:
    tenant_id: str
    domain: str
    intune: bool
    throttle_seconds: float
    sync_seconds: float
    sync_result: str
    sync_retry_after: bool           # Intune's sync 409/429 carry no Retry-After unless this is set
    clock_offset: float = 0.0        # seconds this tenant's Graph clock is ahead of the simulator's
    status_lag: float = 0.0          # seconds after a trigger during which the old status shows
    trigger_lag: float = 0.0         # seconds after a trigger before lastManualSyncTriggerDateTime shows it
    cloud: str = "global"            # whose Graph this tenant's answers play (token audience)
    settings_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    last_sync: int = None            # ticks (see to_ticks)
    last_manual_trigger: int = None  # ticks
    sync_status: str = "unknown"
    sync_ends_at: int = None         # ticks; set while inProgress
    sync_started_at: int = None      # ticks; when the running (or last) sync started
    shown_before: tuple = None       # (syncStatus, lastSync) shown until the lag is over
    trigger_before: int = None       # ticks; the trigger shown until trigger_lag is over
    trigger_shown_at: int = None     # ticks; when the latest trigger shows (None: at once)
    syncs_started: int = 0
    apps: dict = field(default_factory=dict)
    identities: dict = field(default_factory=dict)


class UnknownTenant(KeyError):
    pass


def _load_certs(pem):
    """Public certificates from PEM text (a key in the same text is ignored)."""
    if not pem:
        return []
    chunks = pem if isinstance(pem, (list, tuple)) else [pem]
    certs = []
    for chunk in chunks:
        data = chunk.encode() if isinstance(chunk, str) else chunk
        certs.extend(RegisteredCert.from_cert(c) for c in x509.load_pem_x509_certificates(data))
    return certs


class State:
    def __init__(self, clock, throttle_seconds=600, sync_seconds=30, sync_result="completed"):
        if sync_result not in SYNC_RESULTS:
            raise ValueError("sync_result must be one of %s" % (SYNC_RESULTS,))
        self.clock = clock
        self.defaults = {"throttle_seconds": float(throttle_seconds),
                         "sync_seconds": float(sync_seconds), "sync_result": sync_result}
        self.lock = threading.RLock()
        self._tenants = {}
        self._domains = {}
        self._mi_key = secrets.token_bytes(32)
        # f(tenant_id, started_ticks, ended_ticks, result), called under the lock as a sync ends
        self.sync_listeners = []

    # --- tenants -----------------------------------------------------------------
    def reset(self):
        with self.lock:
            self._tenants.clear()
            self._domains.clear()

    def add_tenant(self, tenant_id=None, domain=None, intune=True, throttle_seconds=None,
                   sync_seconds=None, sync_result=None, sync_retry_after=False, settings=None,
                   clock_offset=0.0, status_lag=0.0, cloud="global", trigger_lag=0.0):
        tenant_id = str(uuid.UUID(tenant_id)) if tenant_id else str(uuid.uuid4())
        domain = (domain or "tenant-%s.onmicrosoft.com" % tenant_id[:8]).lower()
        tenant = Tenant(
            tenant_id=tenant_id, domain=domain, intune=bool(intune),
            throttle_seconds=float(self._pick(throttle_seconds, "throttle_seconds")),
            sync_seconds=float(self._pick(sync_seconds, "sync_seconds")),
            sync_result=self._pick(sync_result, "sync_result"),
            sync_retry_after=bool(sync_retry_after), clock_offset=float(clock_offset),
            status_lag=float(status_lag), cloud=cloud, trigger_lag=float(trigger_lag))
        if tenant.sync_result not in SYNC_RESULTS:
            raise ValueError("sync_result must be one of %s" % (SYNC_RESULTS,))
        if cloud not in GRAPH_RESOURCES:
            raise ValueError("cloud must be one of %s" % (sorted(GRAPH_RESOURCES),))
        with self.lock:
            if tenant_id in self._tenants or domain in self._domains:
                raise ValueError("tenant %s / %s already exists" % (tenant_id, domain))
            self._tenants[tenant_id] = tenant
            self._domains[domain] = tenant_id
            if settings:
                self._apply_settings(tenant, settings)
        return tenant_id

    def update_tenant(self, tenant_id, **knobs):
        """Change throttle_seconds / sync_seconds / sync_result / sync_retry_after / intune /
        clock_offset / status_lag / trigger_lag / cloud."""
        allowed = {"throttle_seconds": float, "sync_seconds": float, "sync_result": str,
                   "sync_retry_after": bool, "intune": bool, "clock_offset": float,
                   "status_lag": float, "trigger_lag": float, "cloud": str}
        with self.lock:
            tenant = self._get(tenant_id)
            for name, value in knobs.items():
                if name not in allowed:
                    raise ValueError("unknown tenant setting %r" % name)
                if name == "sync_result" and value not in SYNC_RESULTS:
                    raise ValueError("sync_result must be one of %s" % (SYNC_RESULTS,))
                if name == "cloud" and value not in GRAPH_RESOURCES:
                    raise ValueError("cloud must be one of %s" % (sorted(GRAPH_RESOURCES),))
                setattr(tenant, name, allowed[name](value))

    def _pick(self, value, name):
        return self.defaults[name] if value is None else value

    def resolve(self, name):
        """Tenant GUID for a GUID or registered domain (case-insensitive), else None."""
        if not name:
            return None
        key = name.lower()
        with self.lock:
            if key in self._tenants:
                return key
            return self._domains.get(key)

    def _get(self, tenant_id):
        resolved = self.resolve(tenant_id)
        if resolved is None:
            raise UnknownTenant(tenant_id)
        return self._tenants[resolved]

    def tenant_ids(self):
        with self.lock:
            return list(self._tenants)

    def tenant_info(self, tenant_id):
        """A copy of what request handlers need (no secrets)."""
        with self.lock:
            t = self._get(tenant_id)
            return {"tenant_id": t.tenant_id, "domain": t.domain, "intune": t.intune,
                    "graph_resource": GRAPH_RESOURCES[t.cloud]}

    def graph_now(self, tenant_id):
        """Epoch seconds on this tenant's Graph clock (its timestamps and its Date header)."""
        with self.lock:
            return self.clock.now() + self._get(tenant_id).clock_offset

    def syncs_started(self, tenant_id):
        with self.lock:
            return self._get(tenant_id).syncs_started

    # --- principals --------------------------------------------------------------
    def add_app(self, tenant_id, client_id=None, secret=None, certificate_pem=None,
                federated_subject=None, roles=()):
        app = App(client_id=str(uuid.UUID(client_id)) if client_id else str(uuid.uuid4()),
                  secret=secret, certificates=_load_certs(certificate_pem),
                  federated_subject=federated_subject, roles=tuple(roles or ()))
        with self.lock:
            self._get(tenant_id).apps[app.client_id] = app
        return app.client_id

    def find_app(self, tenant_id, client_id):
        with self.lock:
            return self._get(tenant_id).apps.get((client_id or "").lower())

    def add_managed_identity(self, tenant_id, client_id=None, roles=()):
        identity = ManagedIdentity(
            client_id=str(uuid.UUID(client_id)) if client_id else str(uuid.uuid4()),
            system_assigned=client_id is None, roles=tuple(roles or ()))
        with self.lock:
            tenant = self._get(tenant_id)
            if identity.system_assigned:  # at most one system-assigned identity per tenant
                tenant.identities = {k: v for k, v in tenant.identities.items()
                                     if not v.system_assigned}
            tenant.identities[identity.client_id] = identity
        return identity.client_id

    def find_managed_identity(self, tenant_id, client_id=None):
        with self.lock:
            identities = self._get(tenant_id).identities.values()
            for identity in identities:
                if client_id is None and identity.system_assigned:
                    return identity
                if client_id is not None and identity.client_id == client_id.lower():
                    return identity
        return None

    def identity_header(self, tenant_id):
        """Stable per-tenant IDENTITY_HEADER secret, derived so reset() keeps it."""
        return hmac.new(self._mi_key, tenant_id.encode(), hashlib.sha256).hexdigest()

    # --- Autopilot settings --------------------------------------------------------
    def _advance(self, tenant, now):
        # Finish a running sync once its time is up (lazy evaluation).
        if tenant.sync_status == "inProgress" and tenant.sync_ends_at is not None \
                and now >= tenant.sync_ends_at:
            tenant.sync_status = tenant.sync_result
            if tenant.sync_result == "completed":
                tenant.last_sync = tenant.sync_ends_at
            ended, tenant.sync_ends_at = tenant.sync_ends_at, None
            for listener in self.sync_listeners:
                listener(tenant.tenant_id, tenant.sync_started_at, ended, tenant.sync_result)

    def advance(self, tenant_id):
        """Finish the tenant's sync if its time is up; -> the tenant GUID (UnknownTenant if none)."""
        with self.lock:
            tenant = self._get(tenant_id)
            self._advance(tenant, to_ticks(self.clock.now() + tenant.clock_offset))
            return tenant.tenant_id

    def settings(self, tenant_id):
        """Graph JSON properties of windowsAutopilotSettings (no @odata annotations).

        Like Graph, for ``status_lag`` seconds after a trigger syncStatus and
        lastSyncDateTime still show what they were before; and for ``trigger_lag``
        seconds lastManualSyncTriggerDateTime still shows the trigger before it
        (Graph stamps it in its back end), while a POST meanwhile already gets
        409/429 (see trigger_sync).
        """
        with self.lock:
            tenant = self._get(tenant_id)
            now = to_ticks(self.clock.now() + tenant.clock_offset)
            self._advance(tenant, now)
            status, last_sync = tenant.sync_status, tenant.last_sync
            if tenant.shown_before is not None and tenant.last_manual_trigger is not None \
                    and now < tenant.last_manual_trigger + to_ticks(tenant.status_lag):
                status, last_sync = tenant.shown_before
            trigger = tenant.last_manual_trigger
            if tenant.trigger_shown_at is not None and now < tenant.trigger_shown_at:
                trigger = tenant.trigger_before
            return {
                "id": tenant.settings_id,
                "lastSyncDateTime": format_graph_ticks(last_sync),
                "lastManualSyncTriggerDateTime": format_graph_ticks(trigger),
                "syncStatus": status,
            }

    def set_settings(self, tenant_id, **props):
        with self.lock:
            self._apply_settings(self._get(tenant_id), props)

    def _apply_settings(self, tenant, props):
        for name, value in props.items():
            if name == "id":
                tenant.settings_id = str(value)
            elif name == "lastSyncDateTime":
                tenant.last_sync = parse_graph_ticks(value)
            elif name == "lastManualSyncTriggerDateTime":
                tenant.last_manual_trigger = parse_graph_ticks(value)
                tenant.trigger_shown_at = None  # set by hand: shown at once
            elif name == "syncStatus":
                if value not in SYNC_STATUSES:
                    raise ValueError("syncStatus must be one of %s" % (SYNC_STATUSES,))
                tenant.sync_status = value
                # A sync put in progress by hand ends like a triggered one.
                tenant.sync_ends_at = (to_ticks(self.clock.now() + tenant.clock_offset
                                                + tenant.sync_seconds)
                                       if value == "inProgress" else None)
                if value == "inProgress":
                    tenant.sync_started_at = to_ticks(self.clock.now() + tenant.clock_offset)
            else:
                raise ValueError("unknown windowsAutopilotSettings property %r" % name)

    def trigger_sync(self, tenant_id):
        """-> ("started", None) | ("in_progress", None) | ("throttled", retry_after_seconds)."""
        with self.lock:
            tenant = self._get(tenant_id)
            now = to_ticks(self.clock.now() + tenant.clock_offset)
            self._advance(tenant, now)
            if tenant.sync_status == "inProgress":
                return "in_progress", None
            if tenant.last_manual_trigger is not None:
                elapsed = (now - tenant.last_manual_trigger) / _TICKS
                remaining = tenant.throttle_seconds - elapsed
                if remaining > 0:
                    return "throttled", (max(1, math.ceil(remaining))
                                         if tenant.sync_retry_after else None)
            tenant.shown_before = (tenant.sync_status, tenant.last_sync)
            tenant.trigger_before = tenant.last_manual_trigger
            tenant.trigger_shown_at = now + to_ticks(tenant.trigger_lag)
            tenant.last_manual_trigger = now
            tenant.syncs_started += 1
            tenant.sync_status = "inProgress"
            tenant.sync_started_at = now
            tenant.sync_ends_at = now + to_ticks(tenant.sync_seconds)
            return "started", None
