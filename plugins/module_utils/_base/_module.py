# -*- coding: utf-8 -*-
# Copyright: intune.autopilot contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# FOR INTERNAL COLLECTION USE ONLY: the interfaces may change in any release.
"""The module door: AnsibleModule around a core.

AnsibleModule validates the options with the core's argument spec and masks
``no_log`` values and hidden tokens in everything it returns; whatever the
core raises becomes ``fail_json`` (see ``run_core``), never a traceback. The
action plugins open the other door onto the same core.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.intune.autopilot.plugins.module_utils._base._context import TaskContext, run_core


def run_module(core):
    """Run ``core`` (a module of module_utils with ``argument_spec()`` and ``run(context)``)."""
    module = AnsibleModule(argument_spec=core.argument_spec(), supports_check_mode=True)
    context = TaskContext(module.params, os.environ, module.check_mode, module.warn, module.no_log_values)
    result = run_core(core, context, module._name)  # pylint: disable=protected-access
    if result.pop("failed", False):
        module.fail_json(**result)
    module.exit_json(**result)
