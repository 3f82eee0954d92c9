# -*- coding: utf-8 -*-
# Copyright: intune.autopilot contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# FOR INTERNAL COLLECTION USE ONLY: the interfaces may change in any release.
"""What a module's core needs from the door that runs it, and the one exception boundary.

The same core runs behind two doors: the module (AnsibleModule on the managed
node) and the action plugin (the controller's worker process). Like
community.hashi_vault's option adapter, TaskContext gives the core one way to
read its inputs and to report back, whichever door opened; ``run_core`` turns
whatever the core raises into a failed result, so no traceback leaves a door,
and keeps in it what the task had done by then (see ``TaskContext.keep``).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import sys

from ansible.module_utils.basic import missing_required_lib

from ansible_collections.intune.autopilot.plugins.module_utils._base._errors import (
    AutopilotError,
    MissingLibraryError,
    scrub,
)


class TaskContext:
    """Validated options, the environment, check mode, warnings and what is secret.

    ``params``: the options after ansible-core's argument spec validation.
    ``environ``: the environment the task runs in (env fallbacks, managed
    identity markers, cache location). ``warn(text)`` adds a task warning.
    ``secrets``: the door's set of no_log values (AnsibleModule's
    ``no_log_values``, or the validator's), masked everywhere in the result;
    ``hide(value)`` adds one (an issued token).
    """

    def __init__(self, params, environ, check_mode, warn, secrets):
        self.params = params
        self.environ = environ
        self.check_mode = check_mode
        self.warn = warn
        self.secrets = secrets
        self._kept = []

    def hide(self, value):
        self.secrets.add(value)

    def keep(self, values):
        """Put ``values()`` (return values) into the result even when the task fails later, whatever
        raises: what the task has done by then, such as the sync it triggered or the tenant it reached."""
        self._kept.append(values)

    def kept(self):
        """The kept return values as of now; a ``values()`` that fails itself adds nothing."""
        kept = {}
        for values in self._kept:
            try:
                kept.update(values())
            except Exception:  # pylint: disable=broad-except
                continue  # it must not hide the failure being reported
        return kept


def run_core(core, context, name):
    """``core.run(context)``'s result, or ``fail_json`` keyword arguments (with ``failed``) for what it
    raised, on top of what the context kept. The result's warnings go to ``context.warn``.

    ``name`` is the module's name, for a failure this collection did not foresee.
    """
    try:
        result = core.run(context)
    except AutopilotError as exc:
        result = dict(context.kept(), failed=True, **failure(exc, context.secrets))
    # A traceback must not reach the user, nor a secret in an unforeseen exception's text.
    except Exception as exc:  # pylint: disable=broad-except
        result = dict(context.kept(), failed=True, msg=scrub(
            "%s failed unexpectedly: %s: %s. Please report this to the intune.autopilot maintainers."
            % (name, type(exc).__name__, exc), context.secrets))
    # The door shows them: a module's "warnings" result key is deprecated in ansible-core 2.19.
    for warning in result.pop("warnings", None) or ():
        context.warn(warning)
    return result


def failure(error, secrets=()):
    """``fail_json`` keyword arguments for one of the collection's errors."""
    if isinstance(error, MissingLibraryError):
        return dict(msg=missing_library_message(error.library))
    return dict(msg=scrub(error.message, secrets), **error.to_result())


def missing_library_message(library):
    """Ansible's usual text, plus the interpreter that runs this code and the pip command for it."""
    return "%s Install it with: %s -m pip install %s" % (
        missing_required_lib(library), sys.executable or "python3", library)
