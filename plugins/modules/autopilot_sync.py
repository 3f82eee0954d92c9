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
  - All waiting of one task (O(wait), the V(wait) choices, every retry and honoured
    C(Retry-After), and every request, token requests included) is bounded by O(wait_timeout);
    the task ends within O(wait_timeout).
  - The sync request is never blindly repeated. When its answer is lost (a 5xx, a connection reset or
    read timeout after sending, an answer that is not Graph's JSON) the task reads the settings. A
    C(lastManualSyncTriggerDateTime) at or after the moment the first request was sent, on Graph's
    clock, means this task started the sync (RV(outcome=triggered)); otherwise the request is sent
    again after backoff, at most O(max_retries) times. One task never starts two syncs.
  - Graph stamps the trigger in its back end, so the request sent again may meet the C(409) or C(429)
    of the sync the lost one started before the settings show it. Such a refusal is never taken for
    another sync; the task reads on, within O(wait_timeout), until the settings show its trigger, or an
    earlier trigger whose 10-minute window explains the refusal; if they never tell, it fails saying
    that a sync may have started, with C(changed=true), and does not send the request again.
  - Intune answers the C(409) and C(429) itself, without C(Retry-After); the 10-minute window follows
    from C(lastManualSyncTriggerDateTime) on Graph's clock. A failure shows the message Intune put
    inside Graph's error, never its escaped JSON.
  - Every time rule (the 10-minute window, O(skip_if_synced_within), check-mode predictions, the
    throttle wait, whether a sync has finished) runs on Graph's clock, taken from the C(Date) header
    of its latest answer; the controller's clock may be off.
  - Least privilege (Microsoft Graph application permission)
    C(DeviceManagementServiceConfig.ReadWrite.All); C(DeviceManagementConfiguration.ReadWrite.All) is
    also accepted.
  - Warns when the last sync status read is V(failed).
  - A 401, or a 403 that may come from a token issued before a permission grant, is sent once more
    with a freshly requested token (never for a given O(access_token)).
author:
  - intune.autopilot contributors (@intune-autopilot)
extends_documentation_fragment:
  - intune.autopilot.graph
attributes:
  check_mode:
    support: full
    description:
      - Reads the settings and predicts the outcome; never sends the sync request.
      - Best effort about permissions. When the access token is a readable app-only JWT whose
        C(roles) hold neither C(DeviceManagementServiceConfig.ReadWrite.All) nor
        C(DeviceManagementConfiguration.ReadWrite.All), the task fails with the 403 the real run
        would meet. A token that cannot be read is not judged.
  diff_mode:
    support: none
    description: Does not return a diff.
options:
  if_in_progress:
    description:
      - What to do when a sync is already running (Graph answers 409).
      - V(skip) reports RV(outcome=in_progress) without a change.
      - V(wait) polls every O(poll_interval) seconds until the running sync ends, then reports it
        without a change; fails if it ends as V(failed).
      - V(fail) fails the task.
      - Only the status C(inProgress) counts as running. C(unknown), C(unknownFutureValue) and any
        status this collection does not know count as not running; Graph's 409 decides.
    type: str
    choices: [skip, wait, fail]
    default: skip
  if_throttled:
    description:
      - What to do when the last manual sync was less than 10 minutes ago (Graph answers 429).
      - V(skip) reports RV(outcome=throttled) and RV(manual_sync_allowed_at) without a change.
      - V(wait) sleeps until the 10-minute window ends on Graph's clock (two seconds more at most) and
        triggers the sync then. When the window ends after O(wait_timeout) the task fails at once,
        without waiting, saying when the window ends and which O(wait_timeout) would reach it.
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
      - After triggering, poll until the sync has been seen through, then return. The task fails if
        the sync ends as V(failed).
      - Seen through means C(lastSyncDateTime) at or after the trigger, or a status change seen after
        it (C(inProgress) seen, or a final status other than the one read before the request). A
        C(completed) that Graph still shows from the previous sync never counts. C(unknown) and
        C(unknownFutureValue) never count as finished.
      - Reads the settings once before the request, to know the status before it.
    type: bool
    default: false
  wait_timeout:
    description:
      - The most seconds one task spends waiting, in all its waits, retries and honoured
        C(Retry-After) together. Past it the task fails and names the last sync status seen, or the
        last failed read.
      - Every HTTP request of the task (token requests and the new token after a 401 included)
        gets at most the time left of it as its O(timeout), and none is sent once it has run out.
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

# Ad hoc, with the credentials in the environment (AZURE_TENANT_ID, AZURE_CLIENT_ID,
# AZURE_CLIENT_SECRET), never in -a: when an ad hoc command fails, ansible-core
# 2.19 prints its arguments, secrets included.
#   ansible localhost -m intune.autopilot.autopilot_sync -a skip_if_synced_within=3600
"""

RETURN = r"""
outcome:
  description:
    - V(triggered) when a sync was started (or would be, in check mode), V(in_progress) when one was
      already running, V(throttled) when the last manual sync was less than 10 minutes ago,
      V(recently_synced) when O(skip_if_synced_within) skipped the request.
    - Also returned by a failed task once it is known. After this task started a sync, every later
      failure still returns V(triggered), with C(changed=true).
    - Missing only from a failure where the answer to the sync request was lost and the settings
      could not tell whether Graph started it (not readable, or not showing it within
      O(wait_timeout)); such a failure returns C(changed=true), as a sync may have started.
  returned: always
  type: str
  sample: triggered
sync_status:
  description:
    - The latest sync status known to the task, from Graph's answer (C(inProgress) after its 409 or
      204) or from the settings.
    - After this task's trigger it stays C(inProgress) until the sync has been seen through (see
      O(wait)), even while Graph still shows the previous C(completed); RV(autopilot_settings)
      shows Graph's raw value.
    - Null means that nothing was read, for example after a 429 that carried C(Retry-After).
      It is never null once the settings were read.
    - C(unknown) is a real Graph status (no status yet), not "not read".
  returned: always
  type: str
  sample: inProgress
graph_clock_offset:
  description:
    - Graph's clock minus this host's, in whole seconds, from the C(Date) header of Graph's answers,
      which has whole seconds; accurate to about a second (a host in step with Graph shows V(0)).
      Every time rule uses Graph's clock, so an offset changes no outcome; a large one is worth
      fixing for certificate and token lifetimes.
    - Null when no Graph answer carried a C(Date).
  returned: always
  type: int
  sample: -2
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
      description:
        - Graph's C(syncStatus) as read. C(unknownFutureValue) (or a status this collection does not
          know) is treated as neither running nor finished, with a warning.
      type: str
      sample: completed
manual_sync_allowed_at:
  description:
    - When the next manual sync is allowed (Graph's clock), ISO 8601 UTC; null if unknown.
    - The last manual trigger that Graph shows plus 10 minutes, in whole seconds rounded up, the same
      time as M(intune.autopilot.windows_autopilot_settings) reports; the C(Retry-After) of Graph's
      answer only when the settings show no such window yet.
  returned: when RV(outcome=throttled)
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
"""

from ansible_collections.intune.autopilot.plugins.module_utils._autopilot import _sync_core
from ansible_collections.intune.autopilot.plugins.module_utils._base._module import run_module


def main():
    run_module(_sync_core)


if __name__ == "__main__":
    main()
