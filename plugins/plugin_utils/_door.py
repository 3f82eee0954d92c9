# -*- coding: utf-8 -*-
# Copyright: intune.autopilot contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# FOR INTERNAL COLLECTION USE ONLY: the interfaces may change in any release.
"""Which door a task takes: the controller's worker process, or the module.

The in-process door is taken only when it cannot behave differently from the
module: a local connection, no async, no become, no Python interpreter for the
host other than the controller's own, requests and msal importable here, and
no variable in the task's ``environment:`` that code outside the core reads
from os.environ (requests' proxies and CA bundle, MSAL's managed identity
endpoint, ``~`` and ``$VAR`` in paths). Everything else goes to the module
unchanged.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import shutil

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


# The interpreter settings that ask Ansible to discover the host's Python: the controller's own serves.
DISCOVERY_MODES = ("auto", "auto_silent", "auto_legacy", "auto_legacy_silent")


def is_own_python(interpreter, own_python):
    """Whether ``interpreter`` is ``own_python``: the same file in the same ``bin`` directory.

    A venv is its bin directory (pyvenv.cfg sits beside it), not the file its
    python links to: venv/bin/python and venv/bin/python3 are one Python, while
    the base interpreter both link to is another, without the venv's libraries.
    A bare name is looked up on PATH, as the shell that runs the module does.
    """
    path = shutil.which(interpreter)
    if not path or not own_python:
        return False
    try:
        return (os.path.samefile(os.path.dirname(os.path.abspath(path)), os.path.dirname(os.path.abspath(own_python)))
                and os.path.samefile(path, own_python))
    except OSError:
        return False


def interpreter_setting(origin):
    """Where the interpreter was set, from ansible-core's origin of INTERPRETER_PYTHON.

    The origin is "var: ansible_python_interpreter", "env: ANSIBLE_PYTHON_INTERPRETER"
    or the path of the ansible.cfg that sets interpreter_python.
    """
    kind, _sep, name = origin.partition(": ")
    return name if name else "interpreter_python in %s" % kind


def foreign_interpreter(interpreter, own_python, setting="ansible_python_interpreter"):
    """Why the host's Python (``interpreter``, templated, from ``setting``) must run the module, or None."""
    if not interpreter or interpreter in DISCOVERY_MODES or is_own_python(interpreter, own_python):
        return None
    return "%s %s is not the controller's own Python (%s)" % (setting, interpreter, own_python)


def module_path_reason(connection, async_val, become, in_process_allowed, libraries_missing,
                       task_environment, environ, interpreter=None, own_python=None,
                       interpreter_setting="ansible_python_interpreter"):
    """Why this task must run as a module, or None when it may run in the controller.

    ``task_environment`` is the task's templated ``environment:``; ``environ``
    the controller's own (a variable set to the value it already has changes nothing).
    ``interpreter`` is the host's templated Python interpreter, None when unset,
    and ``interpreter_setting`` names where it was set; ``own_python`` is the
    controller's (sys.executable).
    """
    if not in_process_allowed:
        return "%s is false" % SWITCH
    if connection not in LOCAL_CONNECTIONS:
        return "connection %s is not local" % connection
    if async_val:
        return "async"
    if become:
        return "become"
    other_python = foreign_interpreter(interpreter, own_python, interpreter_setting)
    if other_python:
        return other_python
    if libraries_missing:
        return "%s cannot be imported by the controller's Python" % " and ".join(libraries_missing)
    foreign = sorted(name for name, value in task_environment.items()
                     if name not in _CORE_ONLY_VARIABLES and environ.get(name) != value)
    if foreign:
        return "the task's environment sets %s" % ", ".join(foreign)
    return None
