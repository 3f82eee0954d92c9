"""The /_sim/* control API: the Python API over HTTP, so another process can drive the simulator.

JSON in, JSON out, no authentication (loopback test tool). Errors: {"error": "..."}.
"""
import json
import re

from .responses import Response
from .state import UnknownTenant, format_graph_time

_T = r"(?P<tenant>[^/]+)"
_ROUTES = [
    ("GET", r"/_sim/health$", lambda sim, b, m: {"ok": True, "url": sim.url}),
    ("GET", r"/_sim/tenants$", lambda sim, b, m: {"tenants": sim.state.tenant_ids()}),
    ("POST", r"/_sim/tenants$", lambda sim, b, m: {"tenant_id": sim.add_tenant(**b)}),
    ("PATCH", r"/_sim/tenants/%s$" % _T,
     lambda sim, b, m: sim.update_tenant(m["tenant"], **b) or {"ok": True}),
    ("POST", r"/_sim/tenants/%s/apps$" % _T,
     lambda sim, b, m: {"client_id": sim.add_app(m["tenant"], **b)}),
    ("POST", r"/_sim/tenants/%s/managed-identities$" % _T,
     lambda sim, b, m: {"client_id": sim.add_managed_identity(m["tenant"], **b)}),
    ("GET", r"/_sim/tenants/%s/managed-identity-env$" % _T,
     lambda sim, b, m: sim.managed_identity_env(m["tenant"])),
    ("GET", r"/_sim/tenants/%s/settings$" % _T,
     lambda sim, b, m: sim.get_settings(m["tenant"])),
    ("PUT", r"/_sim/tenants/%s/settings$" % _T,
     lambda sim, b, m: sim.set_settings(m["tenant"], **b) or sim.get_settings(m["tenant"])),
    ("GET", r"/_sim/tenants/%s/syncs$" % _T,
     lambda sim, b, m: {"started": sim.syncs_started(m["tenant"])}),
    ("GET", r"/_sim/tenants/%s/now$" % _T,
     lambda sim, b, m: {"now": format_graph_time(sim.graph_now(m["tenant"]))}),
    ("GET", r"/_sim/tenants/%s/devices$" % _T,
     lambda sim, b, m: {"devices": sim.devices(m["tenant"])}),
    ("POST", r"/_sim/tenants/%s/devices$" % _T,
     lambda sim, b, m: {"ids": sim.add_devices(m["tenant"], **b)}),
    ("GET", r"/_sim/tenants/%s/imports$" % _T,
     lambda sim, b, m: dict(sim.import_stats(m["tenant"]),
                            imports=sim.imported_devices(m["tenant"]))),
    ("GET", r"/_sim/foreign-serials$", lambda sim, b, m: {"serials": sim.foreign_serials()}),
    ("PUT", r"/_sim/foreign-serials$",
     lambda sim, b, m: sim.set_foreign_serials(b["serials"]) or {"serials": sim.foreign_serials()}),
    ("POST", r"/_sim/faults$", lambda sim, b, m: sim.add_fault(**b) or {"ok": True}),
    ("GET", r"/_sim/faults$", lambda sim, b, m: {"faults": sim.faults.pending()}),
    ("DELETE", r"/_sim/faults$", lambda sim, b, m: sim.faults.clear() or {"ok": True}),
    ("GET", r"/_sim/log$", lambda sim, b, m: {"entries": sim.log(**b)}),
    ("DELETE", r"/_sim/log$", lambda sim, b, m: sim.clear_log() or {"ok": True}),
    ("POST", r"/_sim/reset$", lambda sim, b, m: sim.reset() or {"ok": True}),
    ("POST", r"/_sim/clock$", lambda sim, b, m: {"now": sim.advance_clock(b.get("advance", 0))}),
    ("POST", r"/_sim/tokens$", lambda sim, b, m: {"access_token": sim.mint_access_token(**b)}),
    ("POST", r"/_sim/federated-tokens$",
     lambda sim, b, m: {"token": sim.mint_federated_token(**b)}),
]
_COMPILED = [(method, re.compile(pattern), action) for method, pattern, action in _ROUTES]


def handle(sim, method, path, query, body):
    """Dispatch one control call; query parameters fill in for a body on GET."""
    try:
        args = json.loads(body) if body else dict(query)
    except ValueError:
        return _answer(400, {"error": "body is not JSON"})
    if not isinstance(args, dict):
        return _answer(400, {"error": "body must be a JSON object"})
    path_matched = False
    for route_method, pattern, action in _COMPILED:
        match = pattern.match(path)
        if not match:
            continue
        path_matched = True
        if route_method != method:
            continue
        try:
            return _answer(200, action(sim, args, match.groupdict()))
        except UnknownTenant as err:
            return _answer(404, {"error": "unknown tenant %s" % err})
        except (TypeError, ValueError) as err:
            return _answer(400, {"error": str(err)})
    return _answer(405 if path_matched else 404, {"error": "no control call %s %s" % (method, path)})


def _answer(status, payload):
    response = Response.json(status, payload)
    response.internal = True
    return response
