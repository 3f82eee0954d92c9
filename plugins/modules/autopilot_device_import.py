#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: intune.autopilot contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: autopilot_device_import
short_description: Import Windows Autopilot hardware hashes into an Intune tenant and sync them
version_added: 0.1.0
description:
  - Registers devices with Windows Autopilot from their hardware hashes, given in O(devices) or in the
    CSV file that C(Get-WindowsAutopilotInfo) writes (O(csv_path)), then runs the Autopilot sync that
    makes them Autopilot devices, and with O(wait) waits until Graph lists them.
  - Serial numbers that Graph already lists as Windows Autopilot devices of the tenant are not sent
    again (RV(devices[].outcome=already_registered)); a second run over the same devices sends no import
    and reports C(changed=false). Up to ten serials are looked up one filtered read each; more are
    found in one listing of every device, which costs its pages whatever the number of rows.
  - The rest is imported in batches of O(batch_size) devices, one
    C(POST /beta/deviceManagement/importedWindowsAutopilotDeviceIdentities/import) per batch. Each batch
    carries its own C(importId), and its import records are read back with one paged read
    (C($filter=importId eq '...')) every O(poll_interval) seconds, never one request per device,
    until Intune has processed each record. The import records this task created are then deleted.
  - Intune's error 806 (C(ZtdDeviceAlreadyAssigned), already registered in this tenant) is reported as
    V(already_registered); 808 (C(ZtdDeviceAssignedToOtherTenant)) and every other error as V(failed)
    with Intune's code and name. The task fails once every row has been processed when any row failed,
    and the failed result still holds every row.
  - An import whose answer was lost (a 5xx, a connection reset or read timeout after sending, an answer
    that is not Graph's JSON) is never sent blindly again. The task reads the batch's records by its
    C(importId); rows Graph created a record for are seen through, and only the others are sent
    again, after backoff, at most O(max_retries) times.
  - Intune throttles bulk writes with C(429) and no C(Retry-After). A throttled import or deletion is
    sent again after a growing pause (about 1, 2, 4 ... at most 60 seconds) until O(wait_timeout) runs
    out; O(max_retries) does not bound this, O(wait_timeout) does.
  - With O(sync=true) the task then runs the same sync as M(intune.autopilot.autopilot_sync), when this
    task imported a device or Intune answered 806 for a device that Graph does not list yet. With
    O(wait=false) the sync is requested once (a running sync or the 10-minute window is reported in
    RV(sync), not waited for). With O(wait=true) a running sync is waited for, the 10-minute window is
    waited out, the sync is seen through, and the task polls until Graph lists every imported serial.
  - "All waiting of one task (the import records, throttling, the sync, the devices) is bounded by
    O(wait_timeout): one deadline, on Graph's clock for every time rule."
  - Hardware hashes (and product keys) are never shown. They are masked in every result and message
    of the task, the invocation included, and Graph's reads of the import records carry none.
  - Least privilege (Microsoft Graph application permission) C(DeviceManagementServiceConfig.ReadWrite.All),
    to read devices, import, delete the import records and sync.
  - "The CSV file: a header line, then one line per device, as C(Get-WindowsAutopilotInfo -OutputFile)
    writes it: C(Device Serial Number), C(Windows Product ID), C(Hardware Hash), and optionally
    C(Group Tag) and C(Assigned User) (the columns Intune's own CSV upload takes). Column names are
    matched ignoring case and surrounding blanks, in any order; other columns and blank lines are
    ignored; C(Device Serial Number) and C(Hardware Hash) are required. The file is UTF-8 (with or
    without a byte order mark) or UTF-16 with a byte order mark (what Windows PowerShell 5.1's
    C(Out-File) writes)."
  - "Bad input fails before any request, naming the row (C(devices[3]), or C(line 5 of <file>)) and its
    serial number: a missing serial number or hash, a hash that is not base64, two rows with the same
    serial number (ignoring case), a CSV that cannot be read, or one without the required columns."
author:
  - intune.autopilot contributors (@intune-autopilot)
extends_documentation_fragment:
  - intune.autopilot.graph
attributes:
  check_mode:
    support: full
    description:
      - Reads which serial numbers are registered and predicts each row's outcome (V(already_registered)
        for the devices Graph lists, V(imported) for the others; Intune's 806 and 808 cannot be
        predicted) and the sync's outcome; never imports, deletes or syncs.
      - Best effort about permissions. When the access token is a readable app-only JWT without
        C(DeviceManagementServiceConfig.ReadWrite.All) and a device would be imported, the task fails
        with the 403 the real run would meet.
  diff_mode:
    support: none
    description: Does not return a diff.
options:
  devices:
    description:
      - The devices to import, in order. Exactly one of O(devices) and O(csv_path) is required.
      - An empty list imports nothing and sends no request.
    type: list
    elements: dict
    suboptions:
      serial_number:
        description: The device's serial number (required). Serial numbers compare ignoring case.
        type: str
      hardware_hash:
        description:
          - The device's hardware hash (required), base64 as C(Get-WindowsAutopilotInfo) reports it.
          - Never shown in any output.
        type: str
      product_key:
        description: The Windows product key (Graph's C(productKey)); never shown in any output.
        type: str
      group_tag:
        description: The device's group tag; when empty, O(group_tag) is used.
        type: str
      assigned_user:
        description: The user principal name to assign (Graph's C(assignedUserPrincipalName)).
        type: str
  csv_path:
    description:
      - A CSV file of devices, as C(Get-WindowsAutopilotInfo -OutputFile) writes it (see the description
        for the format), on the host that runs the task. Exactly one of O(devices) and O(csv_path) is
        required.
      - A file with a header line and no device imports nothing.
    type: path
  group_tag:
    description: The group tag of every row that does not have its own.
    type: str
  batch_size:
    description:
      - Devices per import request, from 1 to 500 (the most Intune's own CSV upload takes in one file;
        the Graph reference names no limit).
    type: int
    default: 100
  sync:
    description:
      - After the import, run the Windows Autopilot sync (as M(intune.autopilot.autopilot_sync) does),
        when a device was imported or registered but not yet listed. An imported device becomes a Windows
        Autopilot device only after a sync that started after its import completed.
    type: bool
    default: true
  wait:
    description:
      - Wait until Graph lists every imported serial number as a Windows Autopilot device (one read of the
        devices per O(poll_interval)), after waiting for a running sync, the 10-minute window and the
        sync itself when O(sync=true). The task fails when they are not listed within O(wait_timeout).
      - With O(sync=false) this waits for a sync started elsewhere.
    type: bool
    default: false
  wait_timeout:
    description:
      - The most seconds one task spends waiting, in all its waits, retries and pauses together (the
        import records, throttling, the sync and the devices).
      - Rows whose import Intune has not processed in time fail with RV(devices[].error_name=ImportNotFinished);
        their import records are kept.
    type: int
    default: 1800
  poll_interval:
    description: Seconds between two reads while waiting (import records, sync status, devices).
    type: int
    default: 10
notes:
  - Graph shows an imported device as a Windows Autopilot device only after a sync; until then a
    second run cannot see it and sends its import again, which Intune answers with 806, reported
    as V(already_registered). Use O(wait=true) for a run that ends with every device listed.
seealso:
  - module: intune.autopilot.autopilot_sync
  - module: intune.autopilot.autopilot_device_info
  - name: Get-WindowsAutopilotInfo
    description: The script that collects hardware hashes on a device and writes the CSV.
    link: https://www.powershellgallery.com/packages/Get-WindowsAutopilotInfo
"""

EXAMPLES = r"""
- name: Import the hashes collected by Get-WindowsAutopilotInfo, and sync
  intune.autopilot.autopilot_device_import:
    csv_path: /srv/autopilot/new-laptops.csv
    group_tag: Sales
  register: imported

- name: Show what happened to each device
  ansible.builtin.debug:
    msg: "{{ imported.devices | map(attribute='outcome') | list }}"

- name: Import two devices and wait until they are Autopilot devices
  intune.autopilot.autopilot_device_import:
    devices:
      - serial_number: PF3XK2LM
        hardware_hash: "{{ lookup('ansible.builtin.file', 'hashes/PF3XK2LM.txt') }}"
        group_tag: Kiosk
      - serial_number: PF3XK2LN
        hardware_hash: "{{ lookup('ansible.builtin.file', 'hashes/PF3XK2LN.txt') }}"
        assigned_user: anna@contoso.com
    wait: true
    wait_timeout: 3600
    poll_interval: 30

- name: Import without syncing (a scheduled autopilot_sync job syncs later)
  intune.autopilot.autopilot_device_import:
    csv_path: /srv/autopilot/batch-42.csv
    sync: false

# Across many tenants: one inventory host per tenant, the CSV in a host variable.
- name: Import each customer's hashes
  module_defaults:
    group/intune.autopilot.graph:
      tenant_id: "{{ intune_tenant_id }}"
      client_id: "{{ intune_client_id }}"
      client_secret: "{{ intune_client_secret }}"
  intune.autopilot.autopilot_device_import:
    csv_path: "{{ intune_autopilot_csv }}"
"""

RETURN = r"""
devices:
  description:
    - One item per input row, in input order (a failed task returns them too).
  returned: always
  type: list
  elements: dict
  contains:
    serial_number:
      description: The row's serial number.
      type: str
      sample: PF3XK2LM
    outcome:
      description:
        - V(imported) when this task imported it (predicted in check mode), V(already_registered) when
          Graph already listed it as a device of the tenant or Intune answered 806, V(failed) otherwise.
      type: str
      sample: imported
    device_id:
      description:
        - The Windows Autopilot device's id. For a device Graph lists, its id; for a device just imported,
          Intune's C(deviceRegistrationId), the id the device gets (listed after the sync; always the
          listed id after O(wait=true)). Null when not known.
      type: str
      sample: 7c2b4f0e-9a51-4d1e-b0b4-5b6c1f0a2e3d
    error_code:
      description:
        - Intune's C(deviceErrorCode) of the import (806, 808, ...), or the HTTP status when the import
          request itself failed. Null when there was no error.
      type: int
      sample: 808
    error_name:
      description:
        - Intune's C(deviceErrorName) (C(ZtdDeviceAssignedToOtherTenant) ...), Graph's error code when the
          import request failed, or this collection's name for what went wrong (C(ImportNotFinished),
          C(NoImportRecord), C(NotSettled)). Null when there was no error.
      type: str
      sample: ZtdDeviceAssignedToOtherTenant
    error_message:
      description: What went wrong and what to do, for a V(failed) row; null otherwise.
      type: str
counts:
  description: How many rows ended with each outcome.
  returned: always
  type: dict
  contains:
    imported:
      description: Rows imported by this task.
      type: int
    already_registered:
      description: Rows already registered in the tenant.
      type: int
    failed:
      description: Rows that failed.
      type: int
  sample: {imported: 48, already_registered: 2, failed: 0}
sync:
  description:
    - The result of the sync, as M(intune.autopilot.autopilot_sync) returns it (C(outcome),
      C(changed), C(sync_status), C(autopilot_settings), C(manual_sync_allowed_at)); predicted in check
      mode.
    - Null when no sync was needed (nothing imported) or O(sync=false).
  returned: always
  type: dict
  sample: {outcome: triggered, changed: true, sync_status: inProgress}
graph_clock_offset:
  description:
    - Graph's clock minus this host's, in whole seconds, from the C(Date) header of Graph's answers,
      which has whole seconds; accurate to about a second (a host in step with Graph shows V(0)).
    - Null when no Graph answer carried a C(Date).
  returned: always
  type: int
  sample: 0
tenant:
  description:
    - The tenant that was asked for, as given in O(tenant_id) or the environment (a GUID or a domain
      name); null when none was given.
  returned: always, failed results included, once the connection options were valid
  type: str
  sample: contoso.onmicrosoft.com
tenant_id:
  description:
    - The directory (tenant) GUID that Entra ID resolved, which names the tenant really reached. Null when
      not readable.
  returned: always, failed results included, once the connection options were valid
  type: str
  sample: 3f2504e0-4f89-41d3-9a0c-0305e82c3301
graph_permissions:
  description:
    - The Microsoft Graph application permissions (C(roles) claim) of the access token, read without
      verifying it; null when unknown.
  returned: always, failed results included, once the connection options were valid
  type: list
  elements: str
  sample: [DeviceManagementServiceConfig.ReadWrite.All]
"""

from ansible_collections.intune.autopilot.plugins.module_utils._autopilot import _device_import_core
from ansible_collections.intune.autopilot.plugins.module_utils._base._module import run_module


def main():
    run_module(_device_import_core)


if __name__ == "__main__":
    main()
