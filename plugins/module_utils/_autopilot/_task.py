# -*- coding: utf-8 -*-
# Copyright: intune.autopilot contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# FOR INTERNAL COLLECTION USE ONLY: the interfaces may change in any release.
"""What every core does around its own work: name the tenant it reached, hand its warnings on."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.intune.autopilot.plugins.module_utils._auth._claims import token_roles
from ansible_collections.intune.autopilot.plugins.module_utils._auth._tenant import resolved_tenant_id
from ansible_collections.intune.autopilot.plugins.module_utils._base._errors import AutopilotError, WorkflowError


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


def run_work(context, client, settings, work):
    """``work()``'s result labelled with the tenant it reached, its warnings (and a failure's) handed
    to the door, which shows them: a module's "warnings" result key is deprecated in ansible-core 2.19."""
    try:
        result = labelled(client, settings, work)
    except WorkflowError as exc:
        _hand_warnings(context, exc.result)
        raise
    _hand_warnings(context, result)
    return result


def _hand_warnings(context, result):
    for warning in result.pop("warnings", None) or ():
        context.warn(warning)
