# -*- coding: utf-8 -*-
# Copyright: intune.autopilot contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# FOR INTERNAL COLLECTION USE ONLY: the interfaces may change in any release.
"""What every core does around its own work: name the tenant it reached, in success and failure."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.intune.autopilot.plugins.module_utils._auth._claims import token_roles
from ansible_collections.intune.autopilot.plugins.module_utils._auth._tenant import resolved_tenant_id


def identity_result(client, settings):
    """``tenant``, ``tenant_id`` and ``graph_permissions`` for a module's result."""
    claims = client.token_claims
    return {
        "tenant": settings.tenant_id,
        "tenant_id": resolved_tenant_id(settings, claims),
        "graph_permissions": token_roles(claims),
    }


def run_work(context, client, settings, work):
    """``work()``'s result labelled with the tenant it reached; a failure is labelled too, as the
    context keeps the labels for the boundary (run_core), which also hands the warnings to the door."""
    context.keep(lambda: identity_result(client, settings))
    result = work()
    result.update(identity_result(client, settings))
    return result
