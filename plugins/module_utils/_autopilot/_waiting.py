# -*- coding: utf-8 -*-
# Copyright: intune.autopilot contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# FOR INTERNAL COLLECTION USE ONLY: the interfaces may change in any release.
"""Waiting until Graph shows something: read every poll_interval within one deadline."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.intune.autopilot.plugins.module_utils._base._errors import AutopilotError, transient

# The last read of a wait starts this long before the deadline, so that it can end
# inside it: no request may run past the deadline (its timeout is cut to the time left).
LAST_READ_SECONDS = 1.0


class Poll:
    """How a wait ended: ``done``, the last ``value`` read, and the last transient ``error`` if the
    last read failed (throttled, 5xx, network)."""

    def __init__(self, done, value=None, error=None):
        self.done = done
        self.value = value
        self.error = error


def poll_until(clock, deadline, interval, read, done, pause=None):
    """``read()`` now and then every ``interval`` seconds until ``done(value)``; the last read starts
    LAST_READ_SECONDS before ``deadline`` (monotonic). A transient read failure is no news: the next
    read waits for its Retry-After when longer than ``interval``, never past the last read. Other
    errors are raised. ``pause(n)``, when given, is the wait after the n-th read instead of ``interval``."""
    value = None
    reads = 0
    while True:
        reads += 1
        error = None
        try:
            value = read()
        except AutopilotError as exc:
            if not transient(exc):
                raise
            error = exc
        if error is None and done(value):
            return Poll(True, value)
        remaining = deadline - LAST_READ_SECONDS - clock.monotonic()
        if remaining <= 0:
            return Poll(False, value, error)
        wait = interval if pause is None else pause(reads)
        if error is not None and getattr(error, "retry_after", None):
            wait = max(wait, error.retry_after)
        clock.sleep(min(wait, remaining))
