"""Which tenant a result names, the failed-sync warning and the check-mode 403 prediction."""

import os

import pytest
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.intune.autopilot.plugins.module_utils._auth._entra_errors import admin_consent_url
from ansible_collections.intune.autopilot.plugins.module_utils._base._options import connection_argument_spec
from ansible_collections.intune.autopilot.plugins.module_utils._base._settings import build_connection_settings
from ansible_collections.intune.autopilot.plugins.module_utils._auth._file_store import DiskCache, cache_key
from ansible_collections.intune.autopilot.plugins.module_utils._base._errors import GraphError, WorkflowError
from ansible_collections.intune.autopilot.plugins.module_utils._auth._tenant import asked_tenant_id, tenant_from_issuer
from ansible_collections.intune.autopilot.plugins.module_utils._autopilot._permissions import honest_check_mode
from ansible_collections.intune.autopilot.plugins.module_utils._autopilot._task import identity_result

GUID = "3f2504e0-4f89-41d3-9a0c-0305e82c3301"
OTHER = "8f4b2e1a-3c5d-4e6f-9a0b-1c2d3e4f5a6b"
READ_ONLY = {"tid": OTHER, "roles": ["DeviceManagementServiceConfig.Read.All"]}


@pytest.fixture(autouse=True)
def no_azure_environment(monkeypatch):
    for name in list(os.environ):
        if name.startswith(("AZURE_", "INTUNE_AUTOPILOT_")):
            monkeypatch.delenv(name)


class FakeClient:
    """Only what the tenant labels and the 403 prediction read from a GraphClient."""

    def __init__(self, claims):
        self.token_claims = claims


def settings_from(**params):
    """Validated like AnsibleModule would (defaults), with no environment."""
    validated = ArgumentSpecValidator(connection_argument_spec()).validate(params).validated_parameters
    return build_connection_settings(validated, environ={})


def secret_settings(tmp_path, tenant="contoso.onmicrosoft.com"):
    return settings_from(tenant_id=tenant, client_id="11111111-2222-3333-4444-555555555555", client_secret="s3cret",
                         authority_host="https://login.example.test", cache_path=str(tmp_path))


def cache_discovery(settings, issuer):
    url = "%s/v2.0/.well-known/openid-configuration" % settings.authority
    DiskCache(settings.cache_path).write("discovery", cache_key(url), {
        "issuer": issuer, "token_endpoint": "https://login.example.test/%s/oauth2/v2.0/token" % GUID})


@pytest.mark.parametrize("issuer, tenant", [
    ("https://login.microsoftonline.com/%s/v2.0" % GUID, GUID),
    ("https://login.microsoftonline.us/%s/v2.0" % GUID.upper(), GUID),
    ("https://sts.windows.net/%s/" % GUID, GUID),
    ("https://login.microsoftonline.com/{tenantid}/v2.0", None),
    ("nonsense", None), (None, None), (42, None),
])
def test_tenant_from_issuer(issuer, tenant):
    assert tenant_from_issuer(issuer) == tenant


def test_a_domain_resolves_to_the_issuer_of_the_cached_openid_configuration(tmp_path):
    settings = secret_settings(tmp_path)
    cache_discovery(settings, "https://login.example.test/%s/v2.0" % GUID)
    # The issuer wins over the token's tid (they agree in reality).
    assert identity_result(FakeClient(READ_ONLY), settings) == {
        "tenant": "contoso.onmicrosoft.com", "tenant_id": GUID,
        "graph_permissions": ["DeviceManagementServiceConfig.Read.All"]}


def test_without_a_cached_configuration_the_token_tid_names_the_tenant(tmp_path):
    result = identity_result(FakeClient(READ_ONLY), secret_settings(tmp_path))
    assert result["tenant_id"] == OTHER


def test_a_tampered_cache_entry_is_not_believed(tmp_path):
    settings = secret_settings(tmp_path)
    url = "%s/v2.0/.well-known/openid-configuration" % settings.authority
    DiskCache(str(tmp_path)).write("discovery", cache_key(url), {
        "issuer": "https://evil.example/%s/v2.0" % GUID, "token_endpoint": "https://evil.example/token"})
    assert identity_result(FakeClient(None), settings)["tenant_id"] is None


def test_the_tenant_asked_for_is_a_guid_as_given_or_as_the_domain_resolved(tmp_path):
    """What a cached token's tid must match: known from the options or the cached discovery only."""
    assert asked_tenant_id(secret_settings(tmp_path, tenant=GUID.upper())) == GUID
    domain = secret_settings(tmp_path)
    assert asked_tenant_id(domain) is None  # not resolved yet: unknown, so nothing is refused
    cache_discovery(domain, "https://login.example.test/%s/v2.0" % GUID)
    assert asked_tenant_id(domain) == GUID
    assert asked_tenant_id(settings_from(auth_method="managed_identity")) is None


def test_an_opaque_token_leaves_everything_unknown():
    settings = settings_from(access_token="opaque")
    assert identity_result(FakeClient(None), settings) == {
        "tenant": None, "tenant_id": None, "graph_permissions": None}


def test_check_mode_predicts_the_403_of_a_read_only_token():
    with pytest.raises(GraphError) as caught:
        honest_check_mode(FakeClient(READ_ONLY), lambda: {"outcome": "triggered", "changed": True})
    assert caught.value.status == 403 and caught.value.code == "Forbidden"
    assert caught.value.message.startswith("Graph would answer 403 Forbidden")
    assert "DeviceManagementServiceConfig.Read.All" in caught.value.message


@pytest.mark.parametrize("claims", [
    {"roles": ["DeviceManagementServiceConfig.ReadWrite.All"]},
    {"roles": ["DeviceManagementConfiguration.ReadWrite.All"]},
    None,  # not readable: unknown, never an error
    {"scp": "DeviceManagementServiceConfig.ReadWrite.All"},  # delegated: not judged
])
def test_check_mode_passes_when_allowed_or_unknown(claims):
    result = {"outcome": "triggered", "changed": True}
    assert honest_check_mode(FakeClient(claims), lambda: result) is result


def test_no_prediction_when_the_real_run_would_not_send_the_sync():
    result = {"outcome": "recently_synced", "changed": False}
    assert honest_check_mode(FakeClient(READ_ONLY), lambda: result) is result


def test_the_403_comes_before_a_predicted_in_progress_failure():
    def run():
        raise WorkflowError("An Autopilot sync is already in progress.", outcome="in_progress")
    with pytest.raises(GraphError):
        honest_check_mode(FakeClient(READ_ONLY), run)
    with pytest.raises(WorkflowError):
        honest_check_mode(FakeClient({"roles": ["DeviceManagementServiceConfig.ReadWrite.All"]}), run)


@pytest.mark.parametrize("host, tenant, client, url", [
    ("https://login.microsoftonline.com", "contoso.onmicrosoft.com", "abc",
     "https://login.microsoftonline.com/contoso.onmicrosoft.com/adminconsent?client_id=abc"),
    ("https://login.microsoftonline.us/", GUID, "abc",
     "https://login.microsoftonline.us/%s/adminconsent?client_id=abc" % GUID),
    ("https://login.chinacloudapi.cn", None, "a b", "https://login.chinacloudapi.cn/organizations/adminconsent?client_id=a%20b"),
])
def test_admin_consent_url(host, tenant, client, url):
    assert admin_consent_url(host, tenant, client) == url


def test_the_openid_configuration_msal_read_is_the_one_found_again(https_sim, tmp_path):
    """End to end over HTTPS: MSAL reads discovery through msal_http, which caches it under the
    key cached_discovery looks up; a domain name then resolves to the tenant's GUID."""
    from ansible_collections.intune.autopilot.plugins.module_utils._auth._providers import build_token_provider
    from ansible_collections.intune.autopilot.plugins.module_utils._client._retry import RetryPolicy
    from ansible_collections.intune.autopilot.plugins.module_utils._client._session import Transport

    tenant = https_sim.add_tenant(domain="resolved-by-issuer.onmicrosoft.com")
    client_id = https_sim.add_app(tenant, secret="issuer-secret")
    settings = settings_from(tenant_id="resolved-by-issuer.onmicrosoft.com", client_id=client_id,
                             client_secret="issuer-secret", authority_host=https_sim.url,
                             graph_endpoint=https_sim.url, ca_path=https_sim.ca_path, cache_path=str(tmp_path))
    transport = Transport(verify=settings.verify, timeout=5, retry=RetryPolicy(max_retries=1))
    build_token_provider(settings, transport, DiskCache(settings.cache_path)).token()

    assert identity_result(FakeClient(None), settings)["tenant_id"] == tenant
