# -*- coding: utf-8 -*-
# Copyright: intune.autopilot contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# FOR INTERNAL COLLECTION USE ONLY: the interfaces may change in any release.
"""The in-process door: an action plugin that runs a module's core in the controller's worker.

It does what AnsibleModule does for the
module door, with ansible-core's own pieces: the core's argument spec through
ArgumentSpecValidator (env fallbacks read the task's environment, its
warnings and deprecations are returned), check mode, warnings, ``fail_json``-shaped failures, and ``remove_values`` over the
whole result with every ``no_log`` value and every issued token. When the
task cannot run here (see _door.py) it hands the task to the module unchanged.

requests, msal and the collection's module_utils are imported at the top on
purpose: the strategy imports this class in the main process before it forks
the workers, so every task inherits them instead of importing them again.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import sys

from ansible import constants as C
from ansible.module_utils.basic import remove_values
from ansible.module_utils.common.collections import is_sequence
from ansible.module_utils.common.text.converters import to_text
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.errors import UnsupportedError
from ansible.module_utils.parsing.convert_bool import boolean
from ansible.plugins.action.normal import ActionModule as ModuleAction
from ansible.utils.display import Display

from ansible_collections.intune.autopilot.plugins.module_utils._base._context import TaskContext, run_core
from ansible_collections.intune.autopilot.plugins.module_utils._base._libraries import missing_libraries
from ansible_collections.intune.autopilot.plugins.plugin_utils._door import (
    SWITCH,
    interpreter_setting,
    module_path_reason,
)

# Imports requests and msal here, in the main process, before the workers fork.
MISSING_LIBRARIES = missing_libraries()
# What the first token request would import in every worker otherwise: requests
# looks for ~/.netrc on each request, MSAL probes for its optional extensions.
import netrc  # noqa: F401,E402  pylint: disable=unused-import,wrong-import-position
try:
    import msal_extensions  # noqa: F401  pylint: disable=unused-import
except ImportError:
    pass

display = Display()


class LocalAction(ModuleAction):
    """Subclasses set CORE: the module_utils core of the module with the same name."""

    CORE = None
    _supports_check_mode = True
    _supports_async = True

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        task_environment = {}
        self._compute_environment_string(task_environment)
        task_environment = dict((str(k), str(v)) for k, v in task_environment.items())
        interpreter, setting = self._python_interpreter(task_vars)
        reason = module_path_reason(
            connection=getattr(self._connection, "transport", None),
            async_val=self._task.async_val,
            become=self._play_context.become,
            in_process_allowed=boolean(self._templar.template(task_vars.get(SWITCH, True)), strict=False),
            libraries_missing=MISSING_LIBRARIES,
            task_environment=task_environment,
            environ=os.environ,
            interpreter=interpreter,
            own_python=sys.executable,
            interpreter_setting=setting)
        host = self._play_context.remote_addr
        if reason:
            display.vvv("%s runs as a module: %s" % (self._task.action, reason), host=host)
            return super(LocalAction, self).run(tmp, task_vars)
        display.vvv("%s runs in the controller" % self._task.action, host=host)
        result = super(ModuleAction, self).run(tmp, task_vars)  # ActionBase: check mode and async checks
        result.update(self._run_core(dict(os.environ, **task_environment)))
        return result

    def _python_interpreter(self, task_vars):
        """The host's Python interpreter setting, templated, as the module door reads it, and where it was set.

        The same lookup as ansible-core's module_common: the INTERPRETER_PYTHON
        setting (ansible_python_interpreter, ANSIBLE_PYTHON_INTERPRETER or
        interpreter_python) with the delegated host's variables when delegated.
        """
        host_vars = task_vars
        if self._task.delegate_to:
            host_vars = task_vars.get("ansible_delegated_vars", {}).get(self._task.delegate_to, task_vars)
        value, origin = C.config.get_config_value_and_origin("INTERPRETER_PYTHON", variables=host_vars)
        # Templated before it is stripped: stripping first would drop ansible-core 2.19's trust in the template.
        interpreter = None if value is None else to_text(self._templar.template(value)).strip()
        return interpreter, interpreter_setting(origin)

    def _run_core(self, environ):
        # The spec's env fallbacks read the task's environment, as the module would.
        validation = ArgumentSpecValidator(self.CORE.argument_spec(environ)).validate(
            as_module_receives(self._task.args))
        params = validation.validated_parameters
        secrets = validation._no_log_values  # pylint: disable=protected-access
        # As AnsibleModule does, before the options are judged: an option and its alias both set, a
        # deprecated option or alias used.
        warnings, deprecations = validator_notes(validation)
        if validation.error_messages:
            result = dict(failed=True, msg=self._validation_message(validation))
        else:
            context = TaskContext(params, environ, self._task.check_mode, warnings.append, secrets)
            result = run_core(self.CORE, context, self._task.action)
        result["invocation"] = dict(module_args=params)
        if warnings:
            result["warnings"] = warnings
        if deprecations:
            result["deprecations"] = deprecations
        # As AnsibleModule.exit_json/fail_json do: nothing secret leaves the door.
        return remove_values(result, secrets)

    def _validation_message(self, validation):
        # The words AnsibleModule uses, so both doors fail alike.
        msg = validation.errors.msg
        if isinstance(validation.errors[0], UnsupportedError):
            msg = "Unsupported parameters for (%s) module: %s" % (self._task.action, msg)
        return msg


def validator_notes(validation):
    """The warnings and deprecations of an ArgumentSpecValidator result, as AnsibleModule returns them.

    ModuleArgumentSpecValidator hands the same records to warn() and deprecate().
    ansible-core 2.16 to 2.20 keep them only in the result's private ``_warnings``
    and ``_deprecations``; a release without them forwards nothing rather than fail.
    """
    aliases_both_set = getattr(validation, "_warnings", None) or []
    deprecations = getattr(validation, "_deprecations", None) or []
    warnings = ["Both option {option} and its alias {alias} are set.".format(**w) for w in aliases_both_set]
    return warnings, [_as_deprecate_records(d) for d in deprecations]


def _as_deprecate_records(entry):
    # deprecate(msg, version, date, collection_name) records a date, else the version (None allowed).
    record = {"msg": entry["msg"]}
    if entry.get("date") is not None:
        record["date"] = entry["date"]
    else:
        record["version"] = entry.get("version")
    record["collection_name"] = entry.get("collection_name")
    return record


def as_module_receives(value):
    """Task arguments as plain JSON types, as a module gets them.

    The task's own objects (AnsibleUnicode in 2.16, tagged strings in 2.19,
    vaulted text) would otherwise show in validation messages and results.
    """
    if isinstance(value, str):
        return str(value)  # a plain str, whatever subclass it was
    if isinstance(value, dict):
        return dict((str(k), as_module_receives(v)) for k, v in value.items())
    if isinstance(value, (bool, type(None))):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if is_sequence(value):  # lists and tuples; strings and vaulted text are not sequences here
        return [as_module_receives(item) for item in value]
    return to_text(value)
