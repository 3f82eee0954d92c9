# -*- coding: utf-8 -*-
# Copyright: intune.autopilot contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# FOR INTERNAL COLLECTION USE ONLY: the interfaces may change in any release.
"""The work of autopilot_device_info, whichever door runs it."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.intune.autopilot.plugins.module_utils._autopilot._device_api import DeviceGraph
from ansible_collections.intune.autopilot.plugins.module_utils._autopilot._device_options import (
    IDENTITY_OPTIONS,
    device_id,
    exclusive,
    serial_number,
)
from ansible_collections.intune.autopilot.plugins.module_utils._autopilot._task import run_work
from ansible_collections.intune.autopilot.plugins.module_utils._base import _options
from ansible_collections.intune.autopilot.plugins.module_utils._client._connect import (
    connection_settings,
    graph_client,
)

INFO_OPTIONS = dict(IDENTITY_OPTIONS, group_tag=dict(type="str"))


def argument_spec(environ=None):
    return _options.argument_spec(INFO_OPTIONS, environ)


def query(params):
    """(id, serial_number, group_tag) to look for, checked before any network call."""
    exclusive(params, "id", ("serial_number", "group_tag"))
    return device_id(params), serial_number(params), params.get("group_tag")


def run(context):
    """List the devices the options name; never changes anything, check mode included."""
    settings = connection_settings(context)
    wanted_id, wanted_serial, wanted_tag = query(context.params)
    client = graph_client(context, settings)
    graph = DeviceGraph(client, settings.max_retries)

    def work():
        devices = graph.find_devices(wanted_id, wanted_serial, wanted_tag)
        return dict(changed=False, devices=devices, graph_clock_offset=graph.clock.offset_seconds())

    return run_work(context, client, settings, work)
