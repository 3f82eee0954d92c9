#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: intune.autopilot contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: autopilot_sync
short_description: Trigger the Windows Autopilot device sync of an Intune tenant
version_added: 0.1.0
description:
  - Asks Intune to sync Windows Autopilot devices
    (C(POST /beta/deviceManagement/windowsAutopilotSettings/sync)).
  - Intune answers C(409) while a sync is already running and C(429) when the previous manual sync
    was less than 10 minutes ago. Both are ordinary outcomes, reported in RV(outcome) without a
    change; O(if_in_progress) and O(if_throttled) choose to skip, wait or fail instead.
  - Idempotent for scheduled runs; O(skip_if_synced_within) skips the request altogether when the
    last sync is recent.
  - All waiting of one task (O(wait), and the V(wait) choices) is bounded by O(wait_timeout).
  - The sync request is never blindly repeated. Only a 503, a 504 or a connection error is retried,
    once; if the first request did start a sync, the repeat gets 409 or 429, which are handled.
author:
  - intune.autopilot contributors (@intune-autopilot)
extends_documentation_fragment:
  - intune.autopilot.graph
attributes:
  check_mode:
    support: full
    description: Reads the settings and predicts the outcome; never sends the sync request.
  diff_mode:
    support: none
    description: Does not return a diff.
  action_group:
    support: full
    membership:
      - intune.autopilot.graph
    description: Use C(group/intune.autopilot.graph) in C(module_defaults) to set the connection options.
options:
  if_in_progress:
    description:
      - What to do when a sync is already running (Graph answers 409).
      - V(skip) reports RV(outcome=in_progress) without a change.
      - V(wait) polls every O(poll_interval) seconds until the running sync ends, then reports it
        without a change; fails if it ends as V(failed).
      - V(fail) fails the task.
    type: str
    choices: [skip, wait, fail]
    default: skip
  if_throttled:
    description:
      - What to do when the last manual sync was less than 10 minutes ago (Graph answers 429).
      - V(skip) reports RV(outcome=throttled) and RV(manual_sync_allowed_at) without a change.
      - V(wait) sleeps until the 10-minute window ends (a couple of seconds more at most) and
        triggers the sync then.
      - V(fail) fails the task and says when a sync will be allowed.
    type: str
    choices: [skip, wait, fail]
    default: skip
  skip_if_synced_within:
    description:
      - Read the settings first and skip the sync (RV(outcome=recently_synced)) when the last sync
        ended less than this many seconds ago.
      - V(0) never skips and saves that read.
    type: int
    default: 0
  wait:
    description:
      - After triggering, poll until the sync ends. The task fails if the sync ends as V(failed).
    type: bool
    default: false
  wait_timeout:
    description:
      - The most seconds one task spends waiting, in all its waits together. Past it the task fails
        and names the last sync status seen.
    type: int
    default: 900
  poll_interval:
    description:
      - Seconds between two reads of the settings while waiting.
    type: int
    default: 10
"""

EXAMPLES = r"""
- name: Trigger an Autopilot sync (credentials from AZURE_* environment variables)
  intune.autopilot.autopilot_sync:
  register: sync

- name: Say what happened
  ansible.builtin.debug:
    msg: "{{ sync.outcome }}"  # triggered, in_progress, throttled or recently_synced

# A scheduled AWX job: quiet when nothing needs doing, never fails on 409 or 429.
- name: Sync unless a sync finished in the last hour
  intune.autopilot.autopilot_sync:
    skip_if_synced_within: 3600

- name: Sync and wait until Intune has finished importing the devices
  intune.autopilot.autopilot_sync:
    if_throttled: wait
    if_in_progress: wait
    wait: true
    wait_timeout: 1800
    poll_interval: 30
  register: sync

- name: Fail loudly when a sync cannot be started now
  intune.autopilot.autopilot_sync:
    if_throttled: fail
    if_in_progress: fail

# Across many tenants: one inventory host per tenant, connection local, and the
# credentials in (vaulted) host variables.
- name: Sync every customer tenant
  module_defaults:
    group/intune.autopilot.graph:
      tenant_id: "{{ intune_tenant_id }}"
      client_id: "{{ intune_client_id }}"
      client_secret: "{{ intune_client_secret }}"
  block:
    - name: Trigger the sync
      intune.autopilot.autopilot_sync:
        skip_if_synced_within: 3600
      register: sync
"""

RETURN = r"""
outcome:
  description:
    - V(triggered) when a sync was started (or would be, in check mode), V(in_progress) when one was
      already running, V(throttled) when the last manual sync was less than 10 minutes ago,
      V(recently_synced) when O(skip_if_synced_within) skipped the request.
  returned: always
  type: str
  sample: triggered
sync_status:
  description:
    - The latest sync status known to the task, from Graph's answer or the settings; C(inProgress)
      right after a trigger.
  returned: always
  type: str
  sample: inProgress
autopilot_settings:
  description: The tenant's Windows Autopilot settings as last read, when the task read them.
  returned: when the settings were read
  type: dict
  contains:
    id:
      description: The settings object's ID.
      type: str
    last_sync_date_time:
      description: When Autopilot devices were last synced, ISO 8601 UTC; null if never.
      type: str
      sample: "2026-11-23T09:15:02.123456Z"
    last_manual_sync_trigger_date_time:
      description: When a sync was last triggered manually, ISO 8601 UTC; null if never.
      type: str
      sample: "2026-11-23T09:14:40Z"
    sync_status:
      description: The sync status.
      type: str
      sample: completed
manual_sync_allowed_at:
  description: When the next manual sync is allowed, ISO 8601 UTC; null if unknown.
  returned: when RV(outcome=throttled)
  type: str
  sample: "2026-11-23T09:24:40Z"
"""

from ansible_collections.intune.autopilot.plugins.module_utils import sync_core
from ansible_collections.intune.autopilot.plugins.module_utils.graph_module import run_module


def main():
    run_module(sync_core)


if __name__ == "__main__":
    main()
