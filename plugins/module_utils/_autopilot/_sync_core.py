# -*- coding: utf-8 -*-
# Copyright: intune.autopilot contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# FOR INTERNAL COLLECTION USE ONLY: the interfaces may change in any release.
"""The work of autopilot_sync, whichever door runs it."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.intune.autopilot.plugins.module_utils._autopilot._api import AutopilotGraph
from ansible_collections.intune.autopilot.plugins.module_utils._autopilot._permissions import honest_check_mode
from ansible_collections.intune.autopilot.plugins.module_utils._autopilot._sync_workflow import (
    SyncOptions,
    SyncWorkflow,
)
from ansible_collections.intune.autopilot.plugins.module_utils._autopilot._task import run_work
from ansible_collections.intune.autopilot.plugins.module_utils._base import _options
from ansible_collections.intune.autopilot.plugins.module_utils._client._connect import (
    connection_settings,
    graph_client,
)

SYNC_OPTIONS = dict(
    if_in_progress=dict(type="str", default="skip", choices=["skip", "wait", "fail"]),
    if_throttled=dict(type="str", default="skip", choices=["skip", "wait", "fail"]),
    skip_if_synced_within=dict(type="int", default=0),
    wait=dict(type="bool", default=False),
    wait_timeout=dict(type="int", default=900),
    poll_interval=dict(type="int", default=10),
)


def argument_spec(environ=None):
    return _options.argument_spec(SYNC_OPTIONS, environ)


def sync_options(params):
    """The module's own options, checked before any network call."""
    _options.check_minimums(params, (("skip_if_synced_within", 0), ("wait_timeout", 1), ("poll_interval", 1)))
    return SyncOptions(**dict((name, params[name]) for name in SYNC_OPTIONS))


def run(context):
    """Trigger (or predict, in check mode) the sync; returns the result, raises the collection's errors."""
    settings = connection_settings(context)
    options = sync_options(context.params)
    client = graph_client(context, settings)
    graph = AutopilotGraph(client, settings.max_retries)
    workflow = SyncWorkflow(graph, options, graph.clock, check_mode=context.check_mode)
    context.keep(workflow.kept)  # after our trigger, whatever fails still says triggered

    def work():
        return honest_check_mode(client, workflow.run) if context.check_mode else workflow.run()

    return run_work(context, client, settings, work)
