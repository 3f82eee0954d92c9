"""Every auth kind, and every auth failure a user meets, through real playbook runs."""

import pytest

from helpers import graph_requests
from simulator.pki import make_client_certificate

READ = {"name": "read", "intune.autopilot.windows_autopilot_settings": {}, "register": "settings"}


def endpoint_connection(tenant):
    """The simulator's endpoints and CA, without any credential."""
    return {"authority_host": tenant.sim.url, "graph_endpoint": tenant.sim.url, "ca_path": tenant.sim.ca_path}


def assert_read_ok(run, tenant):
    assert run.rc == 0, run.stdout + run.stderr
    result = run.result("read")["result"]
    assert result["autopilot_settings"]["id"] == tenant.sim.get_settings(tenant.tenant_id)["id"]
    assert graph_requests(tenant.log()) == [("GET", "settings")]


@pytest.mark.smoke
@pytest.mark.parametrize("form", ["pem", "pfx", "encrypted-pem"])
def test_client_certificate(tenant, run_playbook, tmp_path, form):
    cert = make_client_certificate(tmp_path, pem_password="pem-pass" if form == "encrypted-pem" else None)
    client_id = tenant.sim.add_app(tenant.tenant_id, certificate_pem=cert.cert_pem)
    connection = dict(endpoint_connection(tenant), tenant_id=tenant.tenant_id, client_id=client_id,
                      client_certificate_path=cert.pfx_path if form == "pfx" else cert.pem_path)
    if form != "pem":
        connection["client_certificate_password"] = cert.password if form == "pfx" else "pem-pass"
    run = run_playbook([READ], module_defaults=connection)

    assert_read_ok(run, tenant)
    assert [e["status"] for e in tenant.log("token")] == [200]


def test_client_certificate_from_environment_with_auto(tenant, run_playbook, tmp_path):
    cert = make_client_certificate(tmp_path)
    client_id = tenant.sim.add_app(tenant.tenant_id, certificate_pem=cert.cert_pem)
    env = {"AZURE_TENANT_ID": tenant.tenant_id, "AZURE_CLIENT_ID": client_id,
           "AZURE_CLIENT_CERTIFICATE_PATH": cert.pfx_path, "AZURE_CLIENT_CERTIFICATE_PASSWORD": cert.password}
    run = run_playbook([READ], module_defaults=endpoint_connection(tenant), env=env)

    assert_read_ok(run, tenant)


def test_workload_identity_reads_the_rotated_token_file(tenant, run_playbook, tmp_path):
    client_id = tenant.sim.add_app(tenant.tenant_id, federated_subject="system:serviceaccount:awx:runner")
    token_file = tmp_path / "federated-token"
    token_file.write_text(tenant.sim.mint_federated_token(tenant.tenant_id, client_id))
    connection = dict(endpoint_connection(tenant), tenant_id=tenant.tenant_id, client_id=client_id,
                      federated_token_file=str(token_file))
    run = run_playbook([READ], module_defaults=connection)
    assert_read_ok(run, tenant)

    # The orchestrator rotates the file: the next run presents the new token.
    token_file.write_text(tenant.sim.mint_federated_token(tenant.tenant_id, client_id, subject="someone-else"))
    run = run_playbook([READ], module_defaults=connection)
    failed = run.result("read")
    assert failed["status"] == "failed"
    assert "AADSTS70021" in failed["result"]["msg"]


@pytest.mark.parametrize("user_assigned", [False, True], ids=["system-assigned", "user-assigned"])
def test_managed_identity(tenant, run_playbook, user_assigned):
    identity = tenant.sim.add_managed_identity(
        tenant.tenant_id, client_id="0f6b5d47-3c2e-4b1a-9d8e-7f6a5b4c3d2e" if user_assigned else None)
    connection = dict(endpoint_connection(tenant), auth_method="managed_identity")
    if user_assigned:
        connection["client_id"] = identity
    run = run_playbook([READ], module_defaults=connection, env=tenant.sim.managed_identity_env(tenant.tenant_id))

    assert_read_ok(run, tenant)
    assert [e["status"] for e in tenant.log("msi")] == [200]
    assert tenant.log("token") == []


def test_managed_identity_is_what_auto_picks_on_an_azure_host(tenant, run_playbook):
    tenant.sim.add_managed_identity(tenant.tenant_id)
    run = run_playbook([READ], module_defaults=endpoint_connection(tenant),
                       env=tenant.sim.managed_identity_env(tenant.tenant_id))
    assert_read_ok(run, tenant)


def test_access_token_makes_no_token_request(tenant, run_playbook):
    token = tenant.sim.mint_access_token(tenant.tenant_id, tenant.client_id)
    connection = dict(endpoint_connection(tenant), access_token=token)
    run = run_playbook([READ], module_defaults=connection)

    assert_read_ok(run, tenant)
    assert tenant.log("token") == [] and tenant.log("discovery") == []
    assert token not in run.stdout + run.stderr


def test_expired_access_token_fails_clearly(tenant, run_playbook):
    token = tenant.sim.mint_access_token(tenant.tenant_id, tenant.client_id, expires_in=-60)
    run = run_playbook([READ], module_defaults=dict(endpoint_connection(tenant), access_token=token))

    failed = run.result("read")
    assert failed["status"] == "failed"
    assert "access_token" in failed["result"]["msg"]
    assert token not in run.stdout + run.stderr


def test_expired_cached_token_is_refreshed_once(tenant, run_playbook):
    tenant.sim.add_fault("expired_token", tenant=tenant.tenant_id, endpoint="settings", count=1)
    run = run_playbook([READ], module_defaults=tenant.connection)

    assert run.rc == 0, run.stdout
    assert [e["status"] for e in tenant.log("settings")] == [401, 200]
    assert [e["status"] for e in tenant.log("token")] == [200, 200]


@pytest.mark.parametrize("change,code,words", [
    ({"client_secret": "wrong-secret-value"}, "AADSTS7000215", "client secret is wrong"),
    ({"client_id": "11111111-2222-3333-4444-555555555555"}, "AADSTS700016", "was not found in tenant"),
    ({"tenant_id": "99999999-8888-7777-6666-555555555555"}, None, "tenant_id"),
], ids=["wrong-secret", "unknown-app", "unknown-tenant"])
def test_entra_errors_say_what_to_fix(tenant, run_playbook, change, code, words):
    run = run_playbook([READ], module_defaults=dict(tenant.connection, **change))

    failed = run.result("read")
    assert failed["status"] == "failed"
    assert words in failed["result"]["msg"]
    if code:
        assert failed["result"]["error"]["code"] == code
    assert "Traceback" not in run.stdout + run.stderr
    assert tenant.secret not in run.stdout + run.stderr
    assert graph_requests(tenant.log()) == []  # no Graph call without a token


def test_expired_certificate_fails_before_any_request(tenant, run_playbook, tmp_path):
    cert = make_client_certificate(tmp_path, expired=True)
    client_id = tenant.sim.add_app(tenant.tenant_id, certificate_pem=cert.cert_pem)
    connection = dict(endpoint_connection(tenant), tenant_id=tenant.tenant_id, client_id=client_id,
                      client_certificate_path=cert.pem_path)
    run = run_playbook([READ], module_defaults=connection)

    failed = run.result("read")
    assert failed["status"] == "failed"
    assert "expired" in failed["result"]["msg"]
    assert failed["result"]["error"]["option"] == "client_certificate_path"
    assert tenant.log() == []


def test_wrong_pfx_password_fails_before_any_request(tenant, run_playbook, tmp_path):
    cert = make_client_certificate(tmp_path)
    connection = dict(endpoint_connection(tenant), tenant_id=tenant.tenant_id, client_id=tenant.client_id,
                      client_certificate_path=cert.pfx_path, client_certificate_password="not-it")
    run = run_playbook([READ], module_defaults=connection)

    failed = run.result("read")
    assert failed["status"] == "failed"
    assert "client_certificate_password" in failed["result"]["msg"]
    assert "not-it" not in run.stdout + run.stderr
    assert tenant.log() == []


@pytest.mark.parametrize("listener,words,hint", [
    ("untrusted_url", "certificate verify failed", "ca_path"),
    ("wrong_host_url", "TLS verification", "graph_endpoint"),
])
def test_tls_failures_are_not_retried_and_explained(tenant, run_playbook, listener, words, hint):
    url = getattr(tenant.sim, listener)
    run = run_playbook([READ], module_defaults=dict(tenant.connection, authority_host=url, graph_endpoint=url))

    failed = run.result("read")
    assert failed["status"] == "failed"
    assert words in failed["result"]["msg"]
    assert hint in failed["result"]["msg"]


def test_ca_path_wins_over_requests_ca_bundle(tenant, run_playbook):
    # The environment points requests at a bundle that does not trust the simulator.
    env = {"REQUESTS_CA_BUNDLE": tenant.sim.untrusted_ca_path, "CURL_CA_BUNDLE": tenant.sim.untrusted_ca_path}
    run = run_playbook([READ], module_defaults=tenant.connection, env=env)
    assert_read_ok(run, tenant)

    without_ca_path = dict(tenant.connection)
    del without_ca_path["ca_path"]
    run = run_playbook([READ], module_defaults=without_ca_path, env=env)
    assert run.result("read")["status"] == "failed"


def test_validate_certs_false_warns(tenant, run_playbook):
    connection = dict(tenant.connection, validate_certs=False)
    del connection["ca_path"]
    run = run_playbook([READ], module_defaults=connection)

    assert run.rc == 0, run.stdout
    assert "validate_certs=false" in run.stdout + run.stderr
