# -*- coding: utf-8 -*-
# Copyright: intune.autopilot contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The work of windows_autopilot_settings, whichever door runs it (for internal collection use only)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.intune.autopilot.plugins.module_utils import graph_core
from ansible_collections.intune.autopilot.plugins.module_utils.autopilot_graph import AutopilotGraph


def argument_spec():
    """No options of its own: only the connection options."""
    return graph_core.argument_spec()


def run(context):
    """Read the settings and report them; returns the result, raises the collection's errors."""
    settings = graph_core.connection_settings(context)
    client = graph_core.graph_client(context, settings)
    graph = AutopilotGraph(client, settings.max_retries)

    def work():
        state = graph.read_settings()
        return dict(state.state_result(graph.clock.now()), changed=False, warnings=state.warnings(),
                    graph_clock_offset=graph.clock.offset_seconds())

    return graph_core.run_work(context, client, settings, work)
