# -*- coding: utf-8 -*-
# Copyright: intune.autopilot contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# FOR INTERNAL COLLECTION USE ONLY: the interfaces may change in any release.
"""Credentials -> MSAL -> a Graph access token.

One provider per kind of credential. The MSAL-based ones hand MSAL the
module's Transport (through MsalHttpClient) so TLS, proxies and retries are
the same as for Graph. Entra's AADSTS errors become messages that say what
to fix. MSAL (and cryptography behind it) is imported only when a token must
really be requested: a given or cached token needs neither, which keeps a
task's start-up short.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re
import time
from collections import namedtuple

from ansible_collections.intune.autopilot.plugins.module_utils._auth._entra_errors import describe_entra_error
from ansible_collections.intune.autopilot.plugins.module_utils._auth._msal_http import MsalHttpClient, is_discovery
from ansible_collections.intune.autopilot.plugins.module_utils._base._clouds import graph_scope
from ansible_collections.intune.autopilot.plugins.module_utils._base._errors import (
    AuthenticationError,
    AutopilotError,
    ConfigurationError,
    scrub,
)
from ansible_collections.intune.autopilot.plugins.module_utils._base._formats import url_host
from ansible_collections.intune.autopilot.plugins.module_utils._base._libraries import import_library
from ansible_collections.intune.autopilot.plugins.module_utils._client._session import response_ids

# ``expires_on`` is a Unix time, or None when unknown (a token given by the user).
AccessToken = namedtuple("AccessToken", ["value", "expires_on"])


# The oldest msal that works for every auth_method: before 1.35.0 MSAL does not
# work out a certificate's thumbprint from public_certificate itself.
MSAL_FLOOR = (1, 35, 0)


def _version(text):
    return tuple(int(part) for part in re.findall(r"\d+", str(text))[:3])


def import_msal():
    msal = import_library("msal")
    found = getattr(msal, "__version__", "0")
    if _version(found) < MSAL_FLOOR:
        raise AuthenticationError(
            "intune.autopilot needs msal %s or later; this Python has msal %s. Upgrade it where the module "
            "runs (pip install 'msal>=%s')." % (".".join(map(str, MSAL_FLOOR)), found,
                                                ".".join(map(str, MSAL_FLOOR))),
            library="msal", version=found)
    return msal


def _expires_on(expires_in):
    """Unix time a token expires from its ``expires_in``; None when absent or not a number."""
    try:
        return time.time() + int(float(expires_in)) if expires_in else None
    except (TypeError, ValueError, OverflowError):
        return None


class StaticTokenProvider:
    """A token obtained elsewhere: no MSAL, nothing to refresh."""

    refreshable = False

    def __init__(self, token):
        self._token = AccessToken(token, None)

    def token(self, force_refresh=False):
        return self._token


class _MsalProvider:
    """Common handling of MSAL results and exceptions."""

    refreshable = True

    def __init__(self, settings, http_client):
        self._settings = settings
        self._http = http_client
        self._msal = import_msal()

    def _acquire(self):
        raise NotImplementedError

    def _forget(self):
        raise NotImplementedError

    def token(self, force_refresh=False):
        if force_refresh:
            self._forget()
        try:
            result = self._acquire()
        except AutopilotError:
            raise
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            # MSAL raises ValueError (JSON errors included) for answers it cannot
            # use and for credentials it refuses, and may trip over an answer of
            # the wrong shape; say where it happened.
            raise self._unusable(scrub(str(exc)[:200], self._settings.secrets))
        except self._msal.exceptions.MsalServiceError:
            # MSAL's own error for an answer it cannot use, such as a 5xx left
            # after the transport's retries ("HTTP Error: 503").
            raise self._unavailable()
        if result and result.get("access_token"):
            if not isinstance(result["access_token"], str):
                raise self._unusable("access_token is not a string but %s" % type(result["access_token"]).__name__)
            return AccessToken(result["access_token"], _expires_on(result.get("expires_in")))
        status = getattr(self._http.last_response, "status_code", None)
        if status == 429 or (status or 0) >= 500:
            raise self._unavailable()
        raise describe_entra_error(result or {}, self._settings.tenant_id, self._settings.client_id,
                                   self._settings.secrets, self._settings.authority_host)

    def _where(self):
        """Where the last token exchange went: (what, hint) for a message."""
        url = self._http.last_url
        if url is None:
            return None, None
        host = url_host(url)
        if is_discovery(url):
            return ("the OpenID configuration of %s" % self._settings.authority,
                    "Check tenant_id, cloud and authority_host")
        return ("the answer of the token endpoint at %s" % host,
                "A proxy may have answered instead of Entra ID: check HTTPS_PROXY/NO_PROXY and authority_host")

    def _unusable(self, detail):
        what, hint = self._where()
        status = getattr(self._http.last_response, "status_code", None)
        if what is None:
            return AuthenticationError("MSAL refused the credential before sending any request: %s." % detail,
                                       authority=self._settings.authority)
        return AuthenticationError(
            "Could not use %s%s: %s. %s." % (what, " (HTTP %s)" % status if status else "", detail, hint),
            status=status, authority=self._settings.authority, **response_ids(self._http.last_response))

    def _unavailable(self):
        """Entra ID throttled or failed even after the transport's retries."""
        response = self._http.last_response
        status = getattr(response, "status_code", None)
        attempts = getattr(response, "attempts", 1)
        what = "is throttling token requests" if status == 429 else "failed"
        return AuthenticationError(
            "Entra ID at %s %s (HTTP %s%s). This is on Microsoft's side; try again later, or raise "
            "max_retries." % (self._settings.authority_host, what, status,
                              ", %d attempts" % attempts if attempts > 1 else ""),
            status=status, authority=self._settings.authority, **response_ids(response))


class ConfidentialClientProvider(_MsalProvider):
    """Client secret, client certificate or workload identity (client assertion)."""

    def __init__(self, settings, http_client, client_credential):
        super(ConfidentialClientProvider, self).__init__(settings, http_client)
        self._credential = client_credential
        self._scopes = [graph_scope(settings.cloud)]
        self._app = None

    def _acquire(self):
        if self._app is None:
            # Built on first use: MSAL reads the authority's OpenID
            # configuration in the constructor, which is network I/O.
            self._app = self._msal.ConfidentialClientApplication(
                self._settings.client_id,
                client_credential=self._credential,
                authority=self._settings.authority,
                http_client=self._http,
                # Instance discovery asks login.microsoftonline.com about the
                # host; a custom authority_host (proxy, simulator) must not.
                instance_discovery=False if self._settings.custom_authority else None,
                app_name="intune.autopilot",
            )
        return self._app.acquire_token_for_client(scopes=self._scopes)

    def _forget(self):
        if self._app is not None:
            self._app.remove_tokens_for_client()


class ManagedIdentityProvider(_MsalProvider):
    """System- or user-assigned managed identity (``client_id`` picks the latter)."""

    def __init__(self, settings, http_client):
        super(ManagedIdentityProvider, self).__init__(settings, http_client)
        msal = self._msal
        self._identity = (msal.UserAssignedManagedIdentity(client_id=settings.client_id)
                          if settings.client_id else msal.SystemAssignedManagedIdentity())
        self._resource = settings.cloud.graph_endpoint
        self._client = None

    def _acquire(self):
        if self._client is None:
            self._client = self._msal.ManagedIdentityClient(self._identity, http_client=self._http)
        return self._client.acquire_token_for_client(resource=self._resource)

    def _forget(self):
        # The client caches its token; a new client skips the one Graph rejected.
        self._client = None

    def _where(self):
        url = self._http.last_url
        endpoint = url.split("?")[0] if url else "the managed identity endpoint of this host"
        return ("the answer of the managed identity endpoint %s" % endpoint,
                "Check that this host has a managed identity (IDENTITY_ENDPOINT, MSI_ENDPOINT) and that "
                "client_id names one assigned to it")


class FederatedTokenFile:
    """Client assertion read from a file that an orchestrator rotates (AKS, AWX on k8s).

    MSAL calls this whenever it needs an assertion; the file is read again
    only when it changed, so a rotated token is always used.
    """

    def __init__(self, path):
        self._path = path
        self._stamp = None
        self._token = None

    def __call__(self):
        try:
            stat = os.stat(self._path)
            stamp = (stat.st_mtime_ns, stat.st_size)
            if stamp != self._stamp:
                with open(self._path) as handle:
                    self._token = handle.read().strip()
                self._stamp = stamp
        except (IOError, OSError) as exc:
            raise ConfigurationError("federated_token_file", "Cannot read federated_token_file %r: %s"
                                     % (self._path, exc.strerror or exc))
        if not self._token:
            raise ConfigurationError("federated_token_file", "federated_token_file %r is empty." % self._path)
        return self._token


def build_token_provider(settings, transport, cache=None):
    """The token provider for ``settings.auth_method``; ``cache`` holds discovery documents."""
    method = settings.auth_method
    if method == "access_token":
        return StaticTokenProvider(settings.access_token)

    def entra_refused(document):
        raise describe_entra_error(document, settings.tenant_id, settings.client_id, settings.secrets,
                                   settings.authority_host)

    http_client = MsalHttpClient(transport, cache, on_discovery_error=entra_refused)
    if method == "managed_identity":
        return ManagedIdentityProvider(settings, http_client)
    if method == "client_secret":
        credential = settings.client_secret
    elif method == "client_certificate":
        # Imported here: loading a certificate needs cryptography, nothing else does.
        from ansible_collections.intune.autopilot.plugins.module_utils._auth._certificate import (
            load_client_certificate,
        )
        credential = load_client_certificate(
            settings.client_certificate_path, settings.client_certificate_password).msal_credential()
    else:  # workload_identity
        credential = {"client_assertion": FederatedTokenFile(settings.federated_token_file)}
    return ConfidentialClientProvider(settings, http_client, credential)
