# -*- coding: utf-8 -*-
# Copyright: intune.autopilot contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The module door: AnsibleModule around a core (for internal collection use only).

AnsibleModule validates the options with the core's argument spec, masks
``no_log`` values and hidden tokens in everything it returns, and any error
of the collection becomes ``fail_json`` with a message and an ``error`` dict,
never a traceback. The action plugins open the other door onto the same core.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.intune.autopilot.plugins.module_utils import graph_core
from ansible_collections.intune.autopilot.plugins.module_utils.errors import AutopilotError
from ansible_collections.intune.autopilot.plugins.module_utils.task_context import TaskContext, no_log_values


def run_module(core):
    """Run ``core`` (a module of module_utils with ``argument_spec()`` and ``run(context)``)."""
    spec = core.argument_spec()
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True)
    context = TaskContext(module.params, os.environ, module.check_mode, module.warn, module.no_log_values.add)
    try:
        result = core.run(context)
    except AutopilotError as exc:
        module.fail_json(**graph_core.failure(exc, no_log_values(spec, module.params)))
    module.exit_json(**result)
