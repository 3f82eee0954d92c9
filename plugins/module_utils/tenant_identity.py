# -*- coding: utf-8 -*-
# Copyright: intune.autopilot contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which tenant a task really reached, and what its token may do.

Everything comes from what the task already holds: the authority's OpenID
configuration (cached on disk by msal_http when the token was requested) and
the access token's claims (see token_claims). That is enough to label a
result and to predict a 403 in check mode. An unreadable value is reported as
unknown (None), never as an error.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.intune.autopilot.plugins.module_utils.autopilot import RECENTLY_SYNCED
from ansible_collections.intune.autopilot.plugins.module_utils.disk_cache import DiskCache
from ansible_collections.intune.autopilot.plugins.module_utils.errors import AutopilotError, GraphError, WorkflowError
from ansible_collections.intune.autopilot.plugins.module_utils.graph_client import _STATUS_HINTS
from ansible_collections.intune.autopilot.plugins.module_utils.msal_http import cached_discovery
from ansible_collections.intune.autopilot.plugins.module_utils.token_claims import token_roles

# Application permissions that allow POST .../windowsAutopilotSettings/sync
# (Microsoft's current sync page accepts both).
SYNC_ROLES = ("DeviceManagementServiceConfig.ReadWrite.All", "DeviceManagementConfiguration.ReadWrite.All")

# Credentials that go through the tenant's Entra ID authority (and its OpenID configuration).
_AUTHORITY_METHODS = ("client_secret", "client_certificate", "workload_identity")

_GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")


def _guid(value):
    return value.lower() if isinstance(value, str) and _GUID.match(value) else None


def tenant_from_issuer(issuer):
    """The tenant GUID in an issuer such as ``https://login.microsoftonline.com/<GUID>/v2.0``."""
    if not isinstance(issuer, str):
        return None
    parts = issuer.split("/")
    return _guid(parts[3]) if len(parts) > 3 else None


def resolved_tenant_id(settings, claims):
    """The directory GUID that Entra ID resolved for this task, or None when unknown.

    The issuer of the authority's OpenID configuration for credentials that
    use the authority (a domain name resolves to its GUID there), else the
    token's ``tid`` claim (given access_token, managed identity).
    """
    if settings.auth_method in _AUTHORITY_METHODS and settings.tenant_id and settings.cache_path:
        document = cached_discovery(DiskCache(settings.cache_path), settings.authority)
        tenant = tenant_from_issuer((document or {}).get("issuer"))
        if tenant:
            return tenant
    return _guid((claims or {}).get("tid"))


def identity_result(client, settings):
    """``tenant``, ``tenant_id`` and ``graph_permissions`` for a module's result."""
    claims = client.token_claims
    return {
        "tenant": settings.tenant_id,
        "tenant_id": resolved_tenant_id(settings, claims),
        "graph_permissions": token_roles(claims),
    }


def labelled(client, settings, work):
    """``work()``'s result, or its error, labelled with the tenant it reached: every result names it."""
    try:
        result = work()
    except AutopilotError as exc:
        exc.labels.update(identity_result(client, settings))
        raise
    result.update(identity_result(client, settings))
    return result


def _forbidden_prediction(client, result):
    """The 403 a real run would meet, or None (allowed, nothing to send, or unknown)."""
    if result.get("outcome") == RECENTLY_SYNCED:
        return None  # the real run would not send the sync request either
    roles = token_roles(client.token_claims)
    if roles is None or set(roles) & set(SYNC_ROLES):
        return None
    return GraphError(
        "Graph would answer 403 Forbidden (predicted in check mode from the access token's roles: %s): "
        "the sync needs one of %s. %s."
        % (", ".join(roles) or "none", ", ".join(SYNC_ROLES), _STATUS_HINTS[403]),
        status=403, code="Forbidden")


def honest_check_mode(client, run):
    """Run a check-mode sync workflow (``run``), failing like the real run when the token cannot sync.

    The real run's POST would be refused before any 409, 429 or wait, so a
    predicted 403 wins over the workflow's own predicted failures too.
    """
    try:
        result = run()
    except WorkflowError as exc:
        forbidden = _forbidden_prediction(client, exc.result)
        if forbidden is not None:
            raise forbidden
        raise
    forbidden = _forbidden_prediction(client, result)
    if forbidden is not None:
        raise forbidden
    return result
