#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: intune.autopilot contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: autopilot_device
short_description: Manage one registered Windows Autopilot device of an Intune tenant
version_added: 0.2.0
description:
  - Sets the group tag, display name and assigned user of one registered Windows Autopilot device,
    or deletes it, through Microsoft Graph (C(/beta/deviceManagement/windowsAutopilotDeviceIdentities)).
  - The device is named by O(serial_number) or O(id). It must be registered already; a device that
    is not fails the task with a message saying to import its hardware hash with
    C(intune.autopilot.autopilot_device_import) (a sync then makes it an Autopilot device).
  - With O(state=present) only the options given and different from what Graph shows are sent
    (C(POST .../updateDeviceProperties), and C(POST .../unassignUserFromDevice) for
    O(user_principal_name="")), so a second run reports C(changed=false) and sends no change.
  - With O(state=absent) the device is deleted (C(DELETE .../{id})); a device already gone reports
    C(changed=false). Deleting the Autopilot registration does not touch the Intune managed device
    or the Entra ID device.
  - Graph shows updates and deletions late (often minutes). Without O(wait), RV(device) is what
    Graph showed when read again right after the change, which may not show the change yet. With
    O(wait=true) the task reads every O(poll_interval) seconds until Graph shows it.
  - A change whose answer is lost (a 5xx, a reset or read timeout after sending, an answer cut off)
    is decided by reading the device, never by sending it again blindly. When Graph shows the
    change, or answers 404 for a deletion, it is done; otherwise the same change is sent again after
    backoff (setting the same values twice is harmless; a second DELETE answered 404 is the first
    one taking effect), at most O(max_retries) times.
  - Least privilege (Microsoft Graph application permission)
    C(DeviceManagementServiceConfig.ReadWrite.All). C(DeviceManagementServiceConfig.Read.All) is
    enough in check mode, which only reads, but check mode then fails with the 403 a real run would meet.
author:
  - intune.autopilot contributors (@intune-autopilot)
extends_documentation_fragment:
  - intune.autopilot.graph
attributes:
  check_mode:
    support: full
    description:
      - Reads the device and reports what would change; never sends a change.
      - Best effort about permissions. When the access token is a readable app-only JWT whose
        C(roles) lack C(DeviceManagementServiceConfig.ReadWrite.All), and a change would be sent,
        the task fails with the 403 the real run would meet.
  diff_mode:
    support: full
    description:
      - Shows the managed properties (C(group_tag), C(display_name), C(user_principal_name))
        before and after; after a deletion, after is empty.
options:
  serial_number:
    description:
      - The device's serial number, compared exactly, ignoring case and surrounding blanks.
      - When several registered devices have this serial the task fails and lists their IDs; name
        the device by O(id) then.
      - Exactly one of O(serial_number) and O(id) is required.
    type: str
  id:
    description:
      - The device identity's ID (a GUID), as RV(intune.autopilot.autopilot_device_info#module:devices[].id)
        returns it.
    type: str
  state:
    description:
      - V(present) sets the properties given; V(absent) deletes the device's Autopilot registration.
    type: str
    choices: [present, absent]
    default: present
  group_tag:
    description:
      - The group tag to set (Intune's C(OrderID) in dynamic group rules); an empty string removes it.
      - Not set means leave it as it is.
    type: str
  display_name:
    description:
      - The name the device gets during deployment; an empty string removes it.
      - Not set means leave it as it is.
    type: str
  user_principal_name:
    description:
      - The user to assign to the device (user@domain), for the user-driven deployment's sign-in
        page; an empty string unassigns the user.
      - Not set means leave it as it is.
    type: str
  wait:
    description:
      - After the change, poll the device until Graph shows it (the properties set, or the device
        gone), then return.
    type: bool
    default: false
  wait_timeout:
    description:
      - The most seconds one task spends waiting, in its wait and every retry together. Past it the
        task fails, with C(changed=true) and the device as last read, since Graph accepted the change.
    type: int
    default: 300
  poll_interval:
    description:
      - Seconds between two reads of the device while waiting.
    type: int
    default: 10
"""

EXAMPLES = r"""
- name: Tag a device and name it (credentials from AZURE_* environment variables)
  intune.autopilot.autopilot_device:
    serial_number: PF3X9K2L
    group_tag: Sales
    display_name: SALES-PF3X9K2L

- name: Assign the user and wait until Graph shows it
  intune.autopilot.autopilot_device:
    serial_number: PF3X9K2L
    user_principal_name: ann@contoso.com
    wait: true
  register: laptop

- name: Unassign the user
  intune.autopilot.autopilot_device:
    serial_number: PF3X9K2L
    user_principal_name: ""

- name: Preview a change with --check --diff
  intune.autopilot.autopilot_device:
    id: 6c4b3a8e-0d1f-4a2b-9c3d-4e5f6a7b8c9d
    group_tag: HR
  check_mode: true
  diff: true

- name: Retire a device from Autopilot
  intune.autopilot.autopilot_device:
    serial_number: PF3X9K2L
    state: absent
    wait: true
"""

RETURN = r"""
device:
  description:
    - The device as Graph showed it when last read, with the keys of each item of
      RV(intune.autopilot.autopilot_device_info#module:devices).
    - Without O(wait), Graph may not show the change yet; in check mode it is the device as read.
  returned: with O(state=present), and with a failed O(wait)
  type: dict
  sample:
    id: 6c4b3a8e-0d1f-4a2b-9c3d-4e5f6a7b8c9d
    serial_number: PF3X9K2L
    group_tag: Sales
    display_name: SALES-PF3X9K2L
    manufacturer: LENOVO
    model: 21HD
    enrollment_state: notContacted
    deployment_profile_assignment_status: assignedInSync
    user_principal_name: ann@contoso.com
    last_contacted_date_time: null
    azure_ad_device_id: 1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d
    managed_device_id: null
diff:
  description:
    - The managed properties before and after the change (also without C(--diff)); equal when
      nothing changed.
  returned: success
  type: dict
  sample:
    before: {group_tag: "", display_name: "", user_principal_name: ""}
    after: {group_tag: Sales, display_name: "", user_principal_name: ""}
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
  sample: [DeviceManagementServiceConfig.ReadWrite.All]
"""

from ansible_collections.intune.autopilot.plugins.module_utils._autopilot import _device_core
from ansible_collections.intune.autopilot.plugins.module_utils._base._module import run_module


def main():
    run_module(_device_core)


if __name__ == "__main__":
    main()
