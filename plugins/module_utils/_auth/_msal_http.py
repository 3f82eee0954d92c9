# -*- coding: utf-8 -*-
# Copyright: intune.autopilot contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# FOR INTERNAL COLLECTION USE ONLY: the interfaces may change in any release.
"""The ``http_client`` MSAL is given: the module's Transport plus cached OpenID discovery.

MSAL reads the tenant's OpenID configuration every time an application object
is built, which in Ansible means once per task. The document changes rarely,
so it is kept on disk for a day per authority, which saves a round trip per
task. A cached document is only used if its token endpoint is on the
authority's own https host, so a tampered cache cannot redirect credentials.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

try:
    from requests import Response
    from requests.structures import CaseInsensitiveDict
except ImportError:  # reported by the module base with missing_required_lib
    Response = CaseInsensitiveDict = None

from ansible_collections.intune.autopilot.plugins.module_utils._auth._file_store import cache_key
from ansible_collections.intune.autopilot.plugins.module_utils._base._formats import url_host
from ansible_collections.intune.autopilot.plugins.module_utils._client._request_auth import NO_AUTH

DISCOVERY_SUFFIX = "/.well-known/openid-configuration"
DISCOVERY_MAX_AGE = 24 * 3600
DISCOVERY_KIND = "discovery"


def _https_host(url):
    return url_host(url) if url.startswith("https://") else None


def usable_discovery(url, document):
    """True if ``document`` is a discovery answer that may be trusted for ``url``."""
    if not isinstance(document, dict):
        return False
    endpoint = document.get("token_endpoint")
    return isinstance(endpoint, str) and _https_host(endpoint) is not None and _https_host(endpoint) == _https_host(url)


def cached_discovery(cache, authority):
    """The authority's OpenID configuration as a token request cached it, or None.

    Read-only: lets a module name the tenant GUID Entra ID resolved (the issuer)
    without another request. The URL is the one MSAL reads for an Entra authority.
    """
    url = "%s/v2.0%s" % (authority, DISCOVERY_SUFFIX)
    document = cache.read(DISCOVERY_KIND, cache_key(url), max_age=DISCOVERY_MAX_AGE)
    return document if usable_discovery(url, document) else None


def _cached_response(url, document):
    response = Response()
    response.status_code = 200
    response.url = url
    response.headers = CaseInsensitiveDict({"Content-Type": "application/json"})
    response._content = json.dumps(document).encode("utf-8")
    return response


class MsalHttpClient:
    """get/post/close as MSAL expects; discovery GETs go through ``cache`` when there is one."""

    def __init__(self, transport, cache=None, on_discovery_error=None):
        self._transport = transport
        self._cache = cache
        self._on_discovery_error = on_discovery_error
        self.last_response = None  # the last real answer, to explain failures MSAL hides
        self.last_url = None  # the last URL asked, to say where a failure happened

    def post(self, url, **kwargs):
        self.last_url = url
        self.last_response = None
        kwargs["auth"] = NO_AUTH  # MSAL's credential is in the body: never ~/.netrc's
        self.last_response = self._transport.post(url, **kwargs)
        return self.last_response

    def get(self, url, **kwargs):
        self.last_url = url
        self.last_response = None
        kwargs["auth"] = NO_AUTH  # discovery needs none; a managed identity's is its own header
        if not url.endswith(DISCOVERY_SUFFIX) or kwargs.get("params"):
            self.last_response = self._transport.get(url, **kwargs)
            return self.last_response
        key = cache_key(url)
        if self._cache is not None:
            document = self._cache.read(DISCOVERY_KIND, key, max_age=DISCOVERY_MAX_AGE)
            if usable_discovery(url, document):
                return _cached_response(url, document)
        response = self.last_response = self._transport.get(url, **kwargs)
        document = _json(response)
        if response.status_code == 200 and usable_discovery(url, document):
            if self._cache is not None:
                self._cache.write(DISCOVERY_KIND, key, document)
        elif 400 <= response.status_code < 500 and self._on_discovery_error and _is_oauth_error(document):
            # Entra explains an unknown tenant here (AADSTS90002); MSAL would
            # only raise a ValueError with the raw text.
            self._on_discovery_error(document)
        return response

    def close(self):
        self._transport.close()


def is_discovery(url):
    return bool(url) and url.split("?")[0].endswith(DISCOVERY_SUFFIX)


def _is_oauth_error(document):
    """An Entra/OAuth error answer ({"error": "invalid_tenant", ...}), not some other service's."""
    return isinstance(document, dict) and isinstance(document.get("error"), str)


def _json(response):
    try:
        return json.loads(response.text)
    except ValueError:
        return None
