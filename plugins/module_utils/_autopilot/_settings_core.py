# -*- coding: utf-8 -*-
# Copyright: intune.autopilot contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# FOR INTERNAL COLLECTION USE ONLY: the interfaces may change in any release.
"""The work of windows_autopilot_settings, whichever door runs it."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.intune.autopilot.plugins.module_utils._autopilot._api import AutopilotGraph
from ansible_collections.intune.autopilot.plugins.module_utils._autopilot._task import run_work
from ansible_collections.intune.autopilot.plugins.module_utils._base import _options
from ansible_collections.intune.autopilot.plugins.module_utils._client._connect import (
    connection_settings,
    graph_client,
)


def argument_spec(environ=None):
    """No options of its own: only the connection options."""
    return _options.argument_spec(environ=environ)


def run(context):
    """Read the settings and report them; returns the result, raises the collection's errors."""
    settings = connection_settings(context)
    client = graph_client(context, settings)
    graph = AutopilotGraph(client, settings.max_retries)

    def work():
        state = graph.read_settings()
        return dict(state.state_result(graph.clock.now()), changed=False, warnings=state.warnings(),
                    graph_clock_offset=graph.clock.offset_seconds())

    return run_work(context, client, settings, work)
