#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: intune.autopilot contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: autopilot_device_info
short_description: List the Windows Autopilot devices of an Intune tenant
version_added: 0.2.0
description:
  - Lists Windows Autopilot device identities from Microsoft Graph
    (C(GET /beta/deviceManagement/windowsAutopilotDeviceIdentities)), all of them or those that
    O(serial_number), O(group_tag) or O(id) name.
  - Graph filters where it can (C(contains(serialNumber,'...')) for O(serial_number), else
    C(groupTag eq '...')); the module then keeps the exact matches only, so O(serial_number=PF3X9)
    never returns the device C(PF3X9K2L).
  - Follows every C(@odata.nextLink) until the last page, whatever page size Graph chooses; one request
    per page, one page in memory at a time while reading. A next link to a host other than
    O(graph_endpoint)'s is refused, so the token goes nowhere else.
  - Never changes anything, so it runs the same reads in check mode and always reports C(changed=false).
  - Graph shows a device's changes and deletion a while after they were made, and a newly imported
    device only after a sync; what this module returns is what Graph shows now.
  - Least privilege (Microsoft Graph application permission) C(DeviceManagementServiceConfig.Read.All);
    C(DeviceManagementServiceConfig.ReadWrite.All) is also accepted.
author:
  - intune.autopilot contributors (@intune-autopilot)
extends_documentation_fragment:
  - intune.autopilot.graph
attributes:
  check_mode:
    support: full
    description: Runs the same read-only requests; nothing is ever changed.
  diff_mode:
    support: none
    description: Does not return a diff.
options:
  serial_number:
    description:
      - Only the device with this serial number. Serials compare exactly, ignoring case and
        surrounding blanks (Intune's own rule). A serial may be registered more than once across
        manufacturers; every match is returned.
    type: str
  group_tag:
    description:
      - Only devices with exactly this group tag (case-sensitive). An empty string lists devices without one.
    type: str
  id:
    description:
      - Only the device with this ID (a GUID, the RV(devices[].id) of an earlier run). RV(devices)
        is empty when Graph has no such device.
      - Mutually exclusive with O(serial_number) and O(group_tag).
    type: str
"""

EXAMPLES = r"""
- name: List every Autopilot device of the tenant (credentials from AZURE_* environment variables)
  intune.autopilot.autopilot_device_info:
  register: autopilot

- name: Show how many there are
  ansible.builtin.debug:
    msg: "{{ autopilot.devices | length }} Autopilot devices in {{ autopilot.tenant_id }}"

- name: Look up one device by its serial number
  intune.autopilot.autopilot_device_info:
    serial_number: PF3X9K2L
  register: laptop

- name: Fail when it is not registered
  ansible.builtin.assert:
    that: laptop.devices | length == 1
    fail_msg: "PF3X9K2L is not registered; import its hardware hash with intune.autopilot.autopilot_device_import"

- name: Devices of one group tag whose profile is not assigned yet
  intune.autopilot.autopilot_device_info:
    group_tag: Sales
  register: sales

- name: Name them
  ansible.builtin.debug:
    msg: "{{ sales.devices | rejectattr('deployment_profile_assignment_status', 'match', '^assigned')
             | map(attribute='serial_number') | list }}"
"""

RETURN = r"""
devices:
  description:
    - The devices found, in Graph's order; empty when none match.
    - Text properties are as Graph sends them (an unset group tag or user is usually an empty
      string); properties Graph leaves out are null.
  returned: success
  type: list
  elements: dict
  contains:
    id:
      description: The device identity's ID (GUID), for O(id) here and in M(intune.autopilot.autopilot_device).
      type: str
      sample: 6c4b3a8e-0d1f-4a2b-9c3d-4e5f6a7b8c9d
    serial_number:
      description: The hardware serial number.
      type: str
      sample: PF3X9K2L
    group_tag:
      description: The group tag (Intune's C(OrderID) in dynamic group rules).
      type: str
      sample: Sales
    display_name:
      description: The name the device gets during deployment, when one was set.
      type: str
      sample: SALES-PF3X9K2L
    manufacturer:
      description: The manufacturer, as the hardware hash says.
      type: str
      sample: LENOVO
    model:
      description: The model, as the hardware hash says.
      type: str
      sample: 21HD
    enrollment_state:
      description: Graph's C(enrollmentState).
      type: str
      sample: notContacted
      choices: [unknown, enrolled, pendingReset, failed, notContacted, blocked, unknownFutureValue]
    deployment_profile_assignment_status:
      description: Graph's C(deploymentProfileAssignmentStatus), whether a deployment profile is assigned.
      type: str
      sample: assignedInSync
    user_principal_name:
      description: The user assigned to the device; an empty string when none.
      type: str
      sample: ann@contoso.com
    last_contacted_date_time:
      description: When the device last contacted Intune, ISO 8601 UTC; null if never.
      type: str
      sample: "2026-11-23T09:15:02.123456Z"
    azure_ad_device_id:
      description: The Entra ID device object's ID; null when Graph has none.
      type: str
      sample: 1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d
    managed_device_id:
      description: The Intune managed device's ID; null until the device enrolled (Graph's zero GUID).
      type: str
      sample: null
graph_clock_offset:
  description:
    - Graph's clock minus this host's, in whole seconds, from the C(Date) header of Graph's answers,
      which has whole seconds; accurate to about a second (a host in step with Graph shows V(0)).
    - Null when no Graph answer carried a C(Date).
  returned: success
  type: int
  sample: 0
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
  returned: always, failed results included, once the connection options were valid
  type: str
  sample: 3f2504e0-4f89-41d3-9a0c-0305e82c3301
graph_permissions:
  description:
    - The Microsoft Graph application permissions (C(roles) claim) of the access token, read without
      verifying the token; null when unknown. Best effort, Graph decides.
  returned: always, failed results included, once the connection options were valid
  type: list
  elements: str
  sample: [DeviceManagementServiceConfig.Read.All]
"""

from ansible_collections.intune.autopilot.plugins.module_utils._autopilot import _device_info_core
from ansible_collections.intune.autopilot.plugins.module_utils._base._module import run_module


def main():
    run_module(_device_info_core)


if __name__ == "__main__":
    main()
