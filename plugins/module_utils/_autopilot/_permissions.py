# -*- coding: utf-8 -*-
# Copyright: intune.autopilot contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# FOR INTERNAL COLLECTION USE ONLY: the interfaces may change in any release.
"""The Graph permissions Autopilot calls need, and the 403 check mode predicts from the token.

The token's roles are read without verifying it (see _auth._claims): enough
to predict a refusal, never to grant anything; a token whose roles cannot be
read predicts nothing.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.intune.autopilot.plugins.module_utils._auth._claims import token_roles
from ansible_collections.intune.autopilot.plugins.module_utils._autopilot._model import RECENTLY_SYNCED
from ansible_collections.intune.autopilot.plugins.module_utils._base._errors import GraphError, WorkflowError

# Application permissions that allow POST .../windowsAutopilotSettings/sync
# (Microsoft's current sync page accepts both).
SYNC_ROLES = ("DeviceManagementServiceConfig.ReadWrite.All", "DeviceManagementConfiguration.ReadWrite.All")
# Windows Autopilot device identities and imports: reading, and changing (update, assign, delete, import).
DEVICE_READ_ROLES = ("DeviceManagementServiceConfig.Read.All", "DeviceManagementServiceConfig.ReadWrite.All")
DEVICE_WRITE_ROLES = ("DeviceManagementServiceConfig.ReadWrite.All",)


def forbidden_hint(roles):
    """What to grant when Graph refuses a call that needs one of ``roles``."""
    return ("The app lacks permission. Grant it the Microsoft Graph application permission %s and give "
            "admin consent in the tenant" % " or ".join(roles))


DEVICE_READ_HINTS = {403: forbidden_hint(DEVICE_READ_ROLES)}
DEVICE_WRITE_HINTS = {403: forbidden_hint(DEVICE_WRITE_ROLES)}


def predicted_forbidden(client, roles, action):
    """The 403 Graph would answer ``action`` (needing one of ``roles``), judged from the token's
    roles; None when allowed or when the token's roles cannot be read."""
    held = token_roles(client.token_claims)
    if held is None or set(held) & set(roles):
        return None
    return GraphError(
        "Graph would answer 403 Forbidden (predicted in check mode from the access token's roles: %s): "
        "%s needs one of %s. %s."
        % (", ".join(held) or "none", action, ", ".join(roles), forbidden_hint(roles)),
        status=403, code="Forbidden")


def _forbidden_prediction(client, result):
    """The 403 a real run would meet, or None (allowed, nothing to send, or unknown)."""
    if result.get("outcome") == RECENTLY_SYNCED:
        return None  # the real run would not send the sync request either
    return predicted_forbidden(client, SYNC_ROLES, "the sync")


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
