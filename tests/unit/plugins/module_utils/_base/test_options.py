# -*- coding: utf-8 -*-
"""Unit tests for the shared connection options (no network)."""

import os
import stat

import pytest
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.intune.autopilot.plugins.module_utils._base import _options as co
from ansible_collections.intune.autopilot.plugins.module_utils._base import _settings
from ansible_collections.intune.autopilot.plugins.module_utils._base._clouds import CLOUDS
from ansible_collections.intune.autopilot.plugins.module_utils._base._errors import ConfigurationError

TENANT = "11111111-2222-3333-4444-555555555555"
CLIENT = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
SECRET = "sup3r~secret.Value"

_ENV_NAMES = (
    "AZURE_TENANT_ID", "AZURE_TENANT", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET", "AZURE_SECRET",
    "AZURE_CLIENT_CERTIFICATE_PATH", "AZURE_CLIENT_CERTIFICATE_PASSWORD", "AZURE_FEDERATED_TOKEN_FILE",
    "AZURE_CLOUD_ENVIRONMENT", "AZURE_AUTHORITY_HOST", "AZURE_AD_USER", "AZURE_PASSWORD",
    "IDENTITY_ENDPOINT", "MSI_ENDPOINT", "INTUNE_AUTOPILOT_GRAPH_ENDPOINT", "INTUNE_AUTOPILOT_CA_PATH",
)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    for name in _ENV_NAMES:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def validate(params):
    """What AnsibleModule does with the spec: defaults and env fallbacks."""
    result = ArgumentSpecValidator(co.connection_argument_spec()).validate(dict(params))
    assert not result.error_messages, result.error_messages
    return result.validated_parameters


def build(**params):
    return _settings.build_connection_settings(validate(params), environ=dict(os.environ))


def build_error(**params):
    with pytest.raises(ConfigurationError) as info:
        build(**params)
    return info.value


def secret_params(**extra):
    params = dict(tenant_id=TENANT, client_id=CLIENT, client_secret=SECRET)
    params.update(extra)
    return params


@pytest.fixture
def cert_file(tmp_path):
    path = tmp_path / "client.pem"
    path.write_text("-----BEGIN CERTIFICATE-----\n")
    return str(path)


@pytest.fixture
def token_file(tmp_path):
    path = tmp_path / "token"
    path.write_text("eyJhbGciOi.fake.token")
    return str(path)


# -- auth_method: auto --------------------------------------------------------

def test_auto_picks_client_secret():
    settings = build(**secret_params())
    assert settings.auth_method == "client_secret"
    assert settings.client_secret == SECRET
    assert settings.secrets == [SECRET]


def test_auto_picks_client_certificate(cert_file):
    settings = build(tenant_id=TENANT, client_id=CLIENT, client_certificate_path=cert_file,
                     client_certificate_password="pfx-pass")
    assert settings.auth_method == "client_certificate"
    assert settings.client_certificate_path == cert_file
    assert settings.secrets == ["pfx-pass"]


def test_auto_picks_workload_identity(token_file):
    settings = build(tenant_id=TENANT, client_id=CLIENT, federated_token_file=token_file)
    assert settings.auth_method == "workload_identity"
    assert settings.federated_token_file == token_file


def test_auto_picks_access_token_before_everything_else():
    settings = build(access_token="eyJ0eXAi.abc.def", client_secret=SECRET)
    assert settings.auth_method == "access_token"
    assert "eyJ0eXAi.abc.def" in settings.secrets


@pytest.mark.parametrize("marker", ["IDENTITY_ENDPOINT", "MSI_ENDPOINT"])
def test_auto_picks_managed_identity_only_with_an_endpoint_marker(clean_env, marker):
    clean_env.setenv(marker, "http://127.0.0.1:41234/msi/token")
    settings = build()
    assert settings.auth_method == "managed_identity"
    assert settings.tenant_id is None


def test_auto_without_any_credentials_fails():
    error = build_error()
    assert error.option == "auth_method"
    assert "No credentials found" in error.message
    assert "client_secret" in error.message


def test_auto_never_guesses_managed_identity_off_azure():
    # Only tenant and client: no marker, so not managed identity.
    error = build_error(tenant_id=TENANT, client_id=CLIENT)
    assert error.option == "auth_method"
    assert "No credentials found" in error.message


@pytest.mark.parametrize("env", [
    {"AZURE_AD_USER": "admin@contoso.com", "AZURE_PASSWORD": "Passw0rd!"},
    {"AZURE_AD_USER": "admin@contoso.com"},
    {"AZURE_PASSWORD": "Passw0rd!"},
])
def test_username_password_only_is_refused_with_a_clear_message(clean_env, env):
    for name, value in env.items():
        clean_env.setenv(name, value)
    error = build_error(tenant_id=TENANT, client_id=CLIENT)
    assert error.option == "auth_method"
    assert "AZURE_AD_USER/AZURE_PASSWORD" in error.message
    assert "not supported" in error.message
    assert "Passw0rd!" not in error.message


def test_username_password_ignored_when_a_secret_is_there_too(clean_env):
    clean_env.setenv("AZURE_AD_USER", "admin@contoso.com")
    clean_env.setenv("AZURE_PASSWORD", "Passw0rd!")
    assert build(**secret_params()).auth_method == "client_secret"


def test_secret_and_certificate_with_auto_is_ambiguous(cert_file):
    error = build_error(**secret_params(client_certificate_path=cert_file))
    assert error.option == "auth_method"
    assert "ambiguous" in error.message
    assert "client_secret" in error.message and "client_certificate_path" in error.message
    assert SECRET not in error.message


def test_secret_and_certificate_fine_with_explicit_method(cert_file):
    settings = build(**secret_params(client_certificate_path=cert_file, auth_method="client_certificate"))
    assert settings.auth_method == "client_certificate"


def test_blank_values_count_as_missing():
    error = build_error(tenant_id=TENANT, client_id=CLIENT, client_secret="   ")
    assert error.option == "auth_method"
    assert "No credentials found" in error.message


# -- required options ---------------------------------------------------------

def test_missing_tenant_id_names_option_and_env_variable():
    error = build_error(client_id=CLIENT, client_secret=SECRET)
    assert error.option == "tenant_id"
    assert error.message == "auth_method=client_secret needs tenant_id (or AZURE_TENANT_ID)."


def test_missing_client_id_names_option_and_env_variable():
    error = build_error(tenant_id=TENANT, client_secret=SECRET)
    assert error.option == "client_id"
    assert "needs client_id" in error.message
    assert "AZURE_CLIENT_ID" in error.message


def test_explicit_method_without_its_credential():
    error = build_error(auth_method="client_certificate", tenant_id=TENANT, client_id=CLIENT)
    assert error.option == "client_certificate_path"
    assert "auth_method=client_certificate needs client_certificate_path" in error.message
    assert "AZURE_CLIENT_CERTIFICATE_PATH" in error.message


def test_explicit_access_token_method_needs_a_token():
    error = build_error(auth_method="access_token")
    assert error.option == "access_token"
    assert "needs access_token" in error.message


def test_managed_identity_needs_nothing_and_keeps_user_assigned_client_id():
    settings = build(auth_method="managed_identity", client_id=CLIENT)
    assert settings.auth_method == "managed_identity"
    assert settings.client_id == CLIENT


# -- environment fallbacks ----------------------------------------------------

def test_env_fallbacks_fill_all_secret_options(clean_env):
    clean_env.setenv("AZURE_TENANT_ID", TENANT)
    clean_env.setenv("AZURE_CLIENT_ID", CLIENT)
    clean_env.setenv("AZURE_CLIENT_SECRET", SECRET)
    settings = build()
    assert (settings.tenant_id, settings.client_id, settings.client_secret) == (TENANT, CLIENT, SECRET)
    assert settings.auth_method == "client_secret"


def test_awx_azure_rm_credential_names_work(clean_env):
    clean_env.setenv("AZURE_TENANT", TENANT)
    clean_env.setenv("AZURE_CLIENT_ID", CLIENT)
    clean_env.setenv("AZURE_SECRET", SECRET)
    settings = build()
    assert (settings.tenant_id, settings.client_secret) == (TENANT, SECRET)


def test_azure_tenant_id_wins_over_azure_tenant(clean_env):
    clean_env.setenv("AZURE_TENANT", "contoso.onmicrosoft.com")
    clean_env.setenv("AZURE_TENANT_ID", TENANT)
    assert validate({})["tenant_id"] == TENANT


def test_azure_client_secret_wins_over_azure_secret(clean_env):
    clean_env.setenv("AZURE_SECRET", "old-awx-secret")
    clean_env.setenv("AZURE_CLIENT_SECRET", SECRET)
    assert validate({})["client_secret"] == SECRET


def test_an_empty_variable_does_not_hide_the_next_name(clean_env):
    # AWX injects every variable of a custom credential type, unused ones as "".
    clean_env.setenv("AZURE_CLIENT_SECRET", "")
    clean_env.setenv("AZURE_SECRET", SECRET)
    clean_env.setenv("AZURE_TENANT_ID", "")
    clean_env.setenv("AZURE_TENANT", TENANT)
    params = validate({})
    assert (params["client_secret"], params["tenant_id"]) == (SECRET, TENANT)


def test_option_wins_over_environment(clean_env):
    clean_env.setenv("AZURE_TENANT_ID", TENANT)
    assert validate({"tenant_id": "fabrikam.com"})["tenant_id"] == "fabrikam.com"


def test_env_fallback_for_certificate_and_token_file(clean_env, cert_file, token_file):
    clean_env.setenv("AZURE_CLIENT_CERTIFICATE_PATH", cert_file)
    clean_env.setenv("AZURE_CLIENT_CERTIFICATE_PASSWORD", "pw")
    clean_env.setenv("AZURE_FEDERATED_TOKEN_FILE", token_file)
    params = validate({})
    assert params["client_certificate_path"] == cert_file
    assert params["client_certificate_password"] == "pw"
    assert params["federated_token_file"] == token_file


def test_spec_defaults():
    params = validate({})
    assert params["auth_method"] == "auto"
    assert params["validate_certs"] is True
    assert params["timeout"] == 30
    assert params["max_retries"] == 3


def test_secret_options_are_no_log():
    spec = co.connection_argument_spec()
    for name in ("client_secret", "client_certificate_password", "access_token"):
        assert spec[name].get("no_log") is True, name


# -- clouds ---------------------------------------------------------------------

def test_default_cloud_is_global():
    settings = build(**secret_params())
    assert settings.cloud.name == "global"
    assert settings.authority_host == "https://login.microsoftonline.com"
    assert settings.graph_endpoint == "https://graph.microsoft.com"
    assert settings.authority == "https://login.microsoftonline.com/" + TENANT
    assert settings.custom_authority is False


@pytest.mark.parametrize("name", sorted(CLOUDS))
def test_cloud_option(name):
    settings = build(**secret_params(cloud=name))
    assert settings.cloud == CLOUDS[name]
    assert settings.authority_host == CLOUDS[name].authority_host
    assert settings.graph_endpoint == CLOUDS[name].graph_endpoint
    assert settings.custom_authority is False


def test_usgov_hosts():
    settings = build(**secret_params(cloud="usgov"))
    assert settings.authority_host == "https://login.microsoftonline.us"
    assert settings.graph_endpoint == "https://graph.microsoft.us"
    assert build(**secret_params(cloud="usgov_dod")).graph_endpoint == "https://dod-graph.microsoft.us"


@pytest.mark.parametrize("value, cloud", [
    ("AzureCloud", "global"),
    ("AzureUSGovernment", "usgov"),
    ("AzureChinaCloud", "china"),
    ("usgov_dod", "usgov_dod"),
])
def test_cloud_from_azure_cloud_environment(clean_env, value, cloud):
    clean_env.setenv("AZURE_CLOUD_ENVIRONMENT", value)
    settings = build(**secret_params())
    assert settings.cloud.name == cloud
    assert settings.graph_endpoint == CLOUDS[cloud].graph_endpoint


def test_cloud_option_wins_over_environment(clean_env):
    clean_env.setenv("AZURE_CLOUD_ENVIRONMENT", "AzureChinaCloud")
    assert build(**secret_params(cloud="usgov")).cloud.name == "usgov"


def test_unknown_azure_cloud_environment_names_the_variable(clean_env):
    clean_env.setenv("AZURE_CLOUD_ENVIRONMENT", "AzureGermanCloud")
    error = build_error(**secret_params())
    assert error.option == "AZURE_CLOUD_ENVIRONMENT"
    assert "AZURE_CLOUD_ENVIRONMENT='AzureGermanCloud' is not a known cloud" in error.message
    assert "AzureUSGovernment" in error.message and "usgov" in error.message


def test_blank_azure_cloud_environment_means_global(clean_env):
    clean_env.setenv("AZURE_CLOUD_ENVIRONMENT", " ")
    assert build(**secret_params()).cloud.name == "global"


def test_unknown_cloud_option_names_the_option():
    # The spec's choices catch it in a module; build_connection_settings checks too.
    params = validate(secret_params())
    params["cloud"] = "mars"
    with pytest.raises(ConfigurationError) as info:
        _settings.build_connection_settings(params, environ={})
    assert info.value.option == "cloud"
    assert "cloud='mars' is not a known cloud" in info.value.message


def test_environ_argument_is_used_instead_of_os_environ(clean_env):
    clean_env.setenv("AZURE_CLOUD_ENVIRONMENT", "AzureChinaCloud")
    params = validate(secret_params())
    assert _settings.build_connection_settings(params, environ={}).cloud.name == "global"


# -- tenant ids -----------------------------------------------------------------

@pytest.mark.parametrize("tenant", ["common", "organizations", "consumers", "Common"])
def test_multi_tenant_alias_is_refused(tenant):
    error = build_error(**secret_params(tenant_id=tenant))
    assert error.option == "tenant_id"
    assert "multi-tenant alias" in error.message
    assert repr(tenant) in error.message


@pytest.mark.parametrize("tenant", [
    "not a tenant", "1111-2222", "11111111-2222-3333-4444-55555555555Z", "contoso", "-contoso.com",
    "https://login.microsoftonline.com/contoso.com",
])
def test_malformed_tenant_is_refused(tenant):
    error = build_error(**secret_params(tenant_id=tenant))
    assert error.option == "tenant_id"
    assert "neither a GUID nor a domain name" in error.message


@pytest.mark.parametrize("tenant", [TENANT, TENANT.upper(), "contoso.onmicrosoft.com", "fabrikam.com",
                                    "contoso.onmicrosoft.us"])
def test_valid_tenants(tenant):
    assert build(**secret_params(tenant_id=tenant)).tenant_id == tenant


# -- authority_host / graph_endpoint ----------------------------------------------

@pytest.mark.parametrize("url", ["http://127.0.0.1:8443", "login.example.test", "ftp://x.test",
                                 "https://login.example.test/?x=1", "https://login.example.test/#frag",
                                 "https://"])
def test_authority_host_must_be_https(url):
    error = build_error(**secret_params(authority_host=url))
    assert error.option == "authority_host"
    assert "authority_host must be an https:// URL" in error.message
    assert repr(url) in error.message


def test_authority_host_override_is_custom_and_trimmed():
    settings = build(**secret_params(authority_host="https://127.0.0.1:8443/"))
    assert settings.authority_host == "https://127.0.0.1:8443"
    assert settings.custom_authority is True
    assert settings.authority == "https://127.0.0.1:8443/" + TENANT


def test_authority_host_from_environment(clean_env):
    clean_env.setenv("AZURE_AUTHORITY_HOST", "https://login.sim.test")
    settings = build(**secret_params())
    assert settings.authority_host == "https://login.sim.test"
    assert settings.custom_authority is True


def test_graph_endpoint_and_ca_path_from_environment(clean_env, tmp_path):
    """What `make simulator`'s env file sets: any playbook then reaches another Graph unedited."""
    bundle = tmp_path / "ca.pem"
    bundle.write_text("-----BEGIN CERTIFICATE-----\n")
    clean_env.setenv("INTUNE_AUTOPILOT_GRAPH_ENDPOINT", "https://127.0.0.1:9443/beta")
    clean_env.setenv("INTUNE_AUTOPILOT_CA_PATH", str(bundle))
    settings = build(**secret_params())
    assert settings.graph_endpoint == "https://127.0.0.1:9443"
    assert settings.verify == str(bundle)
    # The token audience stays the cloud's Graph, as with the option.
    assert settings.cloud.graph_endpoint == "https://graph.microsoft.com"


def test_graph_endpoint_and_ca_path_options_win_over_environment(clean_env, tmp_path):
    clean_env.setenv("INTUNE_AUTOPILOT_GRAPH_ENDPOINT", "https://127.0.0.1:9443")
    clean_env.setenv("INTUNE_AUTOPILOT_CA_PATH", str(tmp_path / "from-environment.pem"))
    params = validate(secret_params(graph_endpoint="https://graph.example.test", ca_path="/etc/ca.pem"))
    assert (params["graph_endpoint"], params["ca_path"]) == ("https://graph.example.test", "/etc/ca.pem")


def test_authority_host_equal_to_cloud_is_not_custom():
    settings = build(**secret_params(authority_host="https://login.microsoftonline.com/"))
    assert settings.custom_authority is False


@pytest.mark.parametrize("url", ["http://graph.microsoft.com", "graph.microsoft.com",
                                 "https://graph.example.test/beta?$select=id"])
def test_graph_endpoint_must_be_https(url):
    error = build_error(**secret_params(graph_endpoint=url))
    assert error.option == "graph_endpoint"
    assert "graph_endpoint must be an https:// URL" in error.message


@pytest.mark.parametrize("url, expected", [
    ("https://graph.example.test", "https://graph.example.test"),
    ("https://graph.example.test/", "https://graph.example.test"),
    ("https://graph.example.test/beta", "https://graph.example.test"),
    ("https://graph.example.test/beta/", "https://graph.example.test"),
    ("https://graph.example.test/v1.0", "https://graph.example.test"),
    ("https://127.0.0.1:9443/graph/beta", "https://127.0.0.1:9443/graph"),
])
def test_graph_endpoint_version_segment_is_stripped(url, expected):
    settings = build(**secret_params(graph_endpoint=url))
    assert settings.graph_endpoint == expected
    # The token audience stays the cloud's Graph.
    assert settings.cloud.graph_endpoint == "https://graph.microsoft.com"


# -- timeout / max_retries ----------------------------------------------------------

@pytest.mark.parametrize("timeout", [0, -1])
def test_timeout_must_be_positive(timeout):
    error = build_error(**secret_params(timeout=timeout))
    assert error.option == "timeout"
    assert "timeout must be a positive number of seconds, got %r." % timeout == error.message


@pytest.mark.parametrize("value", [-1, _settings.MAX_RETRIES_LIMIT + 1, 100])
def test_max_retries_out_of_range(value):
    error = build_error(**secret_params(max_retries=value))
    assert error.option == "max_retries"
    assert "max_retries must be between 0 and %d, got %d." % (_settings.MAX_RETRIES_LIMIT, value) == error.message


@pytest.mark.parametrize("value", [0, _settings.MAX_RETRIES_LIMIT])
def test_max_retries_bounds_are_allowed(value):
    assert build(**secret_params(max_retries=value)).max_retries == value


def test_timeout_and_retries_carried_over():
    settings = build(**secret_params(timeout=5, max_retries=1))
    assert (settings.timeout, settings.max_retries) == (5, 1)


# -- files ----------------------------------------------------------------------------

def test_missing_certificate_file(tmp_path):
    missing = str(tmp_path / "nope.pem")
    error = build_error(tenant_id=TENANT, client_id=CLIENT, client_certificate_path=missing)
    assert error.option == "client_certificate_path"
    assert "does not exist or is not a file" in error.message
    assert missing in error.message


def test_certificate_path_is_a_directory(tmp_path):
    error = build_error(tenant_id=TENANT, client_id=CLIENT, client_certificate_path=str(tmp_path))
    assert error.option == "client_certificate_path"
    assert "not a file" in error.message


def test_unreadable_certificate_file(cert_file, monkeypatch):
    os.chmod(cert_file, 0)
    if os.access(cert_file, os.R_OK):  # root reads everything: pretend it cannot
        real_access = os.access
        monkeypatch.setattr(_settings.os, "access",
                            lambda path, mode: False if path == cert_file else real_access(path, mode))
    try:
        error = build_error(tenant_id=TENANT, client_id=CLIENT, client_certificate_path=cert_file)
    finally:
        os.chmod(cert_file, stat.S_IRUSR | stat.S_IWUSR)
    assert error.option == "client_certificate_path"
    assert "is not readable by this user" in error.message
    assert cert_file in error.message


def test_missing_federated_token_file(tmp_path):
    missing = str(tmp_path / "token")
    error = build_error(tenant_id=TENANT, client_id=CLIENT, federated_token_file=missing)
    assert error.option == "federated_token_file"
    assert "does not exist" in error.message


# -- TLS ------------------------------------------------------------------------------

def test_verify_defaults_to_true():
    assert build(**secret_params()).verify is True


def test_ca_path_becomes_verify(tmp_path):
    bundle = tmp_path / "ca.pem"
    bundle.write_text("-----BEGIN CERTIFICATE-----\n")
    assert build(**secret_params(ca_path=str(bundle))).verify == str(bundle)


def test_missing_ca_path(tmp_path):
    missing = str(tmp_path / "ca.pem")
    error = build_error(**secret_params(ca_path=missing))
    assert error.option == "ca_path"
    assert "ca_path %r does not exist." % missing == error.message


@pytest.mark.parametrize("ca_path", [None, "/nonexistent/ca.pem"])
def test_validate_certs_false_turns_verification_off(ca_path):
    params = secret_params(validate_certs=False)
    if ca_path:
        params["ca_path"] = ca_path
    assert build(**params).verify is False


def test_configuration_error_to_result_names_option():
    error = build_error(**secret_params(timeout=0))
    assert error.to_result() == {"error": {"option": "timeout"}}


def test_fallbacks_read_the_environment_the_spec_is_bound_to(clean_env):
    """The in-process door validates against the task's environment, never touching os.environ."""
    clean_env.setenv("AZURE_CLIENT_ID", "from-os-environ")
    task_environment = {"AZURE_TENANT": TENANT, "AZURE_CLIENT_ID": CLIENT, "AZURE_SECRET": SECRET,
                        "AZURE_CLIENT_SECRET": ""}
    result = ArgumentSpecValidator(co.connection_argument_spec(task_environment)).validate({})
    params = result.validated_parameters
    assert (params["tenant_id"], params["client_id"], params["client_secret"]) == (TENANT, CLIENT, SECRET)
    assert "AZURE_TENANT" not in os.environ
    assert validate({})["client_id"] == "from-os-environ"  # an unbound spec reads os.environ


def test_a_bound_spec_reads_only_its_environment(clean_env):
    clean_env.setenv("AZURE_CLIENT_ID", CLIENT)
    result = ArgumentSpecValidator(co.connection_argument_spec({})).validate({})
    assert result.validated_parameters["client_id"] is None
