"""HTTPS listeners, request routing and the Simulator facade; also the CLI (run as a script).

Three listeners share one state: the trusted one (``url``), one whose certificate
names another host (``wrong_host_url``) and one signed by a CA nobody trusts
(``untrusted_url``).
"""
import os
import sys

if __name__ == "__main__" and not __package__:
    # Run as a plain script: import the package properly and hand over to it.
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    from simulator.server import main
    sys.exit(main())

import argparse
import email.utils
import json
import re
import signal
import socket
import ssl
import struct
import threading
import time
import traceback
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from socketserver import TCPServer

from . import control, devices, entra, graph
from .call import Call
from .config import apply_config, demo_config
from .device_state import KNOBS as DEVICE_KNOBS, DeviceState, check_knobs
from .faults import ACTED_KINDS, Fault, FaultQueue, malform, replacement_response, truncate
from .pki import ServerPKI
from .requestlog import RequestLog
from .responses import entra_error, graph_error, msi_error, new_id
from .state import Clock, State, UnknownTenant, format_graph_time
from .tokens import TokenService

DEFAULT_ROLES = ("DeviceManagementServiceConfig.ReadWrite.All",)
GRAPH_RESOURCE = "https://graph.microsoft.com"

_ENTRA_ROUTES = [
    (re.compile(r"^/([^/]+)/v2\.0/\.well-known/openid-configuration$", re.I), "discovery",
     entra.discovery),
    (re.compile(r"^/([^/]+)/oauth2/v2\.0/token$", re.I), "token", entra.token),
    (re.compile(r"^/([^/]+)/msi/token$", re.I), "msi", entra.managed_identity),
    (re.compile(r"^/([^/]+)/discovery/v2\.0/keys$", re.I), "other", entra.jwks),
]
_GRAPH_ROUTES = [
    (re.compile(r"^/beta/deviceManagement/windowsAutopilotSettings/?$", re.I), "settings",
     graph.settings),
    (re.compile(r"^/beta/deviceManagement/windowsAutopilotSettings/sync/?$", re.I), "sync",
     graph.sync),
    (re.compile(r"^/v1\.0/deviceManagement/windowsAutopilotSettings(/.*)?$", re.I), "other",
     graph.v1),
] + [(re.compile(pattern, re.I), name, handler) for pattern, name, handler in devices.ROUTES]


def _route(path):
    """-> (endpoint, handler, tenant segment or None, is_graph, other groups of the pattern)."""
    for pattern, endpoint, handler in _ENTRA_ROUTES:
        match = pattern.match(path)
        if match:
            return endpoint, handler, urllib.parse.unquote(match.group(1)), False, ()
    for pattern, endpoint, handler in _GRAPH_ROUTES:
        match = pattern.match(path)
        if match:
            return endpoint, handler, None, True, match.groups()
    return "other", graph.not_found, None, True, ()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive; every answer carries Content-Length
    server_version = "Microsoft-IIS/10.0"
    timeout = 60  # idle keep-alive connections give their thread back eventually

    def setup(self):
        super().setup()
        self.sim = self.server.sim
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.connection_id = self.sim._open_connection(self.connection)

    def handle(self):
        try:
            self.connection.do_handshake()  # here, not in accept(): a bad client blocks no one
        except (ssl.SSLError, OSError):
            return
        super().handle()

    def finish(self):
        try:
            super().finish()
        except OSError:
            pass
        self.sim._close_connection(self.connection)

    def version_string(self):
        return self.server_version

    def _answer_time(self):
        """Now on the clock of this answer: the simulated clock plus the tenant's Graph offset."""
        return self.sim.clock.now() + getattr(self, "_clock_offset", 0.0)

    def date_time_string(self, timestamp=None):
        return email.utils.formatdate(self._answer_time(), usegmt=True)

    def log_message(self, format, *args):  # the request log replaces stderr chatter
        pass

    # --- one request ---------------------------------------------------------------------
    def _dispatch(self):
        self._clock_offset = 0.0
        split = urllib.parse.urlsplit(self.path)
        path = split.path or "/"
        query = {k: v[0] for k, v in urllib.parse.parse_qs(split.query).items()}
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        if path.startswith("/_sim/"):
            return self._send(control.handle(self.sim, self.command, path, query, body))

        endpoint, handler, path_tenant, is_graph, path_args = _route(path)
        call = Call(method=self.command, path=path, query=query, headers=self.headers, body=body,
                    base_url=self.server.base_url, request_id=new_id(),
                    client_request_id=self.headers.get("client-request-id") or new_id(),
                    endpoint=endpoint, path_tenant=path_tenant, path_args=path_args)
        call.tenant = self.sim._tenant_of(call, is_graph)
        self._clock_offset = self.sim._clock_offset(call.tenant) if is_graph else 0.0
        call.fault = self.sim.faults.take(call.tenant, endpoint, self.command)
        kind = call.fault.kind if call.fault else None
        params = call.fault.params if call.fault else {}
        if kind == "reset":
            self._log(call, None)  # before the RST: the client may look at the log right after
            return self._reset(params.get("partial", "HTTP/1.1 50"))
        if kind == "slow":
            time.sleep(float(params.get("delay", 5)))  # no lock is held here
        handled = None  # the status the endpoint produced when it did the work
        if kind in ("status", "html", "empty"):
            response = replacement_response(call.fault, endpoint, call.request_id,
                                            call.client_request_id, self._answer_time(), path)
        else:
            response = self._run(handler, call, is_graph)
            handled = response.status
            if kind == "truncated_json":
                response = truncate(response)
            if kind == "malformed":
                response = malform(response, params)
        if kind in ACTED_KINDS:
            # The work is done; now the answer is lost on its way back.
            if kind == "acted_then_reset":
                self._log(call, None, handled)
                return self._reset(params.get("partial", "HTTP/1.1 50"))
            if kind == "acted_then_slow":
                self._log(call, response.status, handled)
                time.sleep(float(params.get("delay", 5)))
            else:
                response = replacement_response(call.fault, endpoint, call.request_id,
                                                call.client_request_id, self._answer_time(), path)
        if is_graph:
            response.headers.setdefault("request-id", call.request_id)
        else:
            response.headers.setdefault("x-ms-request-id", call.request_id)
        response.headers.setdefault("client-request-id", call.client_request_id)
        if kind != "acted_then_slow":
            self._log(call, response.status, handled)
        self._send(response)

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _dispatch

    def _run(self, handler, call, is_graph):
        try:
            return handler(self.sim, call)
        except UnknownTenant:  # removed by reset() while this request was in flight
            return self._run(graph.not_found if is_graph else entra.discovery,
                             Call(**dict(call.__dict__, tenant=None)), is_graph)
        except Exception:  # a simulator bug: say so loudly, answer like the service would
            traceback.print_exc()
            if is_graph:
                return graph_error(500, "InternalServerError", "Simulator error.",
                                   call.request_id, call.client_request_id)
            if call.endpoint == "msi":
                return msi_error(500, "Simulator error.")
            return entra_error(500, 90033, "Simulator error.", call.request_id,
                               call.client_request_id)

    def _send(self, response):
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        body = response.body if response.status not in (204, 304) else b""
        if response.status not in (204, 304):  # RFC 9110: no Content-Length on 204/304
            self.send_header("Content-Length", str(len(body)))
        # Headers and body in one write: two small TLS records would meet Nagle + delayed ACK.
        self._headers_buffer.extend([b"\r\n", body])
        self.flush_headers()

    def _reset(self, partial):
        """Send the start of a status line, then drop the connection with a TCP RST.

        Through TLS a client sees the RST as a ragged EOF; cutting the status line
        short is what makes every HTTP client report a broken connection."""
        try:
            self.wfile.write(partial.encode())
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.rfile.close()  # the socket really closes only once its file objects are gone
            self.connection.close()
        except OSError:
            pass
        self.close_connection = True

    def _log(self, call, status, handled=None):
        self.sim.request_log.append({
            "time": format_graph_time(time.time()), "method": call.method, "path": call.path,
            "endpoint": call.endpoint, "tenant": call.tenant, "status": status, "handled": handled,
            "client_request_id": call.client_request_id, "request_id": call.request_id,
            "fault": call.fault.kind if call.fault else None,
            "connection_id": self.connection_id,
            "auth_scheme": _auth_scheme(call.headers),
            "client_id": call.extra.get("client_id"),
        })


def _auth_scheme(headers):
    """The scheme of the Authorization header ("Bearer", "Basic"), never its value; None without one."""
    header = (headers.get("Authorization") or "").strip()
    return header.split(None, 1)[0] if header else None


class Listener(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128  # 50 clients connecting at once must not overflow the backlog

    def __init__(self, sim, host, port, ssl_context):
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.sim = sim
        super().__init__((host, port), Handler)
        self.socket = ssl_context.wrap_socket(self.socket, server_side=True,
                                              do_handshake_on_connect=False)
        shown = "[%s]" % host if ":" in host else host
        self.base_url = "https://%s:%d" % (shown, self.server_address[1])

    def server_bind(self):
        TCPServer.server_bind(self)  # skip HTTPServer's getfqdn(): a DNS lookup we do not need
        self.server_name, self.server_port = self.server_address[:2]

    def handle_error(self, request, client_address):
        # Clients that vanish or reject our certificate are part of the tests, not errors.
        if not isinstance(sys.exc_info()[1], (OSError, ssl.SSLError)):
            super().handle_error(request, client_address)


class Simulator:
    """Entra ID + Microsoft Graph (Windows Autopilot settings, devices, imports) over real HTTPS
    on loopback."""

    def __init__(self, state_dir, host="127.0.0.1", port=0, throttle_seconds=600,
                 sync_seconds=30, sync_result="completed", config=None):
        self.state_dir = str(state_dir)
        self.host, self.port = host, port
        self.config = config
        self.clock = Clock()
        self.state = State(self.clock, throttle_seconds, sync_seconds, sync_result)
        self.device_state = DeviceState(self.state)
        self.tokens = TokenService(self.clock)
        self.faults = FaultQueue()
        self.request_log = RequestLog()
        self._listeners = []
        self._threads = []
        self._connections = {}
        self._connections_lock = threading.Lock()
        self._next_connection = 0
        self.url = self.wrong_host_url = self.untrusted_url = self.ca_path = None

    # --- lifecycle -------------------------------------------------------------------
    def start(self):
        if self._listeners:
            raise RuntimeError("simulator already started")
        os.makedirs(self.state_dir, exist_ok=True)
        hosts = sorted({self.host, "127.0.0.1", "::1", "localhost"})
        pki = ServerPKI(self.state_dir, hosts)
        self.ca_path, self.untrusted_ca_path = pki.ca_path, pki.untrusted_ca_path
        for leaf, port in ((pki.server_cert, self.port), (pki.wrong_host_cert, 0),
                           (pki.untrusted_cert, 0)):
            self._listeners.append(Listener(self, self.host, port, pki.server_context(leaf)))
        self.url, self.wrong_host_url, self.untrusted_url = (l.base_url for l in self._listeners)
        for listener in self._listeners:
            thread = threading.Thread(target=listener.serve_forever, kwargs={"poll_interval": 0.1},
                                      name="simulator " + listener.base_url, daemon=True)
            thread.start()
            self._threads.append(thread)
        apply_config(self, self.config)
        return self

    def stop(self):
        for listener in self._listeners:
            listener.shutdown()
            listener.server_close()
        with self._connections_lock:
            live = list(self._connections)
        for connection in live:  # wake handler threads blocked on keep-alive reads
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        for thread in self._threads:
            thread.join(timeout=5)
        self._listeners, self._threads = [], []

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def reset(self):
        """Forget tenants, faults, log and clock offset; re-seed the constructor's config."""
        self.faults.clear()
        self.request_log.clear()
        self.clock.reset()
        self.state.reset()
        self.device_state.reset()
        apply_config(self, self.config)

    # --- tenants and principals --------------------------------------------------------
    def add_tenant(self, tenant_id=None, domain=None, intune=True, throttle_seconds=None,
                   sync_seconds=None, sync_result=None, sync_retry_after=False, settings=None,
                   clock_offset=0.0, status_lag=0.0, cloud="global", devices=None, trigger_lag=0.0,
                   **device_knobs):
        """``devices``: seeded as by add_devices; ``device_knobs``: see device_state.KNOBS."""
        check_knobs(device_knobs)  # refuse a bad knob before the tenant exists
        tid = self.state.add_tenant(tenant_id, domain, intune, throttle_seconds, sync_seconds,
                                    sync_result, sync_retry_after, settings, clock_offset,
                                    status_lag, cloud, trigger_lag)
        self.device_state.configure(tid, **device_knobs)
        if devices:
            self.add_devices(tid, devices)
        return tid

    def update_tenant(self, tenant_id, **knobs):
        device_knobs = {k: knobs.pop(k) for k in list(knobs) if k in DEVICE_KNOBS}
        check_knobs(device_knobs)
        self.state.update_tenant(tenant_id, **knobs)
        self.device_state.configure(tenant_id, **device_knobs)

    def add_app(self, tenant_id, client_id=None, secret=None, certificate_pem=None,
                federated_subject=None, roles=DEFAULT_ROLES):
        return self.state.add_app(tenant_id, client_id, secret, certificate_pem,
                                  federated_subject, roles)

    def add_managed_identity(self, tenant_id, client_id=None, roles=DEFAULT_ROLES):
        return self.state.add_managed_identity(tenant_id, client_id, roles)

    def managed_identity_env(self, tenant_id):
        tid = self.state.tenant_info(tenant_id)["tenant_id"]
        return {"IDENTITY_ENDPOINT": "%s/%s/msi/token" % (self.url, tid),
                "IDENTITY_HEADER": self.state.identity_header(tid)}

    def mint_access_token(self, tenant_id, client_id, roles=DEFAULT_ROLES, expires_in=3600,
                          audience=GRAPH_RESOURCE):
        tid = self.state.tenant_info(tenant_id)["tenant_id"]
        token, _expires = self.tokens.issue_access_token(tid, client_id, roles, audience, expires_in)
        return token

    def mint_federated_token(self, tenant_id, client_id, subject=None, expires_in=600,
                             audience="api://AzureADTokenExchange"):
        """A token as an external IdP (GitHub, AKS) would issue; subject defaults to the app's."""
        if subject is None:
            app = self.state.find_app(tenant_id, client_id)
            subject = app.federated_subject if app else None
        if not subject:
            raise ValueError("subject is required (the app has no federated_subject)")
        return self.tokens.mint_federated_token(subject, issuer=self.url + "/federation",
                                                audience=audience, expires_in=expires_in)

    # --- settings, clock, faults, log ------------------------------------------------------
    def set_settings(self, tenant_id, **graph_props):
        self.state.set_settings(tenant_id, **graph_props)

    def get_settings(self, tenant_id):
        return self.state.settings(tenant_id)

    def advance_clock(self, seconds):
        """Move simulated time forward (throttle window, sync end, token expiry)."""
        return format_graph_time(self.clock.advance(seconds))

    def add_fault(self, kind, tenant=None, endpoint=None, method=None, count=1, skip=0, **params):
        tenant_key = (self.state.resolve(tenant) or tenant.lower()) if tenant else None
        self.faults.add(Fault(kind, tenant_key, endpoint, method, int(count), params, int(skip)))

    def graph_now(self, tenant_id):
        """Epoch seconds on the tenant's Graph clock (the simulated clock plus clock_offset)."""
        return self.state.graph_now(tenant_id)

    def syncs_started(self, tenant_id):
        """How many syncs Graph started for the tenant (every 204 of the sync action, lost or not)."""
        return self.state.syncs_started(tenant_id)

    # --- Autopilot devices and imports ---------------------------------------------------------
    def add_devices(self, tenant_id, devices, **defaults):
        """Seed device identities, shown at once: a list of property dicts (Graph camelCase or
        snake_case; serialNumber defaults to a fresh synthetic one) or a count of synthetic
        devices; ``defaults`` apply to each. -> their ids."""
        return self.device_state.add_devices(tenant_id, devices, defaults)

    def devices(self, tenant_id):
        """The tenant's device identities as they truly are (no device_change_lag)."""
        return self.device_state.truth(tenant_id)

    def imported_devices(self, tenant_id):
        """The tenant's import records (state as of now, hardwareIdentifier included)."""
        return self.device_state.import_truth(tenant_id)

    def import_stats(self, tenant_id):
        """{"requests": import POSTs that created records (lost answers included),
        "records_created", "refused": import POSTs Intune refused (400/429), "records": import
        records existing, "waiting_for_sync": completed imports not yet device identities}."""
        return self.device_state.stats(tenant_id)

    def set_foreign_serials(self, serials):
        """Serials another (unsimulated) tenant owns: their imports end in 808."""
        self.device_state.set_foreign_serials(serials)

    def foreign_serials(self):
        return self.device_state.foreign_serials()

    def log(self, tenant=None, endpoint=None):
        if tenant:
            tenant = self.state.resolve(tenant) or tenant.lower()
        return self.request_log.entries(tenant, endpoint)

    def clear_log(self):
        self.request_log.clear()

    # --- used by the handler ---------------------------------------------------------------
    def graph_audiences(self):
        own = {l.base_url for l in self._listeners}
        own |= {u.replace("127.0.0.1", "localhost") for u in own}
        return {a.lower() for a in graph.KNOWN_GRAPH_AUDIENCES | own}

    def _clock_offset(self, tenant_id):
        try:
            return self.state.graph_now(tenant_id) - self.clock.now() if tenant_id else 0.0
        except UnknownTenant:
            return 0.0

    def _tenant_of(self, call, is_graph):
        """Tenant GUID for faults/log: from the Entra path, or from the Graph bearer token."""
        if not is_graph:
            return self.state.resolve(call.path_tenant)
        header = call.headers.get("Authorization") or ""
        if not header.lower().startswith("bearer "):
            return None
        tid = self.tokens.unverified_tenant(header[7:].strip())
        return self.state.resolve(tid) or (tid.lower() if isinstance(tid, str) else None)

    def _open_connection(self, connection):
        with self._connections_lock:
            self._next_connection += 1
            self._connections[connection] = self._next_connection
            return self._next_connection

    def _close_connection(self, connection):
        with self._connections_lock:
            self._connections.pop(connection, None)


# --- CLI -------------------------------------------------------------------------------------
def _write_ready(state_dir, info):
    path = os.path.join(state_dir, "ready.json")
    temp = path + ".tmp"
    with open(temp, "w") as handle:
        json.dump(info, handle)
    os.replace(temp, path)  # atomic: readers never see half a file
    return path


def main(argv=None):
    parser = argparse.ArgumentParser(description="Entra ID + Microsoft Graph simulator (HTTPS).")
    parser.add_argument("--state-dir", required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--config", help="tenants JSON; default: the documented demo tenant")
    parser.add_argument("--throttle-seconds", type=float, default=600)
    parser.add_argument("--sync-seconds", type=float, default=30)
    parser.add_argument("--sync-result", choices=("completed", "failed"), default="completed")
    args = parser.parse_args(argv)

    if args.config:
        with open(args.config) as handle:
            config = json.load(handle)
    else:
        config = demo_config()
    os.makedirs(args.state_dir, exist_ok=True)
    ready_path = os.path.join(args.state_dir, "ready.json")
    if os.path.exists(ready_path):
        os.remove(ready_path)  # a stale file must not look like this run being ready

    stopping = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stopping.set())
    sim = Simulator(args.state_dir, args.host, args.port, args.throttle_seconds,
                    args.sync_seconds, args.sync_result, config).start()
    info = {"url": sim.url, "ca_path": sim.ca_path, "wrong_host_url": sim.wrong_host_url,
            "untrusted_url": sim.untrusted_url, "pid": os.getpid()}
    _write_ready(args.state_dir, info)
    print(json.dumps(info), flush=True)
    try:
        while not stopping.wait(0.5):
            pass
    finally:
        sim.stop()
        if os.path.exists(ready_path):
            os.remove(ready_path)
    return 0
