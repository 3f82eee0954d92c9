"""The fault matrix: every transport/service fault x both modules, through real playbook runs.

Each row injects one fault (or one real condition such as a missing permission)
into a fresh simulated tenant, runs one module, and checks two things:

* the task's result: recovered (``ok``) with the expected return values, or a
  clear failure whose ``msg`` names the cause and the next step, with the
  ``error`` fields (status, request ids) that exist for it and no traceback;
* the simulator's request log for the watched endpoint: how many attempts were
  made and what each got (None = the connection was reset), and how long the
  client waited between them.

For ``autopilot_sync`` a 429 on the sync POST is Microsoft's 10-minute rule: an
outcome that is never retried. A 429 on the settings GET or on the token
endpoint is ordinary throttling: retried, honouring Retry-After.

docs/docsite/rst/fault_matrix.rst shows this table with the observed behaviour;
``test_the_docs_list_every_row`` keeps the two in step.
"""

from dataclasses import dataclass, field
from pathlib import Path

import pytest

from helpers import connections_opened, graph_time, log_seconds, parse_z, wait_for_log

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "docsite" / "rst" / "fault_matrix.rst"

MODULES = {
    "settings": "intune.autopilot.windows_autopilot_settings",
    "sync": "intune.autopilot.autopilot_sync",
    "device_info": "intune.autopilot.autopilot_device_info",
    "device": "intune.autopilot.autopilot_device",
    "device_import": "intune.autopilot.autopilot_device_import",
}
# The device rows' tenant: three devices on pages of two, so a listing takes two requests.
DEVICES = ("FAULT1", "FAULT2", "FAULT3")
PAGED = {"device_page_size": 2}
TRACEBACK = "Traceback (most recent call last)"
# The import rows: two new devices, imports that Intune finishes at once (seen at the first poll).
IMPORTING = {"devices": [{"serial_number": "IMPORT1", "hardware_hash": "SU1QT1JULUhBU0gtMQ=="},
                         {"serial_number": "IMPORT2", "hardware_hash": "SU1QT1JULUhBU0gtMg=="}],
             "sync": False, "poll_interval": 1}
INSTANT = {"import_seconds": 0}
# Intune's 429 on an import has no Retry-After: the first pause is 1-2 s.
THROTTLE_BACKOFF = (0.9, 4.0)


def fault(kind, endpoint, count=1, **params):
    return dict(kind=kind, endpoint=endpoint, count=count, **params)


@dataclass(frozen=True)
class Row:
    """One cell of the matrix: a fault met by one module, and what must happen."""

    name: str                   # the fault, as the docs table names it
    module: str                 # "settings" | "sync"
    faults: tuple               # injected faults (see simulator README)
    watch: str                  # endpoint whose attempts are asserted
    statuses: tuple             # the watched endpoint's answers, in order; None = reset
    ok: bool                    # True: the task succeeds; False: it fails clearly
    words: tuple = ()           # words the failure msg must contain (cause + next step)
    result: dict = field(default_factory=dict)   # expected return values (subset)
    error: dict = field(default_factory=dict)    # expected ``error`` fields (subset)
    ids: bool = False           # error carries request-id/client-request-id of the last answer
    also: dict = field(default_factory=dict)     # other endpoints' statuses in the log
    conn: dict = field(default_factory=dict)     # connection option overrides
    opts: dict = field(default_factory=dict)     # module options
    tenant: dict = field(default_factory=dict)   # add_tenant options
    setup: str = None           # special preparation, see prepare()
    gap: tuple = None           # (min, max) seconds between the first two watched attempts
    unordered: bool = False     # statuses may arrive in any order (a slow answer races its retry)
    max_elapsed: float = 30.0   # bound on the whole ansible-playbook run (a loaded 2-core CI box)

    @property
    def id(self):
        return "%s/%s" % (self.name, self.module)


GRAPH_TOKEN_OK = {"token": (200,)}
NO_GRAPH = {"settings": (), "sync": ()}
# The first backoff without Retry-After is 0.25-0.5 s (equal jitter on 0.5 s); the log adds a little.
BACKOFF = (0.2, 3.0)

# ---------------------------------------------------------------------------------------------
#   fault                          module     injected fault                       attempts seen
# ---------------------------------------------------------------------------------------------
MATRIX = [
    # -- 429 with Retry-After in seconds ------------------------------------------------------
    Row("429-retry-after-seconds", "settings", (fault("status", "settings", status=429, retry_after=1),),
        "settings", (429, 200), ok=True, gap=(1.0, 4.0), also=GRAPH_TOKEN_OK),
    Row("429-retry-after-seconds", "sync", (fault("status", "sync", status=429, retry_after=1),),
        "sync", (429,), ok=True, result={"outcome": "throttled", "changed": False},
        also={"settings": (200,)}, setup="allowed-at-from-retry-after"),
    Row("429-retry-after-seconds-on-read", "sync", (fault("status", "settings", status=429, retry_after=1),),
        "settings", (429, 200), ok=True, opts={"skip_if_synced_within": 60},
        result={"outcome": "triggered", "changed": True}, also={"sync": (204,)}, gap=(1.0, 4.0)),
    # -- 429 with Retry-After as an HTTP date ---------------------------------------------------
    Row("429-retry-after-http-date", "settings",
        (fault("status", "settings", status=429, retry_after="http-date", retry_after_seconds=2),),
        "settings", (429, 200), ok=True, gap=(0.9, 4.5), also=GRAPH_TOKEN_OK),
    Row("429-retry-after-http-date", "sync",
        (fault("status", "sync", status=429, retry_after="http-date", retry_after_seconds=2),),
        "sync", (429,), ok=True, result={"outcome": "throttled", "changed": False},
        also={"settings": (200,)}, setup="allowed-at-from-retry-after"),
    # -- 429 without Retry-After -----------------------------------------------------------------
    Row("429-no-retry-after", "settings", (fault("status", "settings", status=429),),
        "settings", (429, 200), ok=True, gap=BACKOFF, also=GRAPH_TOKEN_OK),
    Row("429-no-retry-after", "sync", (fault("status", "sync", status=429),),
        "sync", (429,), ok=True, result={"outcome": "throttled", "changed": False},
        also={"settings": (200,)}, setup="allowed-at-from-settings"),
    Row("429-persistent", "settings", (fault("status", "settings", count=-1, status=429, retry_after=1),),
        "settings", (429, 429, 429), ok=False, conn={"max_retries": 2},
        words=("429", "throttling", "max_retries", "3 attempts"),
        error={"status": 429, "code": "TooManyRequests"}, ids=True, gap=(1.0, 4.0)),
    # -- a Retry-After no client can honour -------------------------------------------------------
    # "²" passes str.isdigit(); forty nines overflowed "now + Retry-After". Neither is believed: the
    # read is retried with backoff, and the sync's window follows from the last manual trigger.
    Row("429-retry-after-not-a-number", "settings", (fault("status", "settings", status=429, retry_after="\u00b2"),),
        "settings", (429, 200), ok=True, gap=BACKOFF, also=GRAPH_TOKEN_OK),
    Row("429-retry-after-not-a-number", "sync", (fault("status", "sync", status=429, retry_after="\u00b2"),),
        "sync", (429,), ok=True, result={"outcome": "throttled", "changed": False},
        also={"settings": (200,)}, setup="allowed-at-from-settings"),
    Row("429-retry-after-huge", "settings", (fault("status", "settings", status=429, retry_after="9" * 40),),
        "settings", (429, 200), ok=True, gap=BACKOFF, also=GRAPH_TOKEN_OK),
    Row("429-retry-after-huge", "sync", (fault("status", "sync", status=429, retry_after="9" * 40),),
        "sync", (429,), ok=True, result={"outcome": "throttled", "changed": False},
        also={"settings": (200,)}, setup="allowed-at-from-settings"),
    # -- 503 / 504 --------------------------------------------------------------------------------
    Row("503", "settings", (fault("status", "settings", status=503),),
        "settings", (503, 200), ok=True, also=GRAPH_TOKEN_OK, gap=BACKOFF),
    Row("503", "sync", (fault("status", "sync", status=503),),
        "sync", (503, 204), ok=True, result={"outcome": "triggered", "changed": True}, gap=BACKOFF),
    Row("503-persistent", "settings", (fault("status", "settings", count=-1, status=503),),
        "settings", (503, 503, 503), ok=False, conn={"max_retries": 2},
        words=("503", "server-side problem", "try again later", "3 attempts"),
        error={"status": 503, "code": "ServiceUnavailable"}, ids=True),
    # Every lost sync answer is decided by reading the settings; only when they show no
    # trigger of this task is the request sent again, max_retries times at most.
    Row("503-persistent", "sync", (fault("status", "sync", count=-1, status=503),),
        "sync", (503, 503, 503), ok=False, conn={"max_retries": 2},
        words=("503", "try again later", "3 sync requests", "no sync started by this task"),
        error={"status": 503, "code": "ServiceUnavailable", "attempts": 3}, ids=True,
        also={"settings": (200, 200, 200)}, setup="no-sync-started"),
    Row("504", "settings", (fault("status", "settings", status=504),),
        "settings", (504, 200), ok=True, also=GRAPH_TOKEN_OK, gap=BACKOFF),
    Row("504", "sync", (fault("status", "sync", status=504),),
        "sync", (504, 204), ok=True, result={"outcome": "triggered", "changed": True}),
    # -- connection reset mid-response ------------------------------------------------------------
    Row("connection-reset", "settings", (fault("reset", "settings"),),
        "settings", (None, 200), ok=True, also=GRAPH_TOKEN_OK, gap=BACKOFF),
    Row("connection-reset", "sync", (fault("reset", "sync"),),
        "sync", (None, 204), ok=True, result={"outcome": "triggered", "changed": True}),
    Row("connection-reset-persistent", "settings", (fault("reset", "settings", count=-1),),
        "settings", (None, None, None), ok=False, conn={"max_retries": 2},
        words=("after 3 attempt(s)", "Connection aborted", "network path", "HTTPS_PROXY"),
        error={"attempts": 3}),
    Row("connection-reset-persistent", "sync", (fault("reset", "sync", count=-1),),
        "sync", (None, None, None), ok=False, conn={"max_retries": 2},
        words=("3 sync requests", "Connection aborted", "network path", "no sync started by this task"),
        error={"attempts": 3}, setup="no-sync-started"),
    # -- read timeout: the answer comes after `timeout` -------------------------------------------
    Row("read-timeout", "settings", (fault("slow", "settings", delay=2),),
        "settings", (200, 200), ok=True, conn={"timeout": 1}, also=GRAPH_TOKEN_OK, unordered=True),
    # The slow POST is processed after the client gave up: the read right after shows no
    # trigger, so the POST is sent again. One of the two starts the sync (204), the other
    # meets it running (409); either way exactly one sync, and it is this task's.
    Row("read-timeout", "sync", (fault("slow", "sync", delay=2),),
        "sync", (204, 409), ok=True, conn={"timeout": 1}, tenant={"sync_seconds": 60}, unordered=True,
        result={"outcome": "triggered", "changed": True}, setup="one-sync"),
    # -- Graph acted, then the answer was lost --------------------------------------------------
    Row("acted-then-503", "sync", (fault("acted_then_status", "sync", status=503),),
        "sync", (503,), ok=True, result={"outcome": "triggered", "changed": True},
        also={"settings": (200,)}, setup="one-sync"),
    Row("acted-then-504", "sync", (fault("acted_then_status", "sync", status=504),),
        "sync", (504,), ok=True, result={"outcome": "triggered", "changed": True},
        also={"settings": (200,)}, setup="one-sync"),
    Row("acted-then-reset", "sync", (fault("acted_then_reset", "sync"),),
        "sync", (None,), ok=True, result={"outcome": "triggered", "changed": True},
        also={"settings": (200,)}, setup="one-sync"),
    Row("acted-then-read-timeout", "sync", (fault("acted_then_slow", "sync", delay=2),),
        "sync", (204,), ok=True, conn={"timeout": 1}, result={"outcome": "triggered", "changed": True},
        also={"settings": (200,)}, setup="one-sync"),
    Row("read-timeout-persistent", "settings", (fault("slow", "settings", count=-1, delay=1.5),),
        "settings", (200, 200), ok=False, conn={"timeout": 1, "max_retries": 1},
        words=("after 2 attempt(s)", "no answer within 1 seconds", "Raise timeout"), error={"attempts": 2}),
    # -- bodies that are not Graph's JSON ---------------------------------------------------------
    Row("html-200", "settings", (fault("html", "settings"),),
        "settings", (200,), ok=False, words=("HTML page", "Secure Web Gateway", "proxy", "HTTPS_PROXY"),
        error={"status": 200, "code": "NonJsonResponse"}, ids=True),
    # An unreadable answer to the sync request is decided by reading: this proxy page was
    # not Graph's, the settings show no trigger, so the request is sent again.
    Row("html-200", "sync", (fault("html", "sync"),),
        "sync", (200, 204), ok=True, result={"outcome": "triggered", "changed": True},
        also={"settings": (200,)}, setup="one-sync"),
    Row("empty-200", "settings", (fault("empty", "settings"),),
        "settings", (200,), ok=False, words=("200", "empty body", "HTTPS_PROXY"),
        error={"status": 200}),
    # The sync action has no body (Graph answers 204): an empty 2xx is its success.
    Row("empty-200", "sync", (fault("empty", "sync"),),
        "sync", (200,), ok=True, result={"outcome": "triggered", "changed": True}),
    Row("truncated-json", "settings", (fault("truncated_json", "settings"),),
        "settings", (200,), ok=False, words=("could not be parsed", "cut off", "run the task again"),
        error={"status": 200, "code": "NonJsonResponse"}, ids=True),
    # Graph started the sync and its answer was cut off: the settings show our trigger.
    Row("truncated-json", "sync", (fault("truncated_json", "sync"),),
        "sync", (200,), ok=True, result={"outcome": "triggered", "changed": True},
        also={"settings": (200,)}, setup="one-sync"),
    # -- 401: the token expired between acquisition and use -----------------------------------------
    Row("401-expired-token", "settings", (fault("expired_token", "settings"),),
        "settings", (401, 200), ok=True, also={"token": (200, 200)}),
    Row("401-expired-token", "sync", (fault("expired_token", "sync"),),
        "sync", (401, 204), ok=True, result={"outcome": "triggered", "changed": True},
        also={"token": (200, 200)}),
    Row("401-expired-token-persistent", "settings", (fault("expired_token", "settings", count=-1),),
        "settings", (401, 401), ok=False, words=("401", "expired", "access token", "issued for Microsoft Graph"),
        error={"status": 401, "code": "InvalidAuthenticationToken"}, ids=True, also={"token": (200, 200)}),
    Row("401-expired-access-token", "sync", (), "sync", (401,), ok=False, setup="expired-access-token",
        words=("401", "access_token", "Obtain a new token"),
        error={"status": 401, "code": "InvalidAuthenticationToken"}, ids=True, also={"token": ()}),
    # -- 403: the app lacks the permission --------------------------------------------------------
    Row("403-no-permission", "settings", (), "settings", (403,), ok=False, setup="no-roles",
        words=("403", "DeviceManagementServiceConfig.ReadWrite.All", "admin consent"),
        error={"status": 403, "code": "Forbidden"}, ids=True),
    Row("403-no-permission", "sync", (), "sync", (403,), ok=False, setup="no-roles",
        words=("403", "DeviceManagementServiceConfig.ReadWrite.All", "admin consent"),
        error={"status": 403, "code": "Forbidden"}, ids=True),
    # -- 404: a tenant without Intune -------------------------------------------------------------
    Row("404-no-intune", "settings", (), "settings", (404,), ok=False, tenant={"intune": False},
        words=("404", "Intune license"), error={"status": 404, "code": "ResourceNotFound"}, ids=True),
    Row("404-no-intune", "sync", (), "sync", (404,), ok=False, tenant={"intune": False},
        words=("404", "Intune license"), error={"status": 404, "code": "ResourceNotFound"}, ids=True),
    # -- the token endpoint (Entra ID) ------------------------------------------------------------
    Row("token-503", "settings", (fault("status", "token", status=503),),
        "token", (503, 200), ok=True, also={"settings": (200,)}),
    Row("token-503", "sync", (fault("status", "token", status=503),),
        "token", (503, 200), ok=True, result={"outcome": "triggered"}, also={"sync": (204,)}),
    Row("token-503-persistent", "settings", (fault("status", "token", count=-1, status=503),),
        "token", (503, 503), ok=False, conn={"max_retries": 1},
        words=("Entra ID", "503", "try again later", "max_retries"), also=NO_GRAPH),
    Row("token-503-persistent", "sync", (fault("status", "token", count=-1, status=503),),
        "token", (503, 503), ok=False, conn={"max_retries": 1},
        words=("Entra ID", "503", "try again later", "max_retries"), also=NO_GRAPH),
    Row("token-500", "settings", (fault("status", "token", status=500),),  # 500 is not transient
        "token", (500,), ok=False, words=("Entra ID", "500", "try again later"), also=NO_GRAPH),
    Row("token-429", "settings", (fault("status", "token", status=429, retry_after=1),),
        "token", (429, 200), ok=True, gap=(1.0, 4.0), also={"settings": (200,)}),
    Row("token-429", "sync", (fault("status", "token", status=429, retry_after=1),),
        "token", (429, 200), ok=True, gap=(1.0, 4.0), result={"outcome": "triggered"}, also={"sync": (204,)}),
    Row("discovery-503", "settings", (fault("status", "discovery", status=503),),
        "discovery", (503, 200), ok=True, also={"token": (200,), "settings": (200,)}),
    # -- TLS: Graph's certificate is not trusted / names another host -----------------------------
    Row("tls-untrusted-certificate", "settings", (), "settings", (), ok=False, setup="graph-at:untrusted_url",
        words=("TLS verification", "certificate verify failed", "ca_path"), also=GRAPH_TOKEN_OK),
    Row("tls-untrusted-certificate", "sync", (), "sync", (), ok=False, setup="graph-at:untrusted_url",
        words=("TLS verification", "certificate verify failed", "ca_path"), also=GRAPH_TOKEN_OK),
    Row("tls-certificate-for-another-host", "settings", (), "settings", (), ok=False,
        setup="graph-at:wrong_host_url", words=("TLS verification", "mismatch"), also=GRAPH_TOKEN_OK),
    Row("tls-certificate-for-another-host", "sync", (), "sync", (), ok=False,
        setup="graph-at:wrong_host_url", words=("TLS verification", "mismatch"), also=GRAPH_TOKEN_OK),
    Row("tls-untrusted-login-host", "settings", (), "discovery", (), ok=False, setup="login-at:untrusted_url",
        words=("TLS verification", "certificate verify failed", "ca_path"), also={"token": (), "settings": ()}),
    # -- Autopilot devices: the paged listing ---------------------------------------------------------
    # Intune's own 429 carries no Retry-After: backoff.
    Row("device-list-429-no-retry-after", "device_info", (fault("status", "devices", status=429),),
        "devices", (429, 200, 200), ok=True, tenant=PAGED, gap=BACKOFF, result={"changed": False}),
    Row("device-list-503-on-page-2", "device_info", (fault("status", "devices", status=503, skip=1),),
        "devices", (200, 503, 200), ok=True, tenant=PAGED, result={"changed": False}),
    Row("device-list-reset", "device_info", (fault("reset", "devices"),),
        "devices", (None, 200, 200), ok=True, tenant=PAGED),
    Row("device-list-foreign-next-link", "device_info",
        (fault("malformed", "devices", values={"@odata.nextLink": "https://graph.evil.example/beta/x"}),),
        "devices", (200,), ok=False, tenant=PAGED, words=("nextLink", "graph.evil.example", "graph_endpoint"),
        error={"code": "ForeignNextLink"}),
    Row("device-list-malformed-timestamp", "device_info",
        (fault("malformed", "devices", each_values={"lastContactedDateTime": "2026-02-30T00:00:00Z"}),),
        "devices", (200,), ok=False, tenant=PAGED, words=("lastContactedDateTime", "2026-02-30", "request-id"),
        error={"code": "MalformedResponse"}, ids=True),
    # -- Autopilot devices: writes, never repeated blindly -----------------------------------------------
    # Graph deleted the device, then the gateway's 504 lost the answer: a read (404) decides.
    Row("device-delete-acted-then-504", "device",
        (fault("acted_then_status", "device", method="DELETE", status=504),),
        "device", (504, 404), ok=True, opts={"serial_number": "FAULT1", "state": "absent"},
        result={"changed": True}, also={"devices": (200,)}, setup="device-deleted"),
    # Graph updated the device, then the connection was reset: the read shows the change.
    Row("device-update-acted-then-reset", "device", (fault("acted_then_reset", "device_action"),),
        "device_action", (None,), ok=True, opts={"serial_number": "FAULT1", "group_tag": "HR"},
        result={"changed": True}, also={"device": (200, 200)}, setup="device-tagged"),
    Row("device-update-429", "device", (fault("status", "device_action", status=429),),
        "device_action", (429, 204), ok=True, opts={"serial_number": "FAULT1", "group_tag": "HR"},
        result={"changed": True}, gap=BACKOFF, setup="device-tagged"),
    # Every answer lost: each is decided by reading; Graph shows no change, so it is sent again.
    Row("device-update-500-persistent", "device", (fault("status", "device_action", count=-1, status=500),),
        "device_action", (500, 500), ok=False, conn={"max_retries": 1},
        opts={"serial_number": "FAULT1", "group_tag": "HR"},
        words=("Gave up on the update of device", "after 2 request(s)", "Graph does not show the change"),
        error={"status": 500}, ids=True, also={"device": (200, 200)}),
    Row("device-403-read-only", "device", (), "device", (403,), ok=False, setup="read-only",
        opts={"serial_number": "FAULT1", "state": "absent"},
        words=("403", "DeviceManagementServiceConfig.ReadWrite.All", "admin consent"),
        error={"status": 403, "code": "Forbidden"}, ids=True, also={"devices": (200,)}),
    # -- DNS: Graph's host name does not resolve: nothing was sent, so nothing is ambiguous ---------
    Row("dns-failure", "settings", (), "settings", (), ok=False, setup="unresolvable-graph", conn={"max_retries": 1},
        words=("Could not resolve host graph.invalid", "2 attempt(s)", "graph_endpoint", "DNS"),
        error={"host": "graph.invalid", "attempts": 2}, also=GRAPH_TOKEN_OK),
    Row("dns-failure", "sync", (), "sync", (), ok=False, setup="unresolvable-graph", conn={"max_retries": 1},
        words=("Could not resolve host graph.invalid", "2 attempt(s)", "graph_endpoint", "DNS"),
        error={"host": "graph.invalid", "attempts": 2}, also=GRAPH_TOKEN_OK),
    # -- Autopilot device imports: never sent again blindly --------------------------------------------
    # Graph created every record, the gateway's 504 lost the answer: the read by importId finds them.
    Row("import-acted-then-504", "device_import", (fault("acted_then_status", "import", status=504),),
        "import", (504,), ok=True, opts=IMPORTING, tenant=INSTANT, setup="imported-once",
        result={"changed": True, "counts": {"imported": 2, "already_registered": 0, "failed": 0}}),
    # One record of two created, then the connection reset: only the other row is sent again.
    Row("import-acted-then-reset-partly", "device_import", (fault("acted_then_reset", "import", acted_records=1),),
        "import", (None, 200), ok=True, opts=IMPORTING, tenant=INSTANT, setup="imported-once",
        result={"counts": {"imported": 2, "already_registered": 0, "failed": 0}}),
    # Refused before acting: the read finds no record, so the import is sent again after backoff.
    Row("import-503", "device_import", (fault("status", "import", status=503),),
        "import", (503, 200), ok=True, opts=IMPORTING, tenant=INSTANT, gap=BACKOFF, setup="imported-once",
        result={"changed": True}),
    Row("import-html-200", "device_import", (fault("html", "import"),),
        "import", (200, 200), ok=True, opts=IMPORTING, tenant=INSTANT, setup="imported-once"),
    Row("import-429-no-retry-after", "device_import", (fault("status", "import", status=429),),
        "import", (429, 200), ok=True, opts=IMPORTING, tenant=INSTANT, gap=THROTTLE_BACKOFF, setup="imported-once"),
    Row("import-400", "device_import", (fault("status", "import", status=400),),
        "import", (400,), ok=False, opts=IMPORTING, tenant=INSTANT,
        words=("2 of 2 devices failed to import", "the import request failed", "400")),
    Row("import-poll-503", "device_import", (fault("status", "imports", status=503),),
        "imports", (503, 200), ok=True, opts=IMPORTING, tenant=INSTANT, setup="imported-once"),
    Row("import-poll-malformed", "device_import", (fault("malformed", "imports", each_missing=["state"]),),
        "imports", (200,), ok=False, opts=IMPORTING, tenant=INSTANT,
        words=("import records that cannot be used", "state", "request-id", "2 of 2 devices failed")),
    Row("import-delete-429", "device_import", (fault("status", "import_record", method="DELETE", status=429),),
        "import_record", (429, 200, 200), ok=True, opts=IMPORTING, tenant=INSTANT, gap=THROTTLE_BACKOFF,
        setup="imported-once"),
    Row("import-403-read-only", "device_import", (), "import", (403,), ok=False, opts=IMPORTING, tenant=INSTANT,
        setup="read-only", words=("2 of 2 devices failed", "403", "DeviceManagementServiceConfig.ReadWrite.All"),
        also={"devices": (200, 200)}),
]


def prepare(row, tenant):
    """Row-specific preparation; returns the connection options for the task."""
    connection = dict(tenant.connection, **row.conn)
    sim = tenant.sim
    if row.setup == "no-roles":
        secret = "no-roles-" + tenant.secret
        connection["client_id"] = sim.add_app(tenant.tenant_id, secret=secret, roles=())
        connection["client_secret"] = secret
    elif row.setup == "expired-access-token":
        for option in ("tenant_id", "client_id", "client_secret"):
            del connection[option]
        connection["access_token"] = sim.mint_access_token(tenant.tenant_id, tenant.client_id, expires_in=-60)
    elif row.setup == "allowed-at-from-settings":
        # No Retry-After: the window is computed from the last manual trigger.
        sim.set_settings(tenant.tenant_id, lastManualSyncTriggerDateTime=graph_time(60), syncStatus="completed")
    elif row.setup and row.setup.startswith("graph-at:"):
        connection["graph_endpoint"] = getattr(sim, row.setup.split(":")[1])
    elif row.setup and row.setup.startswith("login-at:"):
        connection["authority_host"] = getattr(sim, row.setup.split(":")[1])
    elif row.setup == "read-only":
        secret = "read-only-" + tenant.secret
        connection["client_id"] = sim.add_app(tenant.tenant_id, secret=secret,
                                              roles=["DeviceManagementServiceConfig.Read.All"])
        connection["client_secret"] = secret
    elif row.setup == "unresolvable-graph":
        connection["graph_endpoint"] = "https://graph.invalid"  # RFC 6761: never resolves
    if row.module.startswith("device"):
        sim.add_devices(tenant.tenant_id, [{"serialNumber": serial} for serial in DEVICES])
    for spec in row.faults:
        sim.add_fault(tenant=tenant.tenant_id, **spec)
    return connection


def module_options(row, tenant):
    """The row's options; serials to import are made this tenant's own (another tenant's would be 808)."""
    options = dict(row.opts)
    if "devices" in options:
        options["devices"] = [dict(d, serial_number="%s-%s" % (d["serial_number"], tenant.tenant_id[:8]))
                              for d in options["devices"]]
    return options


def check_row_specifics(row, tenant, result, watched):
    """Assertions that only some rows have."""
    if row.setup == "allowed-at-from-retry-after":
        # The settings show no open window: manual_sync_allowed_at = when the 429 was answered + Retry-After
        # (1 or 2 seconds), rounded up to a whole second
        allowed_at = parse_z(result["manual_sync_allowed_at"]).timestamp()
        assert 0 <= allowed_at - log_seconds(watched[0]) <= 3, result
    elif row.setup == "allowed-at-from-settings":
        trigger = tenant.sim.get_settings(tenant.tenant_id)["lastManualSyncTriggerDateTime"]
        allowed_at = parse_z(result["manual_sync_allowed_at"])
        assert abs((allowed_at - parse_z(trigger[:26] + "Z")).total_seconds() - 600) < 2, result
    elif row.setup == "one-sync":
        assert tenant.sim.syncs_started(tenant.tenant_id) == 1
    elif row.setup == "no-sync-started":
        assert tenant.sim.syncs_started(tenant.tenant_id) == 0
    elif row.setup == "device-deleted":
        assert sorted(d["serialNumber"] for d in tenant.sim.devices(tenant.tenant_id)) == ["FAULT2", "FAULT3"]
    elif row.setup == "device-tagged":
        assert {d["serialNumber"]: d["groupTag"] for d in tenant.sim.devices(tenant.tenant_id)}["FAULT1"] == "HR"
        assert result["device"]["group_tag"] == "HR"
    elif row.setup == "unresolvable-graph":
        # A request that never left is not a lost answer: no "could not tell whether ... started".
        assert "could not tell" not in result["msg"].lower(), result["msg"]
        assert result.get("changed") is False, result
    elif row.setup == "imported-once":
        stats = tenant.sim.import_stats(tenant.tenant_id)
        assert (stats["records_created"], stats["records"]) == (2, 0), stats  # no serial twice, cleaned up
    if row.module == "device_info" and row.ok:
        assert [d["serial_number"] for d in result["devices"]] == list(DEVICES)


@pytest.mark.parametrize("row", MATRIX, ids=[row.id for row in MATRIX])
def test_fault_matrix(make_tenant, run_playbook, row):
    tenant = make_tenant(**row.tenant)
    connection = prepare(row, tenant)
    connections_before = connections_opened(tenant.sim)
    task = {"name": "case", MODULES[row.module]: module_options(row, tenant), "register": "case"}
    run = run_playbook([task], module_defaults=connection)
    recorded = run.result("case")
    result = recorded["result"]
    output = run.stdout + run.stderr

    # -- the outcome -------------------------------------------------------------------------------
    assert TRACEBACK not in output, output
    assert run.elapsed < row.max_elapsed, "took %.1fs" % run.elapsed
    if row.ok:
        assert recorded["status"] == "ok", result
        assert run.rc == 0, output
        for key, value in row.result.items():
            assert result[key] == value, (key, result)
        if row.module == "settings":
            assert result["autopilot_settings"]["id"] == tenant.sim.get_settings(tenant.tenant_id)["id"]
    else:
        assert recorded["status"] == "failed", result
        message = result["msg"]
        assert TRACEBACK not in message
        for word in row.words:
            assert word in message, (word, message)
        error = result.get("error", {})
        for key, value in row.error.items():
            assert error.get(key) == value, (key, error)

    # -- the simulator's request log ---------------------------------------------------------------
    watched = wait_for_log(tenant, row.watch, len(row.statuses))
    statuses = tuple(entry["status"] for entry in watched)
    if row.unordered:
        assert sorted(statuses) == sorted(row.statuses), watched
    else:
        assert statuses == row.statuses, watched
    for endpoint, expected in row.also.items():
        assert tuple(e["status"] for e in tenant.log(endpoint)) == expected, (endpoint, tenant.log())
    if row.gap:
        low, high = row.gap
        waited = log_seconds(watched[1]) - log_seconds(watched[0])
        assert low <= waited <= high, "waited %.2fs between attempts, expected %s..%s" % (waited, low, high)
    if row.ids:
        last = watched[-1]
        assert result["error"]["request_id"] == last["request_id"], (result["error"], last)
        assert result["error"]["client_request_id"] == last["client_request_id"]
    if row.setup and row.setup.startswith(("graph-at:", "login-at:")):
        # A failed handshake never reaches the request log: count connections instead.
        # Exactly one was refused, i.e. TLS failures are not retried.
        logged = {entry["connection_id"] for entry in tenant.log()}
        assert connections_opened(tenant.sim) - connections_before == len(logged) + 1
    check_row_specifics(row, tenant, result, watched)


def test_sync_post_429_is_never_retried_even_with_retries_left(tenant, run_playbook):
    """The 10-minute rule: max_retries does not apply to the sync POST's 429."""
    tenant.sim.add_fault("status", tenant=tenant.tenant_id, endpoint="sync", count=-1, status=429, retry_after=1)
    run = run_playbook([{"name": "sync", "intune.autopilot.autopilot_sync": {}}],
                       module_defaults=dict(tenant.connection, max_retries=5))

    assert run.result("sync")["result"]["outcome"] == "throttled"
    assert [e["status"] for e in tenant.log("sync")] == [429]


def test_token_endpoint_failure_carries_status_and_request_ids(tenant, run_playbook):
    tenant.sim.add_fault("status", tenant=tenant.tenant_id, endpoint="token", count=-1, status=503)
    run = run_playbook([{"name": "read", "intune.autopilot.windows_autopilot_settings": {}}],
                       module_defaults=dict(tenant.connection, max_retries=0))

    error = run.result("read")["result"].get("error", {})
    last = tenant.log("token")[-1]
    assert error.get("status") == 503
    assert error.get("request_id") == last["request_id"]
    assert error.get("client_request_id") == last["client_request_id"]


def test_hostname_mismatch_names_the_host_options(tenant, run_playbook):
    run = run_playbook([{"name": "read", "intune.autopilot.windows_autopilot_settings": {}}],
                       module_defaults=dict(tenant.connection, graph_endpoint=tenant.sim.wrong_host_url))

    message = run.result("read")["result"]["msg"]
    assert "mismatch" in message
    assert "graph_endpoint" in message


def test_authority_host_that_is_not_entra_fails_clearly(tenant, run_playbook):
    """authority_host set to a service that is not Entra ID (here: Graph answering 404 ResourceNotFound)."""
    run = run_playbook([{"name": "read", "intune.autopilot.windows_autopilot_settings": {}}],
                       module_defaults=dict(tenant.connection, authority_host=tenant.sim.url + "/not-entra"))

    failed = run.result("read")
    assert failed["status"] == "failed"
    assert "object has no attribute" not in failed["result"]["msg"]
    assert "authority_host" in failed["result"]["msg"]
    assert len(tenant.sim.log(endpoint="other")) >= 1


def test_the_docs_list_every_row():
    text = DOC.read_text()
    missing = sorted({row.name for row in MATRIX if "``%s``" % row.name not in text})
    assert not missing, "fault_matrix.rst lacks rows for: %s" % ", ".join(missing)
