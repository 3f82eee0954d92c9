"""No request ever carries ~/.netrc's credentials: Graph calls, MSAL's calls, bare requests, redirects.

requests puts a netrc entry (``default`` matches every host) on any request without an ``auth=``
of its own, over an Authorization header set by hand. The simulator logs the scheme of the
Authorization header it received (never the value).
"""

import http.server
import threading

import pytest

from ansible_collections.intune.autopilot.plugins.module_utils._auth._msal_http import MsalHttpClient
from ansible_collections.intune.autopilot.plugins.module_utils._auth._providers import StaticTokenProvider
from ansible_collections.intune.autopilot.plugins.module_utils._base._settings import build_connection_settings
from ansible_collections.intune.autopilot.plugins.module_utils._client._graph import GraphClient
from ansible_collections.intune.autopilot.plugins.module_utils._client._request_auth import BearerAuth
from ansible_collections.intune.autopilot.plugins.module_utils._client._session import Transport

SETTINGS = "deviceManagement/windowsAutopilotSettings"


@pytest.fixture(autouse=True)
def netrc_with_a_default_entry(tmp_path, monkeypatch):
    """A build host's ~/.netrc: a ``default`` entry applies to every host."""
    home = tmp_path / "home"
    home.mkdir()
    netrc = home / ".netrc"
    netrc.write_text("default login build-user password build-host-password\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("NETRC", raising=False)


def schemes(https_sim, tenant):
    return [entry["auth_scheme"] for entry in https_sim.log(tenant=tenant)]


def test_a_graph_call_sends_its_bearer_token_not_the_netrc_entry(https_sim, sim_tenant):
    token = https_sim.mint_access_token(sim_tenant, "unit-client")
    settings = build_connection_settings(
        {"access_token": token, "graph_endpoint": https_sim.url, "ca_path": https_sim.ca_path,
         "validate_certs": True, "timeout": 5, "max_retries": 0}, environ={})
    client = GraphClient(settings, Transport(verify=https_sim.ca_path, timeout=5), StaticTokenProvider(token))

    assert client.get(SETTINGS).status == 200
    assert schemes(https_sim, sim_tenant) == ["Bearer"]


def test_msal_requests_and_bare_requests_carry_no_authorization(https_sim, sim_tenant):
    transport = Transport(verify=https_sim.ca_path, timeout=5)
    msal_http = MsalHttpClient(transport)
    msal_http.get("%s/%s/v2.0/.well-known/openid-configuration" % (https_sim.url, sim_tenant))
    msal_http.post("%s/%s/oauth2/v2.0/token" % (https_sim.url, sim_tenant), data={"grant_type": "client_credentials"})
    transport.get("%s/beta/%s" % (https_sim.url, SETTINGS))  # logged under no tenant: no token

    assert schemes(https_sim, sim_tenant) == [None, None]
    assert https_sim.log(endpoint="settings")[-1]["auth_scheme"] is None


class _Redirecting(http.server.BaseHTTPRequestHandler):
    """``/start`` redirects to the same server under another host name; every Authorization is kept."""

    seen = []

    def do_GET(self):
        _Redirecting.seen.append((self.path, self.headers.get("Authorization")))
        if self.path == "/start":
            self.send_response(302)
            self.send_header("Location", "http://localhost:%d/landed" % self.server.server_port)
        else:
            self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def test_a_redirect_to_another_host_drops_the_token_and_adds_no_netrc_entry():
    server = http.server.HTTPServer(("127.0.0.1", 0), _Redirecting)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Redirecting.seen = []
    try:
        response = Transport(timeout=5).get("http://127.0.0.1:%d/start" % server.server_port,
                                            auth=BearerAuth("a-token"))
    finally:
        server.shutdown()
        server.server_close()
    assert response.status_code == 200
    assert _Redirecting.seen == [("/start", "Bearer a-token"), ("/landed", None)]


def test_the_bearer_auth_never_shows_its_token():
    assert "a-token" not in repr(BearerAuth("a-token"))
