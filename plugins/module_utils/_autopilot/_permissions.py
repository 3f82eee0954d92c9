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
from ansible_collections.intune.autopilot.plugins.module_utils._client._graph import FORBIDDEN_HINT

# Application permissions that allow POST .../windowsAutopilotSettings/sync
# (Microsoft's current sync page accepts both).
SYNC_ROLES = ("DeviceManagementServiceConfig.ReadWrite.All", "DeviceManagementConfiguration.ReadWrite.All")


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
        % (", ".join(roles) or "none", ", ".join(SYNC_ROLES), FORBIDDEN_HINT),
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
