# -*- coding: utf-8 -*-
# Copyright: intune.autopilot contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a module's core needs from the door that runs it (for internal collection use only).

The same core runs behind two doors: the module (AnsibleModule on the managed
node) and the action plugin (the controller's worker process). Like
community.hashi_vault's option adapter, this gives the core one way to read
its inputs and to report back, whichever door opened.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class TaskContext:
    """Validated options, the environment, check mode and the door's two callbacks.

    ``params``: the options after ansible-core's argument spec validation.
    ``environ``: the environment the task runs in (env fallbacks, managed
    identity markers, cache location). ``warn(text)`` adds a task warning;
    ``hide(value)`` masks a value (an issued token) everywhere in the result.
    """

    def __init__(self, params, environ, check_mode, warn, hide):
        self.params = params
        self.environ = environ
        self.check_mode = check_mode
        self.warn = warn
        self.hide = hide


def no_log_values(argument_spec, params):
    """The values of the ``no_log`` options that are set: never shown, scrubbed from messages."""
    return [params[name] for name, spec in argument_spec.items()
            if spec.get("no_log") and isinstance(params.get(name), str) and params[name]]
