# -*- coding: utf-8 -*-
"""Unit tests for auth.describe_entra_error and auth.FederatedTokenFile (no network)."""

import os

import pytest

from ansible_collections.intune.autopilot.plugins.module_utils._auth._providers import (
    FederatedTokenFile,
    describe_entra_error,
)
from ansible_collections.intune.autopilot.plugins.module_utils._base._errors import (
    AuthenticationError,
    ConfigurationError,
)

TENANT = "11111111-2222-3333-4444-555555555555"
CLIENT = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
TRACE = "0a1b2c3d-1111-2222-3333-444455556666"
CORRELATION = "9f8e7d6c-aaaa-bbbb-cccc-ddddeeeeffff"
STAMP = "2026-11-23 09:15:02Z"


def entra_result(code, text, separator="\r\n", error="invalid_client", codes=True):
    """An MSAL error result as Entra ID really sends it (CRLF before the trace footer)."""
    description = "AADSTS%d: %s%sTrace ID: %s%sCorrelation ID: %s%sTimestamp: %s" % (
        code, text, separator, TRACE, separator, CORRELATION, separator, STAMP)
    result = {
        "error": error,
        "error_description": description,
        "timestamp": STAMP,
        "trace_id": TRACE,
        "correlation_id": CORRELATION,
        "error_uri": "https://login.microsoftonline.com/error?code=%d" % code,
    }
    if codes:
        result["error_codes"] = [code]
    return result


def assert_no_trace(message):
    assert TRACE not in message
    assert CORRELATION not in message
    assert "Trace ID" not in message
    assert STAMP not in message


def test_wrong_client_secret():
    error = describe_entra_error(
        entra_result(7000215, "Invalid client secret provided. Ensure the secret being sent in the request "
                              "is the client secret value, not the client secret ID."),
        TENANT, CLIENT)
    assert isinstance(error, AuthenticationError)
    assert error.message.startswith("Entra ID refused the token request (AADSTS7000215): ")
    assert "client secret is wrong" in error.message
    assert "Secret ID" in error.message
    assert_no_trace(error.message)
    assert error.details["code"] == "AADSTS7000215"
    assert error.details["error"] == "invalid_client"
    # the ids are kept for support, outside the message
    assert error.details["trace_id"] == TRACE
    assert error.details["correlation_id"] == CORRELATION


def test_unknown_tenant_names_tenant_and_cloud():
    error = describe_entra_error(
        entra_result(90002, "Tenant 'contoso.test' not found. Check to make sure you have the correct "
                            "tenant ID.", error="invalid_request"),
        "contoso.test", CLIENT)
    assert "(AADSTS90002)" in error.message
    assert "tenant contoso.test was not found" in error.message
    assert "tenant_id" in error.message and "cloud" in error.message
    assert_no_trace(error.message)
    assert error.details["code"] == "AADSTS90002"


def test_unknown_application_names_client_and_tenant():
    error = describe_entra_error(
        entra_result(700016, "Application with identifier '%s' was not found in the directory." % CLIENT,
                     error="unauthorized_client"),
        TENANT, CLIENT)
    assert "(AADSTS700016)" in error.message
    assert "application %s was not found in tenant %s" % (CLIENT, TENANT) in error.message
    assert "consented" in error.message
    assert_no_trace(error.message)


def test_certificate_rejected():
    error = describe_entra_error(
        entra_result(700027, "Client assertion failed signature validation."), TENANT, CLIENT)
    assert "(AADSTS700027)" in error.message
    assert "certificate was rejected" in error.message
    assert "app registration" in error.message
    assert_no_trace(error.message)
    assert error.details["code"] == "AADSTS700027"


def test_code_taken_from_description_when_error_codes_missing():
    error = describe_entra_error(
        entra_result(7000215, "Invalid client secret provided.", codes=False), TENANT, CLIENT)
    assert "(AADSTS7000215)" in error.message
    assert "client secret is wrong" in error.message
    assert error.details["code"] == "AADSTS7000215"


def test_unknown_code_single_line_footer_keeps_first_sentence_only():
    error = describe_entra_error(
        entra_result(50999, "Something unusual happened.", separator=" "), TENANT, CLIENT)
    assert "(AADSTS50999)" in error.message
    assert "Something unusual happened" in error.message
    assert_no_trace(error.message)
    assert error.details["code"] == "AADSTS50999"


def test_unknown_code_real_entra_footer_is_cut():
    error = describe_entra_error(
        entra_result(50999, "Something unusual happened."), TENANT, CLIENT)
    assert "Something unusual happened" in error.message
    assert_no_trace(error.message)


def test_no_code_at_all_uses_the_oauth_error():
    error = describe_entra_error({"error": "invalid_client"}, TENANT, CLIENT)
    assert error.message == "Entra ID refused the token request: invalid_client."
    assert error.details["code"] == "invalid_client"


def test_empty_result():
    error = describe_entra_error({}, TENANT, CLIENT)
    assert error.message == "Entra ID refused the token request: unknown error."
    assert error.details == {}


def test_secrets_in_description_are_scrubbed():
    result = entra_result(50999, "The value sup3r-Secret~1 is odd.", separator=" ")
    error = describe_entra_error(result, TENANT, CLIENT, secrets=["sup3r-Secret~1"])
    assert "sup3r-Secret~1" not in error.message
    assert "********" in error.message


# -- FederatedTokenFile ---------------------------------------------------------

def test_token_file_is_read_and_stripped(tmp_path):
    path = tmp_path / "token"
    path.write_text("  first.jwt.token\n")
    assert FederatedTokenFile(str(path))() == "first.jwt.token"


def test_token_file_is_read_again_when_rotated(tmp_path):
    path = tmp_path / "token"
    path.write_text("first.jwt.token")
    read = FederatedTokenFile(str(path))
    assert read() == "first.jwt.token"
    path.write_text("second.jwt.token.longer")
    assert read() == "second.jwt.token.longer"


def test_token_file_same_size_new_mtime_is_read_again(tmp_path):
    path = tmp_path / "token"
    path.write_text("aaaa.bbbb.cccc")
    st = os.stat(str(path))
    read = FederatedTokenFile(str(path))
    assert read() == "aaaa.bbbb.cccc"
    path.write_text("dddd.eeee.ffff")
    os.utime(str(path), ns=(st.st_atime_ns, st.st_mtime_ns + 1000000000))
    assert read() == "dddd.eeee.ffff"


def test_token_file_unchanged_is_not_read_again(tmp_path):
    path = tmp_path / "token"
    path.write_text("aaaa.bbbb.cccc")
    st = os.stat(str(path))
    read = FederatedTokenFile(str(path))
    assert read() == "aaaa.bbbb.cccc"
    # same size and mtime: the cached token is used
    path.write_text("zzzz.yyyy.xxxx")
    os.utime(str(path), ns=(st.st_atime_ns, st.st_mtime_ns))
    assert read() == "aaaa.bbbb.cccc"


@pytest.mark.parametrize("content", ["", "  \n"])
def test_empty_token_file(tmp_path, content):
    path = tmp_path / "token"
    path.write_text(content)
    with pytest.raises(ConfigurationError) as info:
        FederatedTokenFile(str(path))()
    assert info.value.option == "federated_token_file"
    assert info.value.message == "federated_token_file %r is empty." % str(path)


def test_missing_token_file(tmp_path):
    path = str(tmp_path / "missing")
    with pytest.raises(ConfigurationError) as info:
        FederatedTokenFile(path)()
    assert info.value.option == "federated_token_file"
    assert "Cannot read federated_token_file %r" % path in info.value.message
    assert "No such file" in info.value.message


def test_token_file_removed_after_first_read(tmp_path):
    path = tmp_path / "token"
    path.write_text("first.jwt.token")
    read = FederatedTokenFile(str(path))
    assert read() == "first.jwt.token"
    path.unlink()
    with pytest.raises(ConfigurationError) as info:
        read()
    assert info.value.option == "federated_token_file"


def test_token_file_emptied_after_rotation(tmp_path):
    path = tmp_path / "token"
    path.write_text("first.jwt.token")
    read = FederatedTokenFile(str(path))
    read()
    path.write_text("")
    with pytest.raises(ConfigurationError) as info:
        read()
    assert "is empty" in info.value.message
