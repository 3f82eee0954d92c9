# -*- coding: utf-8 -*-
# Copyright: intune.autopilot contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# FOR INTERNAL COLLECTION USE ONLY: the interfaces may change in any release.
"""The opt-in access token cache (``token_cache: true``).

A task that finds a valid token skips MSAL and the token request entirely.
Entries are private files (see DiskCache), one per tenant, client, cloud,
auth method and credential: a token is never handed to a task that uses
other credentials, even for the same app. Each entry holds its own key, so a
file copied or renamed onto another entry's name is not believed, and a token
whose ``tid`` names another tenant than the task asked for is never used.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import time

from ansible_collections.intune.autopilot.plugins.module_utils._auth._claims import unverified_claims
from ansible_collections.intune.autopilot.plugins.module_utils._auth._providers import AccessToken
from ansible_collections.intune.autopilot.plugins.module_utils._auth._file_store import cache_key
from ansible_collections.intune.autopilot.plugins.module_utils._base._formats import guid

TOKEN_KIND = "tokens"

# A cached token that expires sooner than this is not used: a long task
# (waiting for a sync) must not be left holding an expired token.
MIN_REMAINING_LIFETIME = 300


def _file_identity(path):
    try:
        info = os.stat(path)
        return "%s:%s:%s" % (path, info.st_mtime_ns, info.st_size)
    except OSError:
        return path


def credential_identity(settings, environ=None):
    """What identifies the credential itself, so that another one never reuses a token.

    Only ever used inside a hash. A certificate is identified by its file and
    version rather than its thumbprint, which would need cryptography loaded.
    """
    environ = os.environ if environ is None else environ
    method = settings.auth_method
    if method == "client_secret":
        return settings.client_secret
    if method == "client_certificate":
        return _file_identity(settings.client_certificate_path)
    if method == "workload_identity":
        return settings.federated_token_file
    if method == "managed_identity":
        return environ.get("IDENTITY_ENDPOINT") or environ.get("MSI_ENDPOINT") or "imds"
    return None


def token_cache_key(settings, environ=None):
    return cache_key(
        settings.cloud.name, settings.authority_host, (settings.tenant_id or "").lower(),
        (settings.client_id or "").lower(), settings.auth_method, credential_identity(settings, environ))


class CachedTokenProvider:
    """Puts the on-disk cache in front of a token provider.

    The provider is built by ``build_provider`` only on a cache miss, so a
    hit never imports MSAL. ``asked_tenant`` gives the GUID of the tenant the
    task names (None when unknown): a cached token for another one is a miss.
    """

    refreshable = True

    def __init__(self, build_provider, cache, key, asked_tenant=lambda: None, now=time.time):
        self._build_provider = build_provider
        self._provider = None
        self._cache = cache
        self._key = key
        self._asked_tenant = asked_tenant
        self._now = now
        # True while the token in use came from the disk: it may carry roles
        # from before a permission change, so a 403 is worth one fresh token.
        self.stale_roles_possible = False

    def token(self, force_refresh=False):
        if force_refresh:
            self._cache.delete(TOKEN_KIND, self._key)
        else:
            entry = self._cache.read(TOKEN_KIND, self._key)
            if self._usable(entry):
                self.stale_roles_possible = True
                return AccessToken(entry["access_token"], entry["expires_on"])
        self.stale_roles_possible = False
        if self._provider is None:
            self._provider = self._build_provider()
        token = self._provider.token(force_refresh=force_refresh)
        if token.expires_on:
            self._cache.write(TOKEN_KIND, self._key,
                              {"key": self._key, "access_token": token.value, "expires_on": token.expires_on})
        return token

    def _usable(self, entry):
        return (isinstance(entry, dict) and entry.get("key") == self._key
                and isinstance(entry.get("access_token"), str)
                and isinstance(entry.get("expires_on"), (int, float))
                and entry["expires_on"] - self._now() > MIN_REMAINING_LIFETIME
                and self._for_asked_tenant(entry["access_token"]))

    def _for_asked_tenant(self, token):
        """False only when both the token's ``tid`` and the tenant asked for are known and differ."""
        tenant = guid((unverified_claims(token) or {}).get("tid"))
        if tenant is None:
            return True
        asked = self._asked_tenant()
        return asked is None or asked == tenant
