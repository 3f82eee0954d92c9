# -*- coding: utf-8 -*-
# Copyright: intune.autopilot contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# FOR INTERNAL COLLECTION USE ONLY: the interfaces may change in any release.
"""What autopilot_sync does: decide, trigger, and wait, all within one deadline.

Graph is the source of truth: every time rule runs on Graph's clock, and a
sync request whose answer was lost is decided by reading Graph's settings,
never by guessing or by blindly sending it again.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import math
from collections import namedtuple

from ansible_collections.intune.autopilot.plugins.module_utils._autopilot._model import (
    IN_PROGRESS,
    RECENTLY_SYNCED,
    SYNC_FAILED,
    SYNC_IN_PROGRESS,
    THROTTLED,
    TRIGGERED,
    TriggeredSync,
    format_timestamp,
    predict_outcome,
    throttle_ends_at,
    triggered_since,
)
from ansible_collections.intune.autopilot.plugins.module_utils._base._errors import (
    AutopilotError,
    GraphError,
    TransportError,
    WorkflowError,
    answer_lost,
)
from ansible_collections.intune.autopilot.plugins.module_utils._autopilot._waiting import poll_until
from ansible_collections.intune.autopilot.plugins.module_utils._client._retry import RetryPolicy

# Margin after the 10-minute window before asking again: the Date header has
# whole seconds, so Graph's "now" is known to about a second.
THROTTLE_MARGIN = 2.0

IN_PROGRESS_MESSAGE = "An Autopilot sync is already in progress."


def _throttled_message(allowed_at):
    return ("A manual Autopilot sync ran less than 10 minutes ago; the next one is allowed at %s."
            % (format_timestamp(allowed_at) or "in a few minutes"))


# The options of autopilot_sync, with the module's defaults.
SyncOptions = namedtuple(
    "SyncOptions", ["if_in_progress", "if_throttled", "skip_if_synced_within", "wait", "wait_timeout", "poll_interval"],
    defaults=("skip", "skip", 0, False, 900, 10))


class SyncWorkflow:
    """One autopilot_sync task. ``run()`` returns the module result or raises WorkflowError.

    ``clock`` is Graph's clock (GraphClock): ``now()`` on Graph's time,
    ``monotonic()`` and ``sleep()`` for the one deadline of the task. A task
    that syncs after other work (autopilot_device_import) passes its own
    ``deadline`` (monotonic), which started with its ``wait_timeout``.
    """

    def __init__(self, graph, options, clock, check_mode=False, deadline=None):
        self.graph = graph
        self.options = options
        self.clock = clock
        self.check_mode = check_mode
        self.deadline = clock.monotonic() + options.wait_timeout if deadline is None else deadline
        graph.limit_retries_to(self.deadline)
        self.settings = None  # the last settings read, reported when present
        self.sync_status = None  # the latest status learnt; None = nothing read yet
        self.allowed_at = None
        self.sync = None  # TriggeredSync once this task has started a sync
        self.status_before = None  # the status read before the first sync request, if any

    # -- results ---------------------------------------------------------
    def _result(self, outcome):
        result = {"changed": outcome == TRIGGERED, "sync_status": self.sync_status,
                  "graph_clock_offset": self.clock.offset_seconds()}
        if outcome is not None:
            result["outcome"] = outcome
        if self.settings is not None:
            result["autopilot_settings"] = self.settings.to_result()
            warnings = self.settings.warnings()
            if warnings:
                result["warnings"] = warnings
        if outcome == THROTTLED:
            result["manual_sync_allowed_at"] = format_timestamp(self.allowed_at)
        return result

    def _fail(self, message, outcome, cause=None, **error):
        result = self._result(outcome)
        if cause is not None:
            error = dict(cause.details, **error)
        if error:
            result["error"] = error
        raise WorkflowError(message, **result)

    # -- reading -----------------------------------------------------------
    def _read(self):
        self.settings = self.graph.read_settings()
        self.sync_status = self.settings.sync_status
        return self.settings

    def _remaining(self):
        return self.deadline - self.clock.monotonic()

    def _poll_until(self, done, waiting_for, outcome):
        """Read every poll_interval until ``done``; the last read starts shortly
        before the deadline (see _waiting.LAST_READ_SECONDS)."""
        poll = poll_until(self.clock, self.deadline, self.options.poll_interval, self._read, done)
        if not poll.done:
            self._give_up(waiting_for, outcome, poll.error)
        if self.sync_status == SYNC_FAILED:
            self._fail("The Autopilot sync finished with status 'failed'. Check the Windows Autopilot "
                       "devices page in Intune for details.", outcome)

    def _give_up(self, waiting_for, outcome, error=None):
        if error is not None:
            last = "the last read failed: %s" % error.message.rstrip(".")
        elif self.sync_status is None:
            last = "no sync status could be read"
        else:
            last = "the last sync status seen was %s" % self.sync_status
        self._fail("Gave up after wait_timeout=%ss waiting for %s; %s."
                   % (self.options.wait_timeout, waiting_for, last), outcome, error)

    # -- throttled (429) ---------------------------------------------------
    def _window_wait(self, now):
        """Seconds until a throttled sync may be asked again (allowed_at is known or not)."""
        if self.allowed_at is None:
            return self.options.poll_interval
        return max(0.0, (self.allowed_at - now).total_seconds()) + THROTTLE_MARGIN

    def _check_window_reachable(self, now):
        """Fail at once, without waiting, when the window ends after the deadline."""
        seconds = self._window_wait(now)
        remaining = self._remaining()
        if seconds <= remaining:
            return seconds
        needed = int(math.ceil(self.options.wait_timeout - remaining + seconds))
        if self.allowed_at is None:
            when = "Graph refused the sync as throttled without saying when the window ends"
        else:
            when = ("The next manual sync is allowed at %s (Graph's clock), %d seconds from now"
                    % (format_timestamp(self.allowed_at), int(math.ceil(seconds))))
        self._fail("%s; wait_timeout=%ss cannot reach it, so the task did not wait. Set wait_timeout to at "
                   "least %d to wait for it." % (when, self.options.wait_timeout, needed), THROTTLED)

    def _throttled(self, retry_after):
        if retry_after is None:
            self._read()  # the window follows from the latest manual trigger
        now = self.clock.now()
        self.allowed_at = throttle_ends_at(retry_after, self.settings, now)
        if self.options.if_throttled == "fail":
            self._fail(_throttled_message(self.allowed_at), THROTTLED)
        if self.options.if_throttled == "skip":
            return self._result(THROTTLED)
        self.clock.sleep(self._check_window_reachable(now))
        return None  # ask again

    # -- in progress (409) --------------------------------------------------
    def _in_progress(self):
        self.sync_status = SYNC_IN_PROGRESS
        if self.options.if_in_progress == "fail":
            self._fail(IN_PROGRESS_MESSAGE, IN_PROGRESS)
        if self.options.if_in_progress == "wait":
            self._poll_until(lambda s: not s.in_progress, "the running sync to end", IN_PROGRESS)
        return self._result(IN_PROGRESS)

    # -- check mode --------------------------------------------------------
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
                self._check_window_reachable(now)
                outcome = TRIGGERED  # after the wait, the real run triggers
        return self._result(outcome)

    # -- the sync request ----------------------------------------------------
    def _triggered(self, first_sent, read_since=False):
        """This task started a sync: Graph said 204, or (``read_since``) its settings show our trigger."""
        self.sync = TriggeredSync(self.clock.at(first_sent), status_before=self.status_before)
        if read_since:
            self._seen_through(self.settings)
        else:
            self.sync_status = SYNC_IN_PROGRESS  # ours runs until seen through
        if self.options.wait:
            self._poll_until(self._seen_through, "the triggered sync to finish", TRIGGERED)
        return self._result(TRIGGERED)

    def _seen_through(self, settings):
        if self.sync.finished(settings):
            return True
        self.sync_status = SYNC_IN_PROGRESS  # a stale final status is not our sync's
        return False

    def _decide_by_reading(self, first_sent, lost):
        """After a lost answer, or a refusal following one: did Graph start our sync?"""
        try:
            settings = self._read()
        except AutopilotError as exc:
            what = ("the answer to the sync request was lost (%s)" % lost.message.rstrip(".")
                    if lost is not None else "an earlier sync request's answer was lost")
            self._fail("Could not tell whether Graph started a sync: %s, and reading the settings failed: "
                       "%s Check with intune.autopilot.windows_autopilot_settings before running the task "
                       "again." % (what, exc.message), None, exc)
        return triggered_since(settings, self.clock.at(first_sent))

    def _retry_lost(self, lost_answers, lost):
        """Sleep before sending the request again after Graph showed no trigger; else fail."""
        wait = RetryPolicy(max_retries=self.graph.max_retries).delay(lost_answers)
        if wait is None or wait >= self._remaining():
            self._fail("Gave up after %d sync requests, and the settings show no sync started by this task "
                       "(last manual trigger %s). The last one: %s"
                       % (lost_answers, format_timestamp(self.settings.last_manual_trigger) or "never",
                          lost.message), None, lost, attempts=lost_answers)
        self.clock.sleep(wait)

    def _request(self):
        """Send the sync request once: (outcome or None, Retry-After, the error if the answer was lost)."""
        try:
            outcome, retry_after = self.graph.request_sync()
        except (GraphError, TransportError) as exc:
            if not answer_lost(exc):
                raise
            return None, None, exc
        return outcome, retry_after, None

    def _sync(self):
        lost_answers = 0
        unsettled_since = None  # monotonic moment of the first request whose effect is unknown
        while True:
            sent = self.clock.monotonic()
            outcome, retry_after, lost = self._request()
            if outcome == TRIGGERED:
                return self._triggered(sent if unsettled_since is None else unsettled_since)
            if lost is not None:
                lost_answers += 1
                if unsettled_since is None:
                    unsettled_since = sent
            if unsettled_since is not None:
                if self._decide_by_reading(unsettled_since, lost):
                    return self._triggered(unsettled_since, read_since=True)
                if lost is not None:
                    self._retry_lost(lost_answers, lost)
                    continue
                unsettled_since = None  # Graph refused this one and shows no trigger of ours
            if outcome == IN_PROGRESS:
                return self._in_progress()
            result = self._throttled(retry_after)
            if result is not None:
                return result

    def run(self):
        try:
            return self._run()
        except WorkflowError:
            raise
        except AutopilotError as exc:
            if self.sync is None:
                raise
            # After our trigger every failure still says what the task did.
            self._fail(exc.message, TRIGGERED, exc)

    def _run(self):
        # wait: true reads first, so that a finished sync is told from the one before.
        if self.check_mode or self.options.skip_if_synced_within or self.options.wait:
            self.status_before = self._read().sync_status
            if self.settings.synced_within(self.options.skip_if_synced_within, self.clock.now()):
                return self._result(RECENTLY_SYNCED)
        if self.check_mode:
            return self._predict()
        return self._sync()
