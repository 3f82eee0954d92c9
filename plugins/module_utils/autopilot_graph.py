# -*- coding: utf-8 -*-
# Copyright: intune.autopilot contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Autopilot calls on Graph: read the settings, request a sync, poll."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from ansible_collections.intune.autopilot.plugins.module_utils.autopilot import (
    OUTCOME_BY_STATUS,
    SETTINGS_PATH,
    SYNC_PATH,
    AutopilotSettings,
    utc_now,
)
from ansible_collections.intune.autopilot.plugins.module_utils.errors import GraphError
from ansible_collections.intune.autopilot.plugins.module_utils.retry import RetryPolicy


class Clock:
    """Wall time for Graph timestamps, monotonic time for deadlines, and sleep."""

    now = staticmethod(utc_now)
    monotonic = staticmethod(time.monotonic)
    sleep = staticmethod(time.sleep)


def sync_retry_policy(max_retries):
    """How the sync POST may be retried.

    Only 503/504 and connection errors, and at most once: if the first POST
    did start a sync, the repeat gets 409 or 429, which are handled as
    outcomes. A 429 is never retried here: for this action it is the
    documented 10-minute rule, not transient throttling.
    """
    return RetryPolicy(max_retries=min(1, max_retries), statuses=(503, 504), connection_errors=True)


class AutopilotGraph:
    """Autopilot operations of one tenant."""

    def __init__(self, client, max_retries):
        self._client = client
        self._sync_retry = sync_retry_policy(max_retries)

    def read_settings(self):
        response = self._client.get(SETTINGS_PATH)
        if not isinstance(response.body, dict):
            raise GraphError(
                "Microsoft Graph answered HTTP %s with an empty body where the Autopilot settings were "
                "expected. A proxy may have answered instead of Graph: check HTTPS_PROXY/NO_PROXY and "
                "graph_endpoint." % response.status,
                status=response.status, code="EmptyResponse", request_id=response.request_id)
        return AutopilotSettings.from_graph(response.body)

    def request_sync(self):
        """POST the sync; return (outcome, Retry-After seconds or None)."""
        response = self._client.post(SYNC_PATH, retry=self._sync_retry, accept=(409, 429))
        return OUTCOME_BY_STATUS.get(response.status, "triggered"), response.retry_after
