# -*- coding: utf-8 -*-
# Copyright: intune.autopilot contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# FOR INTERNAL COLLECTION USE ONLY: the interfaces may change in any release.
"""Which tenant a task really reached, from what the task already holds.

The authority's OpenID configuration (cached on disk when the token was
requested) names the directory GUID a domain resolved to; a token's ``tid``
claim says it otherwise. An unreadable value is unknown (None), never an error.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.intune.autopilot.plugins.module_utils._auth._file_store import DiskCache
from ansible_collections.intune.autopilot.plugins.module_utils._auth._msal_http import cached_discovery
from ansible_collections.intune.autopilot.plugins.module_utils._base._formats import guid

# Credentials that go through the tenant's Entra ID authority (and its OpenID configuration).
_AUTHORITY_METHODS = ("client_secret", "client_certificate", "workload_identity")


def tenant_from_issuer(issuer):
    """The tenant GUID in an issuer such as ``https://login.microsoftonline.com/<GUID>/v2.0``."""
    if not isinstance(issuer, str):
        return None
    parts = issuer.split("/")
    return guid(parts[3]) if len(parts) > 3 else None


def asked_tenant_id(settings):
    """The directory GUID of the tenant the task names, or None when unknown.

    ``tenant_id`` itself when it is a GUID; for a domain, the issuer of the
    authority's cached OpenID configuration (what Entra ID resolved it to).
    """
    return guid(settings.tenant_id) or _issuer_tenant(settings)


def resolved_tenant_id(settings, claims):
    """The directory GUID that Entra ID resolved for this task, or None when unknown.

    The issuer of the authority's OpenID configuration for credentials that
    use the authority (a domain name resolves to its GUID there), else the
    token's ``tid`` claim (given access_token, managed identity).
    """
    return _issuer_tenant(settings) or guid((claims or {}).get("tid"))


def _issuer_tenant(settings):
    if settings.auth_method in _AUTHORITY_METHODS and settings.tenant_id and settings.cache_path:
        document = cached_discovery(DiskCache(settings.cache_path), settings.authority)
        return tenant_from_issuer((document or {}).get("issuer"))
    return None
