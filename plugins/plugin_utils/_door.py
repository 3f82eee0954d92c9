# -*- coding: utf-8 -*-
# Copyright: intune.autopilot contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# FOR INTERNAL COLLECTION USE ONLY: the interfaces may change in any release.
"""Which door a task takes: the controller's worker process, or the module.

The in-process door is taken only when it cannot behave differently from the
module: a local connection, no async, no become, requests and msal importable
here, and no variable in the task's ``environment:`` that code outside the
core reads from os.environ (requests' proxies and CA bundle, MSAL's managed
identity endpoint, ``~`` and ``$VAR`` in paths). Everything else goes to the
module unchanged.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.intune.autopilot.plugins.module_utils._base._options import (
    connection_argument_spec,
)

# The variable that forces the module path: intune_autopilot_in_process: false
SWITCH = "intune_autopilot_in_process"

LOCAL_CONNECTIONS = ("local", "ansible.builtin.local", "ansible.legacy.local")

# Variables the core reads only through the environment it is given, so a task's
# ``environment:`` may set them on the in-process path too.
_CORE_ONLY_VARIABLES = frozenset(
    [name for spec in connection_argument_spec().values() if "fallback" in spec for name in spec["fallback"][1]]
    + ["AZURE_CLOUD_ENVIRONMENT", "AZURE_AD_USER", "AZURE_PASSWORD", "XDG_CACHE_HOME"])


def module_path_reason(connection, async_val, become, in_process_allowed, libraries_missing,
                       task_environment, environ):
    """Why this task must run as a module, or None when it may run in the controller.

    ``task_environment`` is the task's templated ``environment:``; ``environ``
    the controller's own (a variable set to the value it already has changes nothing).
    """
    if not in_process_allowed:
        return "%s is false" % SWITCH
    if connection not in LOCAL_CONNECTIONS:
        return "connection %s is not local" % connection
    if async_val:
        return "async"
    if become:
        return "become"
    if libraries_missing:
        return "%s cannot be imported by the controller's Python" % " and ".join(libraries_missing)
    foreign = sorted(name for name, value in task_environment.items()
                     if name not in _CORE_ONLY_VARIABLES and environ.get(name) != value)
    if foreign:
        return "the task's environment sets %s" % ", ".join(foreign)
    return None
