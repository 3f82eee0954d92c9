# -*- coding: utf-8 -*-
# Copyright: intune.autopilot contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What autopilot_sync does: decide, trigger, and wait, all within one deadline."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.intune.autopilot.plugins.module_utils.autopilot import (
    IN_PROGRESS,
    RECENTLY_SYNCED,
    SYNC_FAILED,
    SYNC_IN_PROGRESS,
    THROTTLED,
    TRIGGERED,
    format_timestamp,
    predict_outcome,
    sync_finished,
    throttle_ends_at,
)
from ansible_collections.intune.autopilot.plugins.module_utils.errors import WorkflowError

# Margin after the 10-minute window before asking again: Graph's clock and
# ours may differ by a little; more would only make users wait.
THROTTLE_MARGIN = 2.0

WINDOW = "the 10-minute window to end"
IN_PROGRESS_MESSAGE = "An Autopilot sync is already in progress."


def _throttled_message(allowed_at):
    return ("A manual Autopilot sync ran less than 10 minutes ago; the next one is allowed at %s."
            % (format_timestamp(allowed_at) or "in a few minutes"))


class SyncOptions:
    def __init__(self, if_in_progress="skip", if_throttled="skip", skip_if_synced_within=0,
                 wait=False, wait_timeout=900, poll_interval=10):
        self.if_in_progress = if_in_progress
        self.if_throttled = if_throttled
        self.skip_if_synced_within = skip_if_synced_within
        self.wait = wait
        self.wait_timeout = wait_timeout
        self.poll_interval = poll_interval


class SyncWorkflow:
    """One autopilot_sync task. ``run()`` returns the module result or raises WorkflowError."""

    def __init__(self, graph, options, clock, check_mode=False):
        self.graph = graph
        self.options = options
        self.clock = clock
        self.check_mode = check_mode
        self.deadline = clock.monotonic() + options.wait_timeout
        self.settings = None  # the last settings read, reported when present
        self.sync_status = None  # the latest status learnt, from a read or a POST answer
        self.allowed_at = None

    # -- results ---------------------------------------------------------
    def _result(self, outcome, changed=False):
        result = {"changed": changed, "outcome": outcome, "sync_status": self.sync_status}
        if self.settings is not None:
            result["autopilot_settings"] = self.settings.to_result()
        if outcome == THROTTLED:
            result["manual_sync_allowed_at"] = format_timestamp(self.allowed_at)
        return result

    def _fail(self, message, outcome, changed=False):
        raise WorkflowError(message, **self._result(outcome, changed))

    # -- steps -----------------------------------------------------------
    def _read(self):
        self.settings = self.graph.read_settings()
        self.sync_status = self.settings.sync_status
        return self.settings

    def _give_up(self, waiting_for, outcome, changed=False):
        self._fail("Gave up after wait_timeout=%ss waiting for %s; the last sync status seen was %s."
                   % (self.options.wait_timeout, waiting_for, self.sync_status or "unknown"), outcome, changed)

    def _remaining(self):
        return self.deadline - self.clock.monotonic()

    def _poll_until(self, done, waiting_for, outcome, changed=False):
        """Read every poll_interval until ``done``; the last read is at the deadline."""
        while not done(self._read()):
            remaining = self._remaining()
            if remaining <= 0:
                self._give_up(waiting_for, outcome, changed)
            self.clock.sleep(min(self.options.poll_interval, remaining))
        if self.sync_status == SYNC_FAILED:
            self._fail("The Autopilot sync finished with status 'failed'. Check the Windows Autopilot "
                       "devices page in Intune for details.", outcome, changed)

    def _window_wait(self, now):
        """Seconds until a throttled sync may be asked again (allowed_at is known or not)."""
        if self.allowed_at is None:
            return self.options.poll_interval
        return max(0.0, (self.allowed_at - now).total_seconds()) + THROTTLE_MARGIN

    def _throttled(self, retry_after):
        now = self.clock.now()
        if retry_after is None:
            self._read()  # the window follows from the latest manual trigger
        self.allowed_at = throttle_ends_at(retry_after, self.settings, now)
        if self.options.if_throttled == "fail":
            self._fail(_throttled_message(self.allowed_at), THROTTLED)
        if self.options.if_throttled == "skip":
            return self._result(THROTTLED)
        seconds = self._window_wait(now)
        if seconds > self._remaining():  # no use waiting for a window that ends too late
            self._give_up(WINDOW, THROTTLED)
        self.clock.sleep(seconds)
        return None  # ask again

    def _in_progress(self):
        self.sync_status = SYNC_IN_PROGRESS
        if self.options.if_in_progress == "fail":
            self._fail(IN_PROGRESS_MESSAGE, IN_PROGRESS)
        if self.options.if_in_progress == "wait":
            self._poll_until(lambda s: not s.in_progress, "the running sync to end", IN_PROGRESS)
        return self._result(IN_PROGRESS)

    def _predict(self):
        """Check mode: read, never POST, and report what a real run would end with."""
        now = self.clock.now()
        outcome = predict_outcome(self.settings, now, self.options.skip_if_synced_within)
        if outcome == IN_PROGRESS and self.options.if_in_progress == "fail":
            self._fail(IN_PROGRESS_MESSAGE, IN_PROGRESS)
        if outcome == THROTTLED:
            self.allowed_at = self.settings.manual_sync_allowed_at(now)
            if self.options.if_throttled == "fail":
                self._fail(_throttled_message(self.allowed_at), THROTTLED)
            if self.options.if_throttled == "wait":
                if self._window_wait(now) > self._remaining():
                    self._give_up(WINDOW, THROTTLED)
                outcome = TRIGGERED  # after the wait, the real run triggers
        return self._result(outcome, changed=outcome == TRIGGERED)

    def run(self):
        if self.check_mode or self.options.skip_if_synced_within:
            self._read()
            if self.settings.synced_within(self.options.skip_if_synced_within, self.clock.now()):
                return self._result(RECENTLY_SYNCED)
        if self.check_mode:
            return self._predict()
        while True:
            sent_at = self.clock.now()
            outcome, retry_after = self.graph.request_sync()
            if outcome == TRIGGERED:
                self.sync_status = SYNC_IN_PROGRESS
                if self.options.wait:
                    self._poll_until(lambda s: sync_finished(s, sent_at), "the triggered sync to finish",
                                     TRIGGERED, changed=True)
                return self._result(TRIGGERED, changed=True)
            if outcome == IN_PROGRESS:
                return self._in_progress()
            result = self._throttled(retry_after)
            if result is not None:
                return result
