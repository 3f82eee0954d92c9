# -*- coding: utf-8 -*-
# Copyright: intune.autopilot contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# FOR INTERNAL COLLECTION USE ONLY: the interfaces may change in any release.
"""The work of autopilot_device_import, whichever door runs it."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.intune.autopilot.plugins.module_utils._autopilot._import_api import ImportGraph
from ansible_collections.intune.autopilot.plugins.module_utils._autopilot._import_rows import (
    DEFAULT_BATCH_SIZE,
    check_batch_size,
    import_rows,
)
from ansible_collections.intune.autopilot.plugins.module_utils._autopilot._import_workflow import (
    ImportOptions,
    ImportWorkflow,
)
from ansible_collections.intune.autopilot.plugins.module_utils._autopilot._permissions import (
    honest_check_mode,
    predicted_forbidden,
)
from ansible_collections.intune.autopilot.plugins.module_utils._autopilot._task import run_work
from ansible_collections.intune.autopilot.plugins.module_utils._base import _options
from ansible_collections.intune.autopilot.plugins.module_utils._client._connect import (
    connection_settings,
    graph_client,
)

IMPORT_OPTIONS = dict(
    devices=dict(type="list", elements="dict", options=dict(
        serial_number=dict(type="str"),
        # Never shown: masked in every result, the invocation included.
        hardware_hash=dict(type="str", no_log=True),
        product_key=dict(type="str", no_log=True),
        group_tag=dict(type="str"),
        assigned_user=dict(type="str"),
    )),
    csv_path=dict(type="path"),
    group_tag=dict(type="str"),
    batch_size=dict(type="int", default=DEFAULT_BATCH_SIZE),
    sync=dict(type="bool", default=True),
    wait=dict(type="bool", default=False),
    wait_timeout=dict(type="int", default=1800),
    poll_interval=dict(type="int", default=10),
)


def argument_spec(environ=None):
    return _options.argument_spec(IMPORT_OPTIONS, environ)


def import_options(params):
    """The options that steer the work, checked before any network call."""
    check_batch_size(params["batch_size"])
    _options.check_minimums(params, (("wait_timeout", 1), ("poll_interval", 1)))
    return ImportOptions(**dict((name, params[name]) for name in ImportOptions._fields))


def run(context):
    """Import (or predict, in check mode); returns the result, raises the collection's errors."""
    settings = connection_settings(context)
    options = import_options(context.params)
    rows = import_rows(context.params)
    for row in rows:  # a hash from the CSV is masked like one given in devices
        context.hide(row.hardware_hash)
    client = graph_client(context, settings)
    graph = ImportGraph(client, settings.max_retries)
    workflow = ImportWorkflow(graph, rows, options, graph.clock, check_mode=context.check_mode,
                              check_sync=lambda run_sync: honest_check_mode(client, run_sync),
                              forbidden=lambda roles, action: predicted_forbidden(client, roles, action))
    return run_work(context, client, settings, workflow.run)
