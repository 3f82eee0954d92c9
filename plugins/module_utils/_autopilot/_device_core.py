# -*- coding: utf-8 -*-
# Copyright: intune.autopilot contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# FOR INTERNAL COLLECTION USE ONLY: the interfaces may change in any release.
"""The work of autopilot_device, whichever door runs it."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.intune.autopilot.plugins.module_utils._autopilot._device_api import DeviceGraph
from ansible_collections.intune.autopilot.plugins.module_utils._autopilot._device_options import (
    IDENTITY_OPTIONS,
    device_id,
    exclusive,
    serial_number,
)
from ansible_collections.intune.autopilot.plugins.module_utils._autopilot._device_workflow import (
    DeviceOptions,
    DeviceWorkflow,
)
from ansible_collections.intune.autopilot.plugins.module_utils._autopilot._devices import MANAGED
from ansible_collections.intune.autopilot.plugins.module_utils._autopilot._task import run_work
from ansible_collections.intune.autopilot.plugins.module_utils._base import _options
from ansible_collections.intune.autopilot.plugins.module_utils._base._errors import ConfigurationError
from ansible_collections.intune.autopilot.plugins.module_utils._client._connect import (
    connection_settings,
    graph_client,
)

DEVICE_OPTIONS = dict(
    IDENTITY_OPTIONS,
    state=dict(type="str", default="present", choices=["present", "absent"]),
    group_tag=dict(type="str"),
    display_name=dict(type="str"),
    user_principal_name=dict(type="str"),
    wait=dict(type="bool", default=False),
    wait_timeout=dict(type="int", default=300),
    poll_interval=dict(type="int", default=10),
)
_MANAGED_OPTIONS = tuple(key for key, _graph_name in MANAGED)


def argument_spec(environ=None):
    return _options.argument_spec(DEVICE_OPTIONS, environ)


def device_options(params):
    """The module's own options, checked before any network call."""
    exclusive(params, "id", ("serial_number",))
    wanted_id, wanted_serial = device_id(params), serial_number(params)
    if wanted_id is None and wanted_serial is None:
        raise ConfigurationError("serial_number", "Name the device with serial_number or id.")
    _options.check_minimums(params, (("wait_timeout", 1), ("poll_interval", 1)))
    wanted = dict((name, params.get(name)) for name in _MANAGED_OPTIONS)
    if params["state"] == "absent":
        given = [name for name in _MANAGED_OPTIONS if wanted[name] is not None]
        if given:
            raise ConfigurationError(given[0], "%s cannot be set with state=absent, which deletes the device."
                                     % " and ".join(given))
    user = wanted["user_principal_name"]
    if user and "@" not in user:
        raise ConfigurationError("user_principal_name", "user_principal_name must be a user principal name "
                                 "(user@domain), or an empty string to unassign the user; got %r." % user)
    return DeviceOptions(wanted_id, wanted_serial, params["state"], wanted, params["wait"],
                         params["wait_timeout"], params["poll_interval"])


def run(context):
    """Make the device as asked (or predict it, in check mode); returns the result, raises the collection's errors."""
    settings = connection_settings(context)
    options = device_options(context.params)
    client = graph_client(context, settings)
    graph = DeviceGraph(client, settings.max_retries)
    workflow = DeviceWorkflow(graph, client, options, check_mode=context.check_mode)
    return run_work(context, client, settings, workflow.run)
