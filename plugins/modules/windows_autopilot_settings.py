#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: intune.autopilot contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: windows_autopilot_settings
short_description: Report the Windows Autopilot sync state of an Intune tenant
version_added: 0.1.0
description:
  - Reads the tenant's Windows Autopilot settings from Microsoft Graph
    (C(GET /beta/deviceManagement/windowsAutopilotSettings)) and reports when Autopilot devices were
    last synced, the sync status, and whether a manual sync is allowed now.
  - Never changes anything, so it runs the same read in check mode and always reports C(changed=false).
  - Makes exactly one Graph request per run (plus the token request).
  - Warns when the last sync status is V(failed), naming the tenant (a warning is printed without its host).
  - Least privilege (Microsoft Graph application permission) C(DeviceManagementServiceConfig.Read.All).
  - RV(manual_sync_allowed) and RV(manual_sync_allowed_at) are judged on Graph's clock, from the
    C(Date) header of its answer, so a controller clock that is off changes nothing.
author:
  - intune.autopilot contributors (@intune-autopilot)
extends_documentation_fragment:
  - intune.autopilot.graph
attributes:
  check_mode:
    support: full
    description: Runs the same read-only request; nothing is ever changed.
  diff_mode:
    support: none
    description: Does not return a diff.
options: {}
"""

EXAMPLES = r"""
- name: Report the Autopilot sync state (credentials from AZURE_* environment variables)
  intune.autopilot.windows_autopilot_settings:
  register: autopilot

- name: Show when Autopilot devices were last synced
  ansible.builtin.debug:
    msg: "Last sync {{ autopilot.autopilot_settings.last_sync_date_time }} ({{ autopilot.sync_status }})"

- name: Assert that the last sync did not fail
  ansible.builtin.assert:
    that:
      - autopilot.sync_status != 'failed'
    fail_msg: "The last Autopilot sync failed"

- name: Set the connection options once for every module of the collection
  module_defaults:
    group/intune.autopilot.graph:
      tenant_id: "{{ intune_tenant_id }}"
      client_id: "{{ intune_client_id }}"
      client_secret: "{{ intune_client_secret }}"
  block:
    - name: Read the Autopilot settings
      intune.autopilot.windows_autopilot_settings:
      register: autopilot

- name: Authenticate with a certificate in a national cloud
  intune.autopilot.windows_autopilot_settings:
    tenant_id: contoso.onmicrosoft.us
    client_id: 00000000-0000-0000-0000-000000000000
    client_certificate_path: /etc/pki/intune/app.pem
    cloud: usgov

# In an AWX / Automation Platform job template with the built-in "Microsoft Azure
# Resource Manager" credential attached, AZURE_TENANT, AZURE_CLIENT_ID and
# AZURE_SECRET are in the environment: no options are needed.
- name: Read the settings with the job's Azure credential
  intune.autopilot.windows_autopilot_settings:
  register: autopilot

# Ad hoc, with the credentials in the environment, never in -a: when an ad hoc
# command fails, ansible-core 2.19 prints its arguments, secrets included.
#   export AZURE_TENANT_ID=contoso.onmicrosoft.com
#   export AZURE_CLIENT_ID=11111111-2222-3333-4444-555555555555
#   read -rs AZURE_CLIENT_SECRET && export AZURE_CLIENT_SECRET
#   ansible localhost -m intune.autopilot.windows_autopilot_settings
"""

RETURN = r"""
autopilot_settings:
  description: The tenant's Windows Autopilot settings, keys in snake_case.
  returned: success
  type: dict
  contains:
    id:
      description: The settings object's ID (a GUID).
      type: str
      sample: 4d7e6f8a-1b2c-4d3e-8f9a-0b1c2d3e4f5a
    last_sync_date_time:
      description: When Autopilot devices were last synced, ISO 8601 UTC; null if never.
      type: str
      sample: "2026-11-23T09:15:02.123456Z"
    last_manual_sync_trigger_date_time:
      description: When a sync was last triggered manually, ISO 8601 UTC; null if never.
      type: str
      sample: "2026-11-23T09:14:40Z"
    sync_status:
      description:
        - The sync status. C(unknown) means Graph has no status yet (typically no sync so far).
        - C(unknownFutureValue), or any value this collection does not know, is Graph's marker for a
          newer status; it counts as neither running nor finished and the module warns.
      type: str
      sample: completed
      choices: [unknown, inProgress, completed, failed, unknownFutureValue]
sync_status:
  description: The sync status, the same as RV(autopilot_settings.sync_status).
  returned: success
  type: str
  sample: completed
sync_in_progress:
  description: Whether a sync is running now, that is RV(sync_status) is C(inProgress).
  returned: success
  type: bool
  sample: false
manual_sync_allowed:
  description:
    - Whether a manual sync would be accepted now, that is no sync is running and the last manual
      trigger is at least 10 minutes old, on Graph's clock (the C(Date) header of its answer), not
      this host's.
  returned: success
  type: bool
  sample: true
manual_sync_allowed_at:
  description:
    - When the 10-minute window after the last manual trigger ends, ISO 8601 UTC, that is
      RV(autopilot_settings.last_manual_sync_trigger_date_time) plus 10 minutes, in whole seconds rounded
      up, so that it is never early. M(intune.autopilot.autopilot_sync) reports the same time when Graph
      refuses a sync as throttled.
    - Null when that window is already over (on Graph's clock).
  returned: success
  type: str
  sample: "2026-11-23T09:24:40Z"
tenant:
  description:
    - The tenant that was asked for, as given in O(tenant_id) or the environment (a GUID or a domain
      name); null when none was given (O(auth_method=access_token), O(auth_method=managed_identity)).
  returned: always, failed results included, once the connection options were valid
  type: str
  sample: contoso.onmicrosoft.com
tenant_id:
  description:
    - The directory (tenant) GUID that Entra ID resolved, which names the tenant really reached, taken from the
      issuer of the authority's OpenID configuration (cached when the token was requested), else the
      C(tid) claim of the access token. Null when neither is readable.
    - Compare it with the GUID you expect before trusting a result that came from a domain name or
      from the environment.
  returned: always, failed results included, once the connection options were valid
  type: str
  sample: 3f2504e0-4f89-41d3-9a0c-0305e82c3301
graph_permissions:
  description:
    - The Microsoft Graph application permissions (C(roles) claim) of the access token, read without
      verifying the token; V([]) for an app-only token without any.
    - Null when unknown (the token is not a readable JWT, or it is a delegated token). Best effort,
      Graph decides.
  returned: always, failed results included, once the connection options were valid
  type: list
  elements: str
  sample: [DeviceManagementServiceConfig.ReadWrite.All]
warnings:
  description:
    - Shown by Ansible, among them a warning when the last sync status read is V(failed), so a
      failed Autopilot sync never passes unnoticed.
  returned: when there are any
  type: list
  elements: str
graph_clock_offset:
  description:
    - Graph's clock minus this host's, in whole seconds, from the C(Date) header of Graph's answers,
      which has whole seconds; accurate to about a second (a host in step with Graph shows V(0)).
      Every time rule uses Graph's clock, so an offset changes no outcome; a large one is worth
      fixing for certificate and token lifetimes.
    - Null when no Graph answer carried a C(Date).
  returned: success
  type: int
  sample: 0
"""

from ansible_collections.intune.autopilot.plugins.module_utils._autopilot import _settings_core
from ansible_collections.intune.autopilot.plugins.module_utils._base._module import run_module


def main():
    run_module(_settings_core)


if __name__ == "__main__":
    main()
