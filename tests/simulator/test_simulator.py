"""Tests of the simulator itself, over real HTTPS with requests and MSAL."""
import base64
import email.utils
import concurrent.futures
import json
import os
import re
import signal
import subprocess
import sys
import time
import uuid

import jwt
import msal
import pytest
import requests

from .config import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_DOMAIN, DEMO_TENANT_ID
from .pki import make_client_certificate
from .server import Simulator
from .state import NEVER, format_graph_time, parse_graph_time

SETTINGS = "/beta/deviceManagement/windowsAutopilotSettings"
SYNC = SETTINGS + "/sync"
GRAPH_SCOPE = "https://graph.microsoft.com/.default"
RW = "DeviceManagementServiceConfig.ReadWrite.All"
GRAPH_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z$")


@pytest.fixture(scope="module")
def sim(tmp_path_factory):
    with Simulator(tmp_path_factory.mktemp("sim")) as simulator:
        yield simulator


@pytest.fixture(autouse=True)
def _fresh(request):
    if "sim" in request.fixturenames:
        request.getfixturevalue("sim").reset()


class Client:
    """requests with the simulator's CA passed per request (REQUESTS_CA_BUNDLE is set here)."""

    def __init__(self, sim, token=None, base=None):
        self.sim, self.base, self.session = sim, base or sim.url, requests.Session()
        self.session.trust_env = False
        if token:
            self.session.headers["Authorization"] = "Bearer " + token

    def __getattr__(self, method):
        def call(path, **kwargs):
            kwargs.setdefault("verify", self.sim.ca_path)
            kwargs.setdefault("timeout", 10)
            return self.session.request(method.upper(), self.base + path, **kwargs)
        return call


def intune_message(answer):
    """The JSON that Intune packs into error.message."""
    inner = json.loads(answer.json()["error"]["message"])
    assert inner["_version"] == 3 and inner["ErrorSourceService"] == ""
    assert "Operation ID (for customer support): 00000000-0000-0000-0000-000000000000" \
        in inner["Message"]
    assert "Activity ID: %s" % answer.headers["client-request-id"] in inner["Message"]
    return inner


def new_tenant(sim, roles=(RW,), **tenant_args):
    tid = sim.add_tenant(**tenant_args)
    cid = sim.add_app(tid, secret="s3cret-value", roles=roles)
    return tid, cid


def secret_token(sim, tid, cid, secret="s3cret-value", scope=GRAPH_SCOPE, **headers):
    return Client(sim).post("/%s/oauth2/v2.0/token" % tid, headers=headers, data={
        "grant_type": "client_credentials", "client_id": cid, "client_secret": secret,
        "scope": scope})


def graph(sim, tid, cid, roles=(RW,)):
    return Client(sim, sim.mint_access_token(tid, cid, roles=roles))


def msal_session(sim, recorded=None):
    """The http_client MSAL gets: trusts the simulator CA, records token request bodies."""
    session = requests.Session()
    session.trust_env = False  # else REQUESTS_CA_BUNDLE would win over session.verify
    session.verify = sim.ca_path
    original = session.post

    def post(url, **kwargs):
        if recorded is not None:
            recorded.append(kwargs.get("data"))
        return original(url, **kwargs)
    session.post = post
    return session


def claims_of(token):
    return jwt.decode(token, options={"verify_signature": False})


# --- formats -------------------------------------------------------------------------------
def test_graph_time_format_round_trips():
    assert format_graph_time(None) == NEVER
    assert parse_graph_time(NEVER) is None
    text = format_graph_time(1795000000.25)
    assert GRAPH_TIME.match(text) and text.endswith(".2500000Z")
    assert parse_graph_time(text) == 1795000000.25
    assert parse_graph_time("2026-11-23T11:05:19+01:00") == parse_graph_time("2026-11-23T10:05:19Z")


# --- discovery -----------------------------------------------------------------------------
def test_discovery_by_guid_and_domain(sim):
    tid = sim.add_tenant(domain="fabrikam.onmicrosoft.com")
    for name in (tid, "Fabrikam.onmicrosoft.com"):
        response = Client(sim).get("/%s/v2.0/.well-known/openid-configuration" % name)
        assert response.status_code == 200
        doc = response.json()
        assert doc["token_endpoint"] == "%s/%s/oauth2/v2.0/token" % (sim.url, tid)
        assert doc["issuer"] == "%s/%s/v2.0" % (sim.url, tid)
        assert doc["authorization_endpoint"].startswith(sim.url)
        assert "jwks_uri" in doc and doc["tenant_region_scope"]


def test_discovery_unknown_tenant_is_aadsts90002(sim):
    response = Client(sim).get("/nope.onmicrosoft.com/v2.0/.well-known/openid-configuration",
                               headers={"client-request-id": "abc-123"})
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "invalid_tenant" and body["error_codes"] == [90002]
    assert body["error_description"].startswith("AADSTS90002: Tenant 'nope.onmicrosoft.com'")
    assert "Correlation ID: abc-123" in body["error_description"]
    assert body["correlation_id"] == "abc-123" and body["trace_id"]
    assert response.headers["client-request-id"] == "abc-123"


# --- token endpoint: secrets -----------------------------------------------------------------
def test_client_secret_grant_issues_graph_token(sim):
    tid, cid = new_tenant(sim)
    response = secret_token(sim, tid, cid, **{"client-request-id": "corr-1"})
    assert response.status_code == 200
    assert response.headers["client-request-id"] == "corr-1"
    assert uuid.UUID(response.headers["x-ms-request-id"])
    body = response.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3599
    assert body["ext_expires_in"] == 3599
    claims = claims_of(body["access_token"])
    assert claims["tid"] == tid and claims["appid"] == cid and claims["azp"] == cid
    assert claims["roles"] == [RW] and claims["idtyp"] == "app"
    assert claims["aud"] == "https://graph.microsoft.com"
    assert claims["exp"] - claims["iat"] == 3599 and claims["nbf"] <= claims["iat"]
    settings = Client(sim, body["access_token"]).get(SETTINGS)
    assert settings.status_code == 200


@pytest.mark.parametrize("change, status, code, error", [
    ({"client_secret": "wrong"}, 401, 7000215, "invalid_client"),
    ({"client_id": str(uuid.uuid4())}, 400, 700016, "unauthorized_client"),
    ({"scope": "https://graph.microsoft.com/DeviceManagementServiceConfig.ReadWrite.All"},
     400, 1002012, "invalid_scope"),
    ({"client_secret": ""}, 401, 7000216, "invalid_client"),
    ({"grant_type": "password"}, 400, 70003, "unsupported_grant_type"),
    ({"grant_type": ""}, 400, 900144, "invalid_request"),
])
def test_token_errors_carry_real_aadsts_codes(sim, change, status, code, error):
    tid, cid = new_tenant(sim)
    form = {"grant_type": "client_credentials", "client_id": cid,
            "client_secret": "s3cret-value", "scope": GRAPH_SCOPE}
    form.update(change)
    response = Client(sim).post("/%s/oauth2/v2.0/token" % tid, data=form)
    assert response.status_code == status
    body = response.json()
    assert body["error"] == error and body["error_codes"] == [code]
    assert body["error_description"].startswith("AADSTS%d: " % code)


def test_token_for_unknown_tenant(sim):
    response = secret_token(sim, "missing.onmicrosoft.com", str(uuid.uuid4()))
    assert response.status_code == 400 and response.json()["error_codes"] == [90002]


def test_log_never_contains_secrets_or_tokens(sim):
    tid, cid = new_tenant(sim)
    token = secret_token(sim, tid, cid).json()["access_token"]
    secret_token(sim, tid, cid, secret="wrong-secret")
    dumped = json.dumps(sim.log())
    assert "s3cret-value" not in dumped and "wrong-secret" not in dumped and token not in dumped
    assert [e["status"] for e in sim.log(tenant=tid, endpoint="token")] == [200, 401]


def test_log_names_the_app_of_each_token_and_graph_call(sim):
    tid, cid = new_tenant(sim)
    other = sim.add_app(tid, secret="other-secret", roles=[RW])
    for client_id, secret in ((cid, "s3cret-value"), (other, "other-secret")):
        token = secret_token(sim, tid, client_id, secret=secret).json()["access_token"]
        Client(sim).get("/beta/deviceManagement/windowsAutopilotSettings",
                        headers={"Authorization": "Bearer " + token})
    secret_token(sim, tid, cid, secret="wrong-secret")
    assert [(e["endpoint"], e["client_id"]) for e in sim.log(tenant=tid) if e["endpoint"] != "discovery"] == [
        ("token", cid), ("settings", cid), ("token", other), ("settings", other), ("token", None)]


# --- token endpoint: certificates via MSAL ---------------------------------------------------
def _msal_app(sim, tid, cid, credential, recorded=None):
    return msal.ConfidentialClientApplication(
        cid, client_credential=credential, authority="%s/%s" % (sim.url, tid),
        instance_discovery=False, http_client=msal_session(sim, recorded))


def test_msal_certificate_ps256_pem(sim, tmp_path):
    cert = make_client_certificate(tmp_path)
    tid = sim.add_tenant(domain="certs.onmicrosoft.com")
    cid = sim.add_app(tid, certificate_pem=cert.cert_pem)
    recorded = []
    app = _msal_app(sim, "certs.onmicrosoft.com", cid,
                    {"private_key": cert.key_pem, "public_certificate": cert.cert_pem}, recorded)
    result = app.acquire_token_for_client([GRAPH_SCOPE])
    assert "access_token" in result, result
    assert claims_of(result["access_token"])["appid"] == cid
    header = jwt.get_unverified_header(recorded[-1]["client_assertion"])
    assert header["alg"] == "PS256" and "x5t#S256" in header


def test_msal_certificate_pfx_with_password(sim, tmp_path):
    cert = make_client_certificate(tmp_path, password="pfx-pass")
    tid = sim.add_tenant()
    cid = sim.add_app(tid, certificate_pem=cert.cert_pem)
    app = _msal_app(sim, tid, cid, {"private_key_pfx_path": cert.pfx_path,
                                    "passphrase": "pfx-pass"})
    assert "access_token" in app.acquire_token_for_client([GRAPH_SCOPE])


def test_msal_certificate_rs256_sha1_thumbprint(sim, tmp_path):
    cert = make_client_certificate(tmp_path)
    tid = sim.add_tenant()
    cid = sim.add_app(tid, certificate_pem=cert.cert_pem)
    recorded = []
    app = _msal_app(sim, tid, cid, {"private_key": cert.key_pem,
                                    "thumbprint": cert.sha1_thumbprint}, recorded)
    assert "access_token" in app.acquire_token_for_client([GRAPH_SCOPE])
    header = jwt.get_unverified_header(recorded[-1]["client_assertion"])
    assert header["alg"] == "RS256" and "x5t" in header


def test_expired_and_unknown_certificates_are_aadsts700027(sim, tmp_path):
    expired = make_client_certificate(tmp_path, name="old", expired=True)
    stranger = make_client_certificate(tmp_path, name="stranger")
    tid = sim.add_tenant()
    cid = sim.add_app(tid, certificate_pem=expired.cert_pem)
    result = _msal_app(sim, tid, cid, {"private_key": expired.key_pem,
                                       "public_certificate": expired.cert_pem}
                       ).acquire_token_for_client([GRAPH_SCOPE])
    assert result["error"] == "invalid_client" and 700027 in result["error_codes"]
    assert "expired" in result["error_description"]
    result = _msal_app(sim, tid, cid, {"private_key": stranger.key_pem,
                                       "public_certificate": stranger.cert_pem}
                       ).acquire_token_for_client([GRAPH_SCOPE])
    assert 700027 in result["error_codes"] and "invalid signature" in result["error_description"]
    assert stranger.sha256_thumbprint in result["error_description"]


def test_assertion_with_wrong_audience_is_rejected(sim, tmp_path):
    cert = make_client_certificate(tmp_path)
    tid = sim.add_tenant()
    cid = sim.add_app(tid, certificate_pem=cert.cert_pem)
    now = int(time.time())
    assertion = jwt.encode({"aud": "https://elsewhere/token", "iss": cid, "sub": cid,
                            "exp": now + 600, "iat": now, "jti": "x"}, cert.key_pem,
                           algorithm="PS256", headers={"x5t#S256": base64.urlsafe_b64encode(
                               bytes.fromhex(cert.sha256_thumbprint)).decode().rstrip("=")})
    response = Client(sim).post("/%s/oauth2/v2.0/token" % tid, data={
        "grant_type": "client_credentials", "client_id": cid, "scope": GRAPH_SCOPE,
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        "client_assertion": assertion})
    assert response.status_code == 400 and "audience" in response.json()["error_description"]


# --- workload identity federation -------------------------------------------------------------
def test_federated_token_exchange(sim):
    tid = sim.add_tenant()
    cid = sim.add_app(tid, federated_subject="system:serviceaccount:awx:runner")
    assertion = sim.mint_federated_token(tid, cid, subject="system:serviceaccount:awx:runner")
    result = _msal_app(sim, tid, cid, {"client_assertion": lambda: assertion}
                       ).acquire_token_for_client([GRAPH_SCOPE])
    assert claims_of(result["access_token"])["appid"] == cid

    wrong_subject = sim.mint_federated_token(tid, cid, subject="repo:someone/else:ref:main")
    result = _msal_app(sim, tid, cid, {"client_assertion": lambda: wrong_subject}
                       ).acquire_token_for_client([GRAPH_SCOPE])
    assert 70021 in result["error_codes"]
    assert "No matching federated identity record found for presented assertion" \
        in result["error_description"]

    wrong_audience = sim.mint_federated_token(tid, cid, audience="api://other")
    result = _msal_app(sim, tid, cid, {"client_assertion": lambda: wrong_audience}
                       ).acquire_token_for_client([GRAPH_SCOPE])
    assert 700212 in result["error_codes"]

    expired = sim.mint_federated_token(tid, cid, expires_in=-5)
    result = _msal_app(sim, tid, cid, {"client_assertion": lambda: expired}
                       ).acquire_token_for_client([GRAPH_SCOPE])
    assert 700024 in result["error_codes"]


# --- managed identity ---------------------------------------------------------------------------
def test_managed_identity_system_and_user_assigned_via_msal(sim, monkeypatch):
    tid = sim.add_tenant()
    system_id = sim.add_managed_identity(tid)
    user_id = sim.add_managed_identity(tid, client_id=str(uuid.uuid4()))
    for name, value in sim.managed_identity_env(tid).items():
        monkeypatch.setenv(name, value)
    for identity, expected in ((msal.SystemAssignedManagedIdentity(), system_id),
                               (msal.UserAssignedManagedIdentity(client_id=user_id), user_id)):
        client = msal.ManagedIdentityClient(identity, http_client=msal_session(sim))
        result = client.acquire_token_for_client(resource="https://graph.microsoft.com")
        assert "access_token" in result, result
        assert claims_of(result["access_token"])["appid"] == expected
        assert Client(sim, result["access_token"]).get(SETTINGS).status_code == 200


def test_managed_identity_errors(sim):
    tid = sim.add_tenant()
    sim.add_managed_identity(tid)
    env = sim.managed_identity_env(tid)
    path = env["IDENTITY_ENDPOINT"][len(sim.url):]
    params = {"api-version": "2019-08-01", "resource": "https://graph.microsoft.com"}
    client = Client(sim)
    assert client.get(path, params=params).status_code == 401
    wrong = client.get(path, params=params, headers={"X-IDENTITY-HEADER": "nope"})
    assert wrong.status_code == 403 and wrong.json()["statusCode"] == 403
    unknown = client.get(path, params=dict(params, client_id=str(uuid.uuid4())),
                         headers={"X-IDENTITY-HEADER": env["IDENTITY_HEADER"]})
    assert unknown.status_code == 400 and unknown.json()["statusCode"] == 400
    good = client.get(path, params=params, headers={"X-IDENTITY-HEADER": env["IDENTITY_HEADER"]})
    assert good.status_code == 200
    assert int(good.json()["expires_on"]) > time.time()
    assert good.json()["resource"] == "https://graph.microsoft.com"


# --- Graph: settings ---------------------------------------------------------------------------
def test_settings_shape_and_headers(sim):
    tid, cid = new_tenant(sim)
    response = graph(sim, tid, cid).get(SETTINGS, headers={"client-request-id": "mine"})
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.headers["client-request-id"] == "mine"
    assert uuid.UUID(response.headers["request-id"]) and response.headers["Date"]
    body = response.json()
    assert body["@odata.context"] == (sim.url + "/beta/$metadata#deviceManagement/"
                                      "windowsAutopilotSettings/$entity")
    assert body["@odata.type"] == "#microsoft.graph.windowsAutopilotSettings"
    assert uuid.UUID(body["id"])
    assert body["lastSyncDateTime"] == NEVER and body["syncStatus"] == "unknown"
    sim.set_settings(tid, lastSyncDateTime="2026-01-02T03:04:05.1234567Z", syncStatus="completed")
    body = graph(sim, tid, cid).get(SETTINGS).json()
    assert body["lastSyncDateTime"] == "2026-01-02T03:04:05.1234567Z"
    assert body["syncStatus"] == "completed" == sim.get_settings(tid)["syncStatus"]


def test_read_only_role_reads_but_cannot_write(sim):
    tid, cid = new_tenant(sim, roles=("DeviceManagementServiceConfig.Read.All",))
    client = graph(sim, tid, cid, roles=("DeviceManagementServiceConfig.Read.All",))
    assert client.get(SETTINGS).status_code == 200
    for response in (client.post(SYNC), client.patch(SETTINGS, json={})):
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "Forbidden"
        assert RW in response.json()["error"]["message"]


def test_patch_accepts_empty_object_and_refuses_properties(sim):
    tid, cid = new_tenant(sim)
    client = graph(sim, tid, cid)
    empty = client.patch(SETTINGS, json={})
    assert empty.status_code == 204 and empty.content == b""
    refused = client.patch(SETTINGS, json={"syncStatus": "completed"})
    assert refused.status_code == 400
    assert "read-only" in refused.json()["error"]["message"]
    assert client.patch(SETTINGS, json={"bogus": 1}).status_code == 400


# --- Graph: sync state machine ------------------------------------------------------------------
def test_sync_204_then_409_then_completion_then_429(sim):
    tid, cid = new_tenant(sim, throttle_seconds=600, sync_seconds=0.4, sync_retry_after=True)
    client = graph(sim, tid, cid)
    started = client.post(SYNC)
    assert started.status_code == 204 and started.content == b""
    assert "Content-Type" not in started.headers
    busy = client.post(SYNC)
    assert busy.status_code == 409 and busy.json()["error"]["code"] == "Conflict"
    settings = client.get(SETTINGS).json()
    assert settings["syncStatus"] == "inProgress"
    trigger = parse_graph_time(settings["lastManualSyncTriggerDateTime"])
    time.sleep(0.5)
    settings = client.get(SETTINGS).json()
    assert settings["syncStatus"] == "completed"
    assert parse_graph_time(settings["lastSyncDateTime"]) == pytest.approx(trigger + 0.4, abs=1e-3)
    throttled = client.post(SYNC)
    assert throttled.status_code == 429
    assert throttled.json()["error"]["code"] == "TooManyRequests"
    assert 598 <= int(throttled.headers["Retry-After"]) <= 600
    sim.advance_clock(600)
    assert client.post(SYNC).status_code == 204


def test_intune_refuses_the_sync_itself_without_retry_after_by_default(sim):
    tid, cid = new_tenant(sim, sync_seconds=60)
    client = graph(sim, tid, cid)
    assert client.post(SYNC).status_code == 204
    busy = client.post(SYNC)
    assert (busy.status_code, busy.json()["error"]["code"]) == (409, "Conflict")
    assert intune_message(busy)["Message"].startswith("An Autopilot sync is already in progress")
    sim.set_settings(tid, syncStatus="completed")
    throttled = client.post(SYNC)
    assert (throttled.status_code, throttled.json()["error"]["code"]) == (429, "TooManyRequests")
    inner = intune_message(throttled)
    assert inner["Message"].startswith("Autopilot sync was requested too recently.")
    assert inner["RetryAfter"] is None and "Retry-After" not in throttled.headers
    assert "/deviceManagement/windowsAutopilotSettings/sync?api-version=" in inner["Message"]


def test_faulted_refusals_of_the_sync_are_intunes_and_gateways_are_graphs(sim):
    tid, cid = new_tenant(sim)
    sim.add_fault("status", tenant=tid, endpoint="sync", status=429)
    sim.add_fault("status", tenant=tid, endpoint="sync", status=503)
    client = graph(sim, tid, cid)
    assert intune_message(client.post(SYNC))["RetryAfter"] is None
    assert client.post(SYNC).json()["error"]["message"] == "Simulated failure (HTTP 503)."


@pytest.mark.parametrize("value", ["\u00b2", "9" * 40, "soon"])
def test_a_retry_after_given_as_text_is_sent_as_it_is(sim, value):
    tid, cid = new_tenant(sim)
    sim.add_fault("status", tenant=tid, endpoint="settings", status=429, retry_after=value)
    assert graph(sim, tid, cid).get(SETTINGS).headers["Retry-After"] == value


def test_a_lagging_trigger_shows_late_while_graph_already_refuses(sim):
    before = format_graph_time(time.time() - 7200)
    tid, cid = new_tenant(sim, sync_seconds=0, trigger_lag=30, settings={
        "lastManualSyncTriggerDateTime": before, "syncStatus": "completed"})
    client = graph(sim, tid, cid)
    assert client.post(SYNC).status_code == 204
    shown = client.get(SETTINGS).json()
    assert shown["lastManualSyncTriggerDateTime"] == before  # the trigger before ours
    assert shown["syncStatus"] == "completed"
    assert client.post(SYNC).status_code == 429  # the 10-minute rule knows ours already
    sim.advance_clock(31)
    trigger = parse_graph_time(client.get(SETTINGS).json()["lastManualSyncTriggerDateTime"])
    assert trigger == pytest.approx(sim.graph_now(tid) - 31, abs=2)
    assert sim.syncs_started(tid) == 1
    sim.set_settings(tid, lastManualSyncTriggerDateTime=before)  # by hand: shown at once
    assert client.get(SETTINGS).json()["lastManualSyncTriggerDateTime"] == before


def test_throttle_without_retry_after_and_failed_sync(sim):
    tid, cid = new_tenant(sim, sync_seconds=0, sync_result="failed", sync_retry_after=False,
                          settings={"lastSyncDateTime": "2026-01-01T00:00:00Z"})
    client = graph(sim, tid, cid)
    assert client.post(SYNC).status_code == 204
    settings = client.get(SETTINGS).json()
    assert settings["syncStatus"] == "failed"
    assert settings["lastSyncDateTime"] == "2026-01-01T00:00:00.0000000Z"
    throttled = client.post(SYNC)
    assert throttled.status_code == 429 and "Retry-After" not in throttled.headers


def test_set_settings_puts_tenant_in_throttle_window(sim):
    tid, cid = new_tenant(sim, sync_retry_after=True)
    sim.set_settings(tid, lastSyncDateTime="2026-11-23T11:05:19.1234567Z")
    assert sim.get_settings(tid)["lastSyncDateTime"] == "2026-11-23T11:05:19.1234567Z"
    sim.set_settings(tid, lastManualSyncTriggerDateTime=format_graph_time(time.time() - 120),
                     syncStatus="completed")
    response = graph(sim, tid, cid).post(SYNC)
    assert response.status_code == 429 and 479 <= int(response.headers["Retry-After"]) <= 481


def test_v1_has_no_autopilot_settings(sim):
    tid, cid = new_tenant(sim)
    client = graph(sim, tid, cid)
    for response in (client.get("/v1.0/deviceManagement/windowsAutopilotSettings"),
                     client.post("/v1.0/deviceManagement/windowsAutopilotSettings/sync")):
        assert response.status_code == 400
        error = response.json()["error"]
        assert error["code"] == "BadRequest"
        assert error["message"] == "Resource not found for the segment 'windowsAutopilotSettings'."
        assert error["innerError"]["request-id"] == response.headers["request-id"]
    assert sim.get_settings(tid)["syncStatus"] == "unknown"


def test_unknown_graph_path_is_404(sim):
    response = Client(sim).get("/beta/deviceManagement/somethingElse")
    assert response.status_code == 404 and response.json()["error"]["code"] == "ResourceNotFound"


# --- Graph: authentication and authorization -----------------------------------------------------
def test_graph_401_variants(sim):
    tid, cid = new_tenant(sim)
    cases = {
        "no token": Client(sim).get(SETTINGS),
        "garbage": Client(sim, "not-a-jwt").get(SETTINGS),
        "expired": Client(sim, sim.mint_access_token(tid, cid, expires_in=-5)).get(SETTINGS),
        "audience": Client(sim, sim.mint_access_token(
            tid, cid, audience="https://management.azure.com")).get(SETTINGS),
        "forged": Client(sim, jwt.encode({"tid": tid, "roles": [RW], "exp": time.time() + 60,
                                          "aud": "https://graph.microsoft.com"}, "k" * 32)
                         ).get(SETTINGS),
    }
    for name, response in cases.items():
        assert response.status_code == 401, name
        assert response.json()["error"]["code"] == "InvalidAuthenticationToken", name
        assert response.headers["WWW-Authenticate"].startswith("Bearer"), name
    assert "expired" in cases["expired"].json()["error"]["message"]
    assert "audience" in cases["audience"].json()["error"]["message"]


def test_roleless_app_gets_403_and_unlicensed_tenant_404(sim):
    tid, cid = new_tenant(sim, roles=())
    token = secret_token(sim, tid, cid).json()["access_token"]
    assert "roles" not in claims_of(token)
    forbidden = Client(sim, token).get(SETTINGS)
    assert forbidden.status_code == 403
    assert "DeviceManagementServiceConfig.Read.All" in forbidden.json()["error"]["message"]
    bare, bare_app = new_tenant(sim, intune=False)
    missing = graph(sim, bare, bare_app).get(SETTINGS)
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "ResourceNotFound"
    assert "Intune" in missing.json()["error"]["message"]


# --- faults ------------------------------------------------------------------------------------
def test_status_fault_with_retry_after_is_consumed(sim):
    tid, cid = new_tenant(sim)
    sim.add_fault("status", tenant=tid, endpoint="settings", count=2, status=503, retry_after=7)
    client = graph(sim, tid, cid)
    for _round in range(2):
        response = client.get(SETTINGS)
        assert response.status_code == 503 and response.headers["Retry-After"] == "7"
        assert response.json()["error"]["code"] == "ServiceUnavailable"
    assert client.get(SETTINGS).status_code == 200
    assert [e["fault"] for e in sim.log(tenant=tid)] == ["status", "status", None]


def test_status_fault_http_date_and_forever(sim):
    tid, cid = new_tenant(sim)
    sim.add_fault("status", endpoint="sync", method="POST", count=-1, status=429,
                  retry_after="http-date", retry_after_seconds=30)
    client = graph(sim, tid, cid)
    for _round in range(3):
        response = client.post(SYNC)
        assert response.status_code == 429
        when = time.mktime(time.strptime(response.headers["Retry-After"],
                                         "%a, %d %b %Y %H:%M:%S GMT")) - time.timezone
        assert 25 <= when - time.time() <= 31
    assert client.get(SETTINGS).status_code == 200  # other endpoints untouched
    assert sim.get_settings(tid)["syncStatus"] == "unknown"  # the sync never ran


def test_token_endpoint_fault_is_entra_shaped(sim):
    tid, cid = new_tenant(sim)
    sim.add_fault("status", tenant=tid, endpoint="token", status=503)
    failed = secret_token(sim, tid, cid)
    assert failed.status_code == 503
    assert failed.json()["error"] == "temporarily_unavailable"
    assert failed.json()["error_description"].startswith("AADSTS")
    assert secret_token(sim, tid, cid).status_code == 200


def test_msi_fault_is_app_service_shaped(sim):
    tid = sim.add_tenant()
    sim.add_managed_identity(tid)
    env = sim.managed_identity_env(tid)
    sim.add_fault("status", endpoint="msi", status=500)
    response = Client(sim).get(env["IDENTITY_ENDPOINT"][len(sim.url):], headers={
        "X-IDENTITY-HEADER": env["IDENTITY_HEADER"]},
        params={"api-version": "2019-08-01", "resource": "https://graph.microsoft.com"})
    assert response.status_code == 500 and response.json()["statusCode"] == 500


def test_faults_are_scoped_to_their_tenant(sim):
    tid_a, cid_a = new_tenant(sim)
    tid_b, cid_b = new_tenant(sim)
    sim.add_fault("status", tenant=tid_a, status=500)
    assert graph(sim, tid_b, cid_b).get(SETTINGS).status_code == 200
    assert graph(sim, tid_a, cid_a).get(SETTINGS).status_code == 500


def test_slow_fault_delays_and_can_time_out(sim):
    tid, cid = new_tenant(sim)
    sim.add_fault("slow", endpoint="settings", count=2, delay=0.4)
    client = graph(sim, tid, cid)
    began = time.monotonic()
    assert client.get(SETTINGS).status_code == 200
    assert time.monotonic() - began >= 0.4
    with pytest.raises(requests.exceptions.ReadTimeout):
        client.get(SETTINGS, timeout=0.1)


def test_reset_fault_drops_connection(sim):
    tid, cid = new_tenant(sim)
    sim.add_fault("reset", endpoint="sync")
    client = graph(sim, tid, cid)
    with pytest.raises(requests.exceptions.ConnectionError):
        client.post(SYNC)
    assert sim.log(endpoint="sync")[-1]["fault"] == "reset"
    assert client.post(SYNC).status_code == 204


def test_html_empty_and_truncated_faults(sim):
    tid, cid = new_tenant(sim)
    client = graph(sim, tid, cid)
    sim.add_fault("html", endpoint="settings")
    html = client.get(SETTINGS)
    assert html.status_code == 200 and html.headers["Content-Type"].startswith("text/html")
    assert b"<html>" in html.content
    sim.add_fault("empty", endpoint="settings")
    empty = client.get(SETTINGS)
    assert empty.status_code == 200 and empty.content == b""
    sim.add_fault("truncated_json", endpoint="settings")
    cut = client.get(SETTINGS)
    assert cut.status_code == 200
    assert int(cut.headers["Content-Length"]) == len(cut.content) > 0
    with pytest.raises(ValueError):
        cut.json()
    sim.add_fault("truncated_json", tenant=tid, endpoint="token")
    with pytest.raises(ValueError):
        secret_token(sim, tid, cid).json()
    assert client.get(SETTINGS).json()["syncStatus"] == "unknown"


def test_expired_token_fault(sim):
    tid, cid = new_tenant(sim)
    sim.add_fault("expired_token", tenant=tid)
    client = graph(sim, tid, cid)
    first = client.get(SETTINGS)
    assert first.status_code == 401 and "expired" in first.json()["error"]["message"]
    assert client.get(SETTINGS).status_code == 200


def test_bad_fault_is_refused(sim):
    with pytest.raises(ValueError):
        sim.add_fault("explode")
    with pytest.raises(ValueError):
        sim.add_fault("status", endpoint="nowhere", status=500)


# --- TLS, connections, concurrency -----------------------------------------------------------------
def test_three_listeners_tls_behaviour(sim):
    tid, cid = new_tenant(sim)
    token = sim.mint_access_token(tid, cid)
    with pytest.raises(requests.exceptions.SSLError, match="(?i)hostname|match"):
        Client(sim, token, base=sim.wrong_host_url).get(SETTINGS)
    with pytest.raises(requests.exceptions.SSLError, match="(?i)verify failed"):
        Client(sim, token, base=sim.untrusted_url).get(SETTINGS)
    # Same state behind the untrusted listener once its CA is trusted explicitly.
    shared = Client(sim, token, base=sim.untrusted_url).get(SETTINGS, verify=sim.untrusted_ca_path)
    assert shared.status_code == 200 and shared.json()["id"] == sim.get_settings(tid)["id"]


def test_keep_alive_reuses_connection(sim):
    tid, cid = new_tenant(sim)
    one, two = graph(sim, tid, cid), graph(sim, tid, cid)
    for _round in range(3):
        assert one.get(SETTINGS).status_code == 200
    assert one.patch(SETTINGS, json={}).status_code == 204  # 204 without a body keeps it alive
    assert one.get(SETTINGS).status_code == 200
    two.get(SETTINGS)
    ids = [e["connection_id"] for e in sim.log(tenant=tid)]
    assert len(set(ids[:5])) == 1 and ids[5] != ids[0]


def test_many_parallel_clients_and_tenants(sim):
    tenants = [new_tenant(sim, sync_seconds=60) for _index in range(200)]
    tokens = {tid: sim.mint_access_token(tid, cid) for tid, cid in tenants}

    def work(index):
        tid = tenants[index % len(tenants)][0]
        client = Client(sim, tokens[tid])
        return tid, client.post(SYNC).status_code, client.get(SETTINGS).status_code

    with concurrent.futures.ThreadPoolExecutor(50) as pool:
        results = list(pool.map(work, range(400)))
    assert all(get == 200 for _tid, _sync, get in results)
    for tid, _client in tenants:
        statuses = sorted(s for t, s, _get in results if t == tid)
        assert statuses == [204, 409], (tid, statuses)
    assert len(sim.log(endpoint="sync")) == 400


# --- control API and CLI ------------------------------------------------------------------------
def test_control_api_in_process(sim):
    control = Client(sim)
    tid = control.post("/_sim/tenants", json={"domain": "ctl.onmicrosoft.com",
                                              "throttle_seconds": 5}).json()["tenant_id"]
    cid = control.post("/_sim/tenants/%s/apps" % tid, json={"secret": "x"}).json()["client_id"]
    assert secret_token(sim, "ctl.onmicrosoft.com", cid, secret="x").status_code == 200
    settings = control.put("/_sim/tenants/%s/settings" % tid, json={"syncStatus": "failed"})
    assert settings.json()["syncStatus"] == "failed"
    token = control.post("/_sim/tokens", json={"tenant_id": tid, "client_id": cid}).json()
    control.post("/_sim/faults", json={"kind": "status", "status": 504, "endpoint": "settings"})
    assert Client(sim, token["access_token"]).get(SETTINGS).status_code == 504
    log = control.get("/_sim/log", params={"endpoint": "settings"}).json()["entries"]
    assert [e["status"] for e in log] == [504]
    assert control.post("/_sim/tenants/nope/apps", json={}).status_code == 404
    assert control.post("/_sim/faults", json={"kind": "bogus"}).status_code == 400
    assert control.post("/_sim/reset").json() == {"ok": True}
    assert control.get("/_sim/tenants").json() == {"tenants": []}
    assert sim.log() == []


def test_cli_start_ready_file_control_and_sigterm(tmp_path):
    state_dir = tmp_path / "state"
    script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "server.py")
    proc = subprocess.Popen([sys.executable, script, "--state-dir", str(state_dir),
                             "--sync-seconds", "0.2"], stdout=subprocess.PIPE, text=True,
                            cwd=str(tmp_path))
    try:
        line = proc.stdout.readline()
        info = json.loads(line)
        assert json.loads((state_dir / "ready.json").read_text()) == info
        assert info["pid"] == proc.pid and os.path.exists(info["ca_path"])
        verify = info["ca_path"]
        session = requests.Session()
        session.trust_env = False
        discovery = session.get("%s/%s/v2.0/.well-known/openid-configuration"
                                % (info["url"], DEMO_DOMAIN), verify=verify)
        assert discovery.json()["issuer"] == "%s/%s/v2.0" % (info["url"], DEMO_TENANT_ID)
        token = session.post(discovery.json()["token_endpoint"], verify=verify, data={
            "grant_type": "client_credentials", "client_id": DEMO_CLIENT_ID,
            "client_secret": DEMO_CLIENT_SECRET, "scope": GRAPH_SCOPE}).json()["access_token"]
        headers = {"Authorization": "Bearer " + token}
        settings = session.get(info["url"] + SETTINGS, headers=headers, verify=verify).json()
        assert settings["syncStatus"] == "completed"
        assert time.time() - parse_graph_time(settings["lastSyncDateTime"]) > 3600
        assert session.post(info["url"] + SYNC, headers=headers, verify=verify).status_code == 204
        federated = session.post(info["url"] + "/_sim/tenants/%s/apps" % DEMO_TENANT_ID,
                                 json={"federated_subject": "sub-1"}, verify=verify).json()
        assertion = session.post(info["url"] + "/_sim/federated-tokens", verify=verify, json={
            "tenant_id": DEMO_TENANT_ID, "client_id": federated["client_id"]}).json()["token"]
        assert claims_of(assertion)["sub"] == "sub-1"
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
    assert not (state_dir / "ready.json").exists()


def test_config_seeds_tenants_and_reset_restores_them(tmp_path):
    cert = make_client_certificate(tmp_path)
    tid = str(uuid.uuid4())
    config = {"tenants": [{
        "tenant_id": tid, "domain": "seeded.onmicrosoft.com", "throttle_seconds": 60,
        "settings": {"syncStatus": "completed"},
        "apps": [{"client_id": DEMO_CLIENT_ID, "certificate_pem": cert.cert_pem,
                  "roles": [RW]}],
        "managed_identities": [{"roles": [RW]}]}]}
    with Simulator(tmp_path / "state", config=config) as sim:
        sim.set_settings(tid, syncStatus="failed")
        sim.add_tenant()
        sim.reset()
        assert sim.state.tenant_ids() == [tid]
        assert sim.get_settings(tid)["syncStatus"] == "completed"
        result = _msal_app(sim, "seeded.onmicrosoft.com", DEMO_CLIENT_ID, {
            "private_key": cert.key_pem, "public_certificate": cert.cert_pem}
        ).acquire_token_for_client([GRAPH_SCOPE])
        assert Client(sim, result["access_token"]).post(SYNC).status_code == 204


def test_stop_closes_listeners(tmp_path):
    sim = Simulator(tmp_path).start()
    url = sim.url
    tid, cid = new_tenant(sim)
    client = graph(sim, tid, cid)
    assert client.get(SETTINGS).status_code == 200
    sim.stop()
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(url + SETTINGS, verify=sim.ca_path, timeout=2)
    with pytest.raises(requests.exceptions.ConnectionError):
        client.get(SETTINGS, timeout=2)  # the kept-alive connection is gone as well


# --- Graph that misbehaves like a large distributed service -------------------------------------

@pytest.mark.parametrize("kind, params, error", [
    ("acted_then_status", {"status": 503}, None),
    ("acted_then_status", {"status": 504}, None),
    ("acted_then_reset", {}, requests.exceptions.ConnectionError),
    ("acted_then_slow", {"delay": 0.6}, requests.exceptions.ReadTimeout),
])
def test_acted_then_lost_faults_start_the_sync_and_lose_the_answer(sim, kind, params, error):
    tid, cid = new_tenant(sim)
    sim.add_fault(kind, tenant=tid, endpoint="sync", **params)
    client = graph(sim, tid, cid)
    if error is None:
        answer = client.post(SYNC)
        assert answer.status_code == params["status"]
        assert answer.json()["error"]["code"] in ("ServiceUnavailable", "GatewayTimeout")
    else:
        with pytest.raises(error):
            client.post(SYNC, timeout=0.3)
    assert sim.syncs_started(tid) == 1
    assert sim.get_settings(tid)["syncStatus"] == "inProgress"
    entry = sim.log(tenant=tid, endpoint="sync")[-1]
    assert (entry["fault"], entry["handled"]) == (kind, 204)
    assert client.post(SYNC).status_code == 409  # Graph did act: a repeat is refused


def test_plain_status_fault_does_not_act(sim):
    tid, cid = new_tenant(sim)
    sim.add_fault("status", tenant=tid, endpoint="sync", status=503)
    assert graph(sim, tid, cid).post(SYNC).status_code == 503
    assert sim.syncs_started(tid) == 0
    assert sim.log(tenant=tid, endpoint="sync")[-1]["handled"] is None


@pytest.mark.parametrize("offset", [-900, 540])
def test_a_tenant_clock_offset_moves_its_timestamps_and_its_date_header(sim, offset):
    tid, cid = new_tenant(sim, clock_offset=offset)
    client = graph(sim, tid, cid)
    assert client.post(SYNC).status_code == 204
    answer = client.get(SETTINGS)
    date = email.utils.parsedate_to_datetime(answer.headers["Date"]).timestamp()
    trigger = parse_graph_time(answer.json()["lastManualSyncTriggerDateTime"])
    assert abs(date - (time.time() + offset)) < 2
    assert abs(trigger - (time.time() + offset)) < 2
    assert abs(sim.graph_now(tid) - (time.time() + offset)) < 1
    other, other_cid = new_tenant(sim)
    plain = email.utils.parsedate_to_datetime(graph(sim, other, other_cid).get(SETTINGS).headers["Date"])
    assert abs(plain.timestamp() - time.time()) < 2


def test_date_header_follows_the_simulated_clock(sim):
    tid, cid = new_tenant(sim)
    sim.advance_clock(3600)
    date = email.utils.parsedate_to_datetime(graph(sim, tid, cid).get(SETTINGS).headers["Date"])
    assert abs(date.timestamp() - (time.time() + 3600)) < 2


def test_status_lags_the_trigger(sim):
    before = format_graph_time(time.time() - 7200)
    tid, cid = new_tenant(sim, status_lag=0.8, sync_seconds=0.3,
                          settings={"syncStatus": "completed", "lastSyncDateTime": before})
    client = graph(sim, tid, cid)
    assert client.post(SYNC).status_code == 204
    lagging = client.get(SETTINGS).json()
    assert lagging["lastManualSyncTriggerDateTime"] != NEVER
    assert (lagging["syncStatus"], lagging["lastSyncDateTime"]) == ("completed", before)
    assert client.post(SYNC).status_code == 409  # really running, whatever the status shows
    time.sleep(0.9)
    done = client.get(SETTINGS).json()
    assert done["syncStatus"] == "completed"
    assert parse_graph_time(done["lastSyncDateTime"]) > parse_graph_time(done["lastManualSyncTriggerDateTime"])


def test_malformed_fault_replaces_and_drops_properties(sim):
    tid, cid = new_tenant(sim)
    sim.add_fault("malformed", tenant=tid, endpoint="settings",
                  values={"lastSyncDateTime": "2026-02-30T00:00:00Z", "syncStatus": 7}, missing=["id"])
    body = graph(sim, tid, cid).get(SETTINGS).json()
    assert body["lastSyncDateTime"] == "2026-02-30T00:00:00Z"
    assert body["syncStatus"] == 7
    assert "id" not in body
    assert "id" in graph(sim, tid, cid).get(SETTINGS).json()  # consumed


def test_skip_lets_the_first_requests_through(sim):
    tid, cid = new_tenant(sim)
    sim.add_fault("status", tenant=tid, endpoint="settings", status=429, retry_after=60, skip=1, count=-1)
    client = graph(sim, tid, cid)
    assert client.get(SETTINGS).status_code == 200
    throttled = client.get(SETTINGS)
    assert (throttled.status_code, throttled.headers["Retry-After"]) == (429, "60")
    assert client.get(SETTINGS).status_code == 429


def test_a_token_for_another_clouds_graph_is_refused(sim):
    tid, cid = new_tenant(sim)  # plays graph.microsoft.com
    token = sim.mint_access_token(tid, cid, audience="https://graph.microsoft.us")
    answer = Client(sim, token).get(SETTINGS)
    assert answer.status_code == 401
    assert answer.json()["error"]["message"].endswith("Invalid audience.")
    gov, gov_cid = new_tenant(sim, cloud="usgov")
    assert Client(sim, sim.mint_access_token(gov, gov_cid, audience="https://graph.microsoft.us")).get(
        SETTINGS).status_code == 200
    assert Client(sim, sim.mint_access_token(gov, gov_cid)).get(SETTINGS).status_code == 401


def test_control_api_reports_syncs_and_the_tenant_clock(sim):
    tid, cid = new_tenant(sim, clock_offset=120)
    control = Client(sim)
    graph(sim, tid, cid).post(SYNC)
    assert control.get("/_sim/tenants/%s/syncs" % tid).json() == {"started": 1}
    now = parse_graph_time(control.get("/_sim/tenants/%s/now" % tid).json()["now"])
    assert abs(now - (time.time() + 120)) < 2
