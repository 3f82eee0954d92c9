"""Injected failures: a FIFO queue of faults matched by tenant, endpoint and method.

The server consumes the first matching fault for each request and either
replaces the answer (status, html, empty), delays it (slow), mangles it
(truncated_json), drops the connection (reset) or makes Graph see the bearer
token as expired (expired_token).
"""
import email.utils
import json
import threading
import time
from dataclasses import dataclass, field

from .responses import Response, entra_error, graph_error, intune_error, msi_error

KINDS = ("status", "slow", "reset", "html", "empty", "truncated_json", "expired_token", "malformed",
         "acted_then_status", "acted_then_reset", "acted_then_slow")
# Faults where the service does the work first and the answer is lost afterwards (a gateway's
# 503/504, a connection reset, an answer slower than the client's timeout).
ACTED_KINDS = ("acted_then_status", "acted_then_reset", "acted_then_slow")
# Windows Autopilot devices and imports: Intune answers their errors itself (intune_error).
INTUNE_ENDPOINTS = ("devices", "device", "device_action", "imports", "import_record", "import")
ENDPOINTS = ("discovery", "token", "msi", "settings", "sync") + INTUNE_ENDPOINTS + ("other",)
# ...and so it does the sync action's (its 409 and 429 are the 10-minute rule's).
INTUNE_SHAPED = INTUNE_ENDPOINTS + ("sync",)
ENTRA_ENDPOINTS = ("discovery", "token")
# Statuses whose faulted answer on an Intune-shaped endpoint has Intune's shape unless shape="graph";
# the others (502, 503, 504, ...) come from Graph's gateway: plain Graph envelope.
INTUNE_STATUSES = (400, 404, 409, 429, 500)
SHAPES = ("intune", "graph")

_GRAPH_CODES = {400: "BadRequest", 401: "InvalidAuthenticationToken", 403: "Forbidden",
                404: "ResourceNotFound", 409: "Conflict", 429: "TooManyRequests",
                500: "InternalServerError", 502: "BadGateway", 503: "ServiceUnavailable",
                504: "GatewayTimeout"}

PROXY_LOGIN_PAGE = b"""<!DOCTYPE html>
<html><head><title>Secure Web Gateway - Sign in</title></head>
<body><h1>Authentication required</h1>
<p>Your organization's proxy requires you to sign in before you can reach this site.</p>
<form method="post" action="/proxy-login"><input name="username"><input name="password" type="password">
<button type="submit">Sign in</button></form></body></html>
"""


@dataclass
class Fault:
    kind: str
    tenant: str = None      # tenant GUID (lower case); None = any
    endpoint: str = None    # one of ENDPOINTS; None = any
    method: str = None      # HTTP method; None = any
    count: int = 1          # -1 = forever
    params: dict = field(default_factory=dict)
    skip: int = 0           # let this many matching requests pass before the fault applies

    def matches(self, tenant, endpoint, method):
        return ((self.tenant is None or self.tenant == (tenant or "").lower())
                and (self.endpoint is None or self.endpoint == endpoint)
                and (self.method is None or self.method == method))


class FaultQueue:
    def __init__(self):
        self._lock = threading.Lock()
        self._faults = []

    def add(self, fault):
        if fault.kind not in KINDS:
            raise ValueError("unknown fault kind %r; known: %s" % (fault.kind, ", ".join(KINDS)))
        if fault.endpoint is not None and fault.endpoint not in ENDPOINTS:
            raise ValueError("unknown endpoint %r; known: %s" % (fault.endpoint,
                                                                 ", ".join(ENDPOINTS)))
        if fault.count == 0 or fault.count < -1:
            raise ValueError("count must be positive or -1 (forever)")
        if fault.kind in ("status", "acted_then_status") and "status" not in fault.params:
            raise ValueError("a %r fault needs a status parameter" % fault.kind)
        if fault.skip < 0:
            raise ValueError("skip must be 0 or more")
        if fault.params.get("shape", "intune") not in SHAPES:
            raise ValueError("shape must be one of %s" % (SHAPES,))
        fault.method = fault.method.upper() if fault.method else None
        with self._lock:
            self._faults.append(fault)

    def take(self, tenant, endpoint, method):
        """First matching fault (FIFO), consuming one use of it; None if none matches."""
        with self._lock:
            for index, fault in enumerate(self._faults):
                if fault.matches(tenant, endpoint, method):
                    if fault.skip > 0:
                        fault.skip -= 1
                        return None
                    if fault.count > 0:
                        fault.count -= 1
                        if fault.count == 0:
                            del self._faults[index]
                    return fault
        return None

    def pending(self):
        with self._lock:
            return [dict(kind=f.kind, tenant=f.tenant, endpoint=f.endpoint, method=f.method,
                         count=f.count, skip=f.skip, **f.params) for f in self._faults]

    def clear(self):
        with self._lock:
            self._faults.clear()


def retry_after_header(params, now=None):
    """Retry-After from retry_after=<seconds> or retry_after="http-date" (+retry_after_seconds), or
    any other text sent as it is (``"²"``, forty nines); ``now`` is the clock of the answer's Date
    header (the tenant's Graph clock)."""
    value = params.get("retry_after")
    if value is None:
        return {}
    if value == "http-date":
        when = (time.time() if now is None else now) + float(params.get("retry_after_seconds", 0))
        return {"Retry-After": email.utils.formatdate(when, usegmt=True)}
    return {"Retry-After": value if isinstance(value, str) else str(int(value))}


def replacement_response(fault, endpoint, request_id, client_request_id, now=None, path=None):
    """The answer for status/html/empty faults, shaped like the endpoint's own errors
    (``path`` goes into the internal URL of an Intune-shaped error)."""
    params = fault.params
    if fault.kind == "html":
        return Response(int(params.get("status", 200)), PROXY_LOGIN_PAGE,
                        {"Content-Type": "text/html; charset=utf-8"})
    if fault.kind == "empty":
        return Response(int(params.get("status", 200)), b"",
                        {"Content-Type": "application/json; charset=utf-8"})
    status = int(params["status"])
    headers = retry_after_header(params, now)
    if status in (204, 304):
        return Response.empty(status, headers)
    message = params.get("message")
    if endpoint in ENTRA_ENDPOINTS:
        return entra_error(status, int(params.get("code", 90033)),
                           message or "A transient error has occurred. Please try again.",
                           request_id, client_request_id,
                           error=params.get("error") or (
                               "temporarily_unavailable" if status >= 429 else None),
                           headers=headers)
    if endpoint == "msi":
        return msi_error(status, message or "Managed identity endpoint is unavailable.", headers)
    code = params.get("code", _GRAPH_CODES.get(status, "UnknownError"))
    if endpoint in INTUNE_SHAPED and params.get(
            "shape", "intune" if status in INTUNE_STATUSES else "graph") == "intune":
        return intune_error(status, code, request_id, client_request_id, path,
                            message or "An error has occurred", headers)
    return graph_error(status, code, message or "Simulated failure (HTTP %d)." % status,
                       request_id, client_request_id, headers)


def truncate(response):
    """Cut a JSON answer in half; an answer without a body gets a small JSON object first."""
    body = response.body or json.dumps({"@odata.context": "$metadata#Edm.Null",
                                        "value": None}).encode()
    headers = dict(response.headers)
    headers["Content-Type"] = "application/json; charset=utf-8"
    status = 200 if response.status == 204 else response.status
    return Response(status, body[: max(1, len(body) // 2)], headers)


def malform(response, params):
    """Replace (``values``) or drop (``missing``) properties of a JSON object answer; the same
    for every element of its ``value`` list with ``each_values`` / ``each_missing``."""
    if response.status != 200:
        return response
    payload = json.loads(response.body)
    _mangle(payload, params.get("values"), params.get("missing"))
    if isinstance(payload.get("value"), list):
        for item in payload["value"]:
            _mangle(item, params.get("each_values"), params.get("each_missing"))
    return Response(response.status, json.dumps(payload).encode(), dict(response.headers))


def _mangle(obj, values, missing):
    obj.update(values or {})
    for name in missing or ():
        obj.pop(name, None)
