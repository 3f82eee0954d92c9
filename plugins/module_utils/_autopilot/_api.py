# -*- coding: utf-8 -*-
# Copyright: intune.autopilot contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# FOR INTERNAL COLLECTION USE ONLY: the interfaces may change in any release.
"""The Autopilot calls on Graph: read the settings, request a sync; and Graph's clock."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from collections import namedtuple

from ansible_collections.intune.autopilot.plugins.module_utils._autopilot._model import (
    OUTCOME_BY_STATUS,
    SETTINGS_PATH,
    SYNC_PATH,
    TRIGGERED,
    AutopilotSettings,
    MalformedProperty,
    tenant_label,
)
from ansible_collections.intune.autopilot.plugins.module_utils._autopilot._task import identity_result
from ansible_collections.intune.autopilot.plugins.module_utils._base._errors import GraphError
from ansible_collections.intune.autopilot.plugins.module_utils._client._retry import RetryPolicy
from ansible_collections.intune.autopilot.plugins.module_utils._client._session import response_ids

# What a 404 of the settings (and their sync) means; device calls say what theirs means.
SETTINGS_HINTS = {404: "Graph found no Autopilot settings. The tenant probably has no active Intune license, "
                       "or graph_endpoint points to the wrong service"}


def object_body(response, what):
    """The answer's JSON object; a GraphError when Graph (or a proxy) sent anything else."""
    if isinstance(response.body, dict):
        return response.body
    raise GraphError(
        "Microsoft Graph answered HTTP %s with %s where %s was expected. A proxy may have answered "
        "instead of Graph: check HTTPS_PROXY/NO_PROXY and graph_endpoint."
        % (response.status, "an empty body" if response.body is None
           else "a JSON %s" % type(response.body).__name__, what),
        status=response.status, code="EmptyResponse", **response_ids(response))


def malformed(what, exc, response):
    """The GraphError for a MalformedProperty in an answer: names the property, value and request-id."""
    return GraphError(
        "Microsoft Graph sent %s that cannot be used: %s. This is a fault on Microsoft's side; run the task "
        "again later, and quote request-id %s to Microsoft support if it persists."
        % (what, exc, response.request_id),
        status=response.status, code="MalformedResponse", **response_ids(response))


# What Graph said to a sync request: the outcome, Retry-After in seconds (None when absent, as on
# Intune's own 409 and 429), and for a 409 or 429 the GraphError it stands for (Graph's message, ids).
SyncAnswer = namedtuple("SyncAnswer", ["outcome", "retry_after", "refusal"], defaults=(None, None))


class AutopilotGraph:
    """Autopilot operations of one tenant."""

    def __init__(self, client, max_retries):
        self._client = client
        self.max_retries = max_retries
        # The transport never repeats the sync request once it may have reached
        # Graph (5xx, reset, read timeout): the sync workflow decides such a
        # lost answer by reading the settings. Only a failure to connect at
        # all, which sent nothing, is retried here. A 429 is the 10-minute
        # rule, an outcome, not transient throttling.
        self._sync_retry = RetryPolicy(max_retries=max_retries, statuses=(), connection_errors=False)

    @property
    def clock(self):
        """Graph's clock (GraphClock), fed by every answer of this client."""
        return self._client.clock

    def limit_retries_to(self, deadline):
        """No retry wait may pass this monotonic moment (the task's wait_timeout)."""
        self._client.limit_retries_to(deadline)

    def tenant(self):
        """This tenant, named for messages: as asked, and the GUID Entra ID resolved (known after a call)."""
        identity = identity_result(self._client, self._client.settings)
        return tenant_label(identity["tenant"], identity["tenant_id"])

    def read_settings(self):
        response = self._client.get(SETTINGS_PATH, hints=SETTINGS_HINTS)
        try:
            return AutopilotSettings.from_graph(object_body(response, "the Autopilot settings object"),
                                                tenant=self.tenant())
        except MalformedProperty as exc:
            raise malformed("Autopilot settings", exc, response)

    def request_sync(self):
        """POST the sync; return its SyncAnswer."""
        response = self._client.post(SYNC_PATH, retry=self._sync_retry, accept=(409, 429), hints=SETTINGS_HINTS)
        return SyncAnswer(OUTCOME_BY_STATUS.get(response.status, TRIGGERED), response.retry_after,
                          response.refusal)
