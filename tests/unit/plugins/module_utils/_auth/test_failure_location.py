# -*- coding: utf-8 -*-
"""Token failures MSAL raises as ValueError are named by where they happened (no network)."""

from collections import namedtuple

import pytest

from ansible_collections.intune.autopilot.plugins.module_utils._auth import _providers as auth
from ansible_collections.intune.autopilot.plugins.module_utils._base._errors import AuthenticationError

AUTHORITY = "https://login.example/contoso.onmicrosoft.com"
Settings = namedtuple("Settings", "authority authority_host tenant_id client_id secrets")
SETTINGS = Settings(AUTHORITY, "https://login.example", "contoso.onmicrosoft.com", "cid", ["s3cret"])


class Answer:
    status_code = 200
    headers = {"x-ms-request-id": "rid-1", "client-request-id": "crid-1", "Date": "Mon, 30 Nov 2026 14:00:00 GMT"}
    request = None


class Http:
    def __init__(self, last_url):
        self.last_url = last_url
        self.last_response = Answer() if last_url else None


def provider(base, last_url, problem="Expecting value: line 1 column 1 (char 0)"):
    class Failing(base):
        def __init__(self):
            self._settings = SETTINGS
            self._http = Http(last_url)
            self._msal = pytest.importorskip("msal")

        def _acquire(self):
            raise ValueError(problem)

        def _forget(self):
            pass

    return Failing()


def failure(base, last_url, **kwargs):
    with pytest.raises(AuthenticationError) as info:
        provider(base, last_url, **kwargs).token()
    return info.value


def test_a_discovery_answer_is_blamed_on_the_openid_configuration():
    error = failure(auth._MsalProvider, AUTHORITY + "/v2.0/.well-known/openid-configuration")
    assert error.message.startswith("Could not use the OpenID configuration of %s (HTTP 200): Expecting value"
                                    % AUTHORITY)
    assert "Check tenant_id, cloud and authority_host." in error.message
    assert error.details["request_id"] == "rid-1"


def test_a_token_endpoint_answer_is_blamed_on_the_token_endpoint():
    error = failure(auth._MsalProvider, AUTHORITY + "/oauth2/v2.0/token")
    assert error.message.startswith("Could not use the answer of the token endpoint at login.example (HTTP 200)")
    assert "tenant_id" not in error.message and "OpenID" not in error.message
    assert "HTTPS_PROXY" in error.message


def test_a_managed_identity_answer_is_blamed_on_that_endpoint():
    error = failure(auth.ManagedIdentityProvider, "http://169.254.169.254/metadata/identity/oauth2/token?x=1")
    assert error.message.startswith("Could not use the answer of the managed identity endpoint "
                                    "http://169.254.169.254/metadata/identity/oauth2/token (HTTP 200)")
    assert "OpenID" not in error.message and "tenant_id" not in error.message


def test_a_credential_msal_refuses_before_any_request_says_so():
    error = failure(auth._MsalProvider, None, problem="thumbprint is required, s3cret")
    assert error.message == "MSAL refused the credential before sending any request: thumbprint is required, ********."


def test_an_msal_older_than_the_floor_is_named(monkeypatch):
    msal = pytest.importorskip("msal")
    monkeypatch.setattr(msal, "__version__", "1.34.0")
    with pytest.raises(AuthenticationError) as info:
        auth.import_msal()
    assert info.value.message == ("intune.autopilot needs msal 1.35.0 or later; this Python has msal 1.34.0. "
                                  "Upgrade it where the module runs (pip install 'msal>=1.35.0').")


class Answering(auth._MsalProvider):
    def __init__(self, result):
        self._settings = SETTINGS
        self._http = Http(AUTHORITY + "/oauth2/v2.0/token")
        self._msal = pytest.importorskip("msal")
        self._result = result

    def _acquire(self):
        return self._result

    def _forget(self):
        pass


def test_a_token_answer_of_the_wrong_shape_is_named_not_a_traceback():
    with pytest.raises(AuthenticationError) as info:
        Answering({"access_token": 42}).token()
    assert "access_token is not a string but int" in info.value.message
    assert Answering({"access_token": "t", "expires_in": "soon"}).token().expires_on is None
