# -*- coding: utf-8 -*-
# Copyright: intune.autopilot contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# FOR INTERNAL COLLECTION USE ONLY: the interfaces may change in any release.
"""What autopilot_sync does: decide, trigger, and wait, all within one deadline.

Graph is the source of truth: every time rule runs on Graph's clock, and a
sync request whose answer was lost is decided by reading Graph's settings,
never by guessing or by blindly sending it again.

After our trigger (or a lost answer) a failure must still say so, whatever
raised it: ``kept()`` is what the task's exception boundary (run_core) adds to
any failure, so the workflow itself only raises.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import functools
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
    started_by_lost_request,
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

CHECK_BEFORE_AGAIN = ("A sync may have started: check with intune.autopilot.windows_autopilot_settings before "
                      "running the task again.")


# What to do after wait_timeout ran out, by what was waited for (the outcome of the task).
NEXT_STEP_AFTER_WAITING = {
    TRIGGERED: ("The sync goes on in Intune: read its state later with intune.autopilot.windows_autopilot_settings, "
                "or set wait_timeout higher to wait for it (a sync usually takes a few minutes)."),
    IN_PROGRESS: ("Set wait_timeout higher to wait longer, or if_in_progress: skip to report a running sync "
                  "without waiting for it."),
}


def _throttled_message(allowed_at):
    return ("A manual Autopilot sync ran less than 10 minutes ago; the next one is allowed at %s."
            % (format_timestamp(allowed_at) or "in a few minutes"))


def _with_graphs_word(message, refusal):
    """Our message, then what Graph itself said when it refused (Intune's inner Message)."""
    said = refusal.details.get("message") if refusal is not None else None
    return "%s Graph said: %s" % (message, said) if said else message


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
        self.unsettled_since = None  # monotonic moment of the first sync request whose effect is unknown
        self.lost = None  # the error of the last sync request whose answer was lost
        self.refusal = None  # the GraphError of Graph's last 409 or 429, for a failure's details

    # -- results ---------------------------------------------------------
    def _result(self, outcome, changed=None):
        result = {"changed": outcome == TRIGGERED if changed is None else changed,
                  "sync_status": self.sync_status, "graph_clock_offset": self.clock.offset_seconds()}
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

    def _fail(self, message, outcome, cause=None, changed=None, **error):
        result = self._result(outcome, changed)
        if cause is not None:
            error = dict(cause.details, **error)
        if error:
            result["error"] = error
        raise WorkflowError(message, **result)

    def kept(self):
        """What any failure from now on must still say (the boundary adds it): after our trigger,
        ``outcome: triggered`` and ``changed: true``; after a lost answer, ``changed: true``."""
        if self.sync is not None:
            return self._result(TRIGGERED)
        if self.unsettled_since is not None:
            return self._result(None, changed=True)  # a sync may have started
        return {}

    # -- reading -----------------------------------------------------------
    def _read(self):
        self.settings = self.graph.read_settings()
        self.sync_status = self.settings.sync_status
        return self.settings

    def _remaining(self):
        return self.deadline - self.clock.monotonic()

    def _poll_until(self, done, give_up, pause=None):
        """Read until ``done(settings)``; the last read starts shortly before the deadline
        (_waiting.LAST_READ_SECONDS), then ``give_up(error)`` raises.

        Reads are ``pause(n)`` seconds apart after the n-th one (poll_interval by default).
        """
        poll = poll_until(self.clock, self.deadline, self.options.poll_interval, self._read, done, pause=pause)
        if not poll.done:
            give_up(poll.error)

    def _wait_for(self, done, waiting_for, outcome):
        """Poll every poll_interval until ``done``, within wait_timeout; a sync that ends failed fails the task."""
        self._poll_until(done, lambda error: self._give_up(waiting_for, outcome, error))
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
        self._fail("Gave up after wait_timeout=%ss waiting for %s; %s. %s"
                   % (self.options.wait_timeout, waiting_for, last, NEXT_STEP_AFTER_WAITING[outcome]), outcome, error)

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
        self._read()  # the window follows from the latest manual trigger, as the settings report it
        now = self.clock.now()
        self.allowed_at = throttle_ends_at(retry_after, self.settings, now)
        if self.options.if_throttled == "fail":
            self._fail(_with_graphs_word(_throttled_message(self.allowed_at), self.refusal), THROTTLED,
                       self.refusal)
        if self.options.if_throttled == "skip":
            return self._result(THROTTLED)
        self.clock.sleep(self._check_window_reachable(now))
        return None  # ask again

    # -- in progress (409) --------------------------------------------------
    def _in_progress(self):
        self.sync_status = SYNC_IN_PROGRESS
        if self.options.if_in_progress == "fail":
            self._fail(_with_graphs_word(IN_PROGRESS_MESSAGE, self.refusal), IN_PROGRESS, self.refusal)
        if self.options.if_in_progress == "wait":
            self._wait_for(lambda s: not s.in_progress, "the running sync to end", IN_PROGRESS)
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
            self._wait_for(self._seen_through, "the triggered sync to finish", TRIGGERED)
        return self._result(TRIGGERED)

    def _seen_through(self, settings):
        if self.sync.finished(settings):
            return True
        self.sync_status = SYNC_IN_PROGRESS  # a stale final status is not our sync's
        return False

    # -- a lost answer ---------------------------------------------------------
    def _undecided(self, lost_one, why, cause):
        """Fail without guessing: a sync may have started, so ``changed: true`` and no outcome."""
        self._fail("Could not tell whether Graph started a sync: the answer to %s was lost (%s), %s. %s"
                   % (lost_one, self.lost.message.rstrip("."), why, CHECK_BEFORE_AGAIN), None, cause,
                   changed=True)

    def _shows_our_trigger(self):
        """After a lost answer: read once; True if the settings show a trigger since the first request."""
        try:
            settings = self._read()
        except AutopilotError as exc:
            self._undecided("the sync request", "and reading the settings failed: %s" % exc.message.rstrip("."),
                            exc)
        return triggered_since(settings, self.clock.at(self.unsettled_since))

    def _refusal_was_ours(self, refused, outcome):
        """A 409 or 429 after a lost answer: Graph may refuse for the sync the lost request started,
        whose trigger its back end has not stamped yet. Read (soon, then up to every poll_interval)
        until the settings tell, within wait_timeout; never send the request again while they cannot."""
        verdict = functools.partial(started_by_lost_request, sent_at=self.clock.at(self.unsettled_since),
                                    refused_at=self.clock.at(refused))
        then = "Graph refused the next one as %s" % outcome.replace("_", " ")

        def give_up(error):
            last = ("the last read failed: %s" % error.message.rstrip(".") if error is not None else
                    "the last manual trigger they show is %s"
                    % (format_timestamp(self.settings.last_manual_trigger) or "never"))
            self._undecided("an earlier sync request", "%s, and within wait_timeout=%ss the settings showed "
                            "neither this task's trigger nor an earlier one that explains the refusal (%s)"
                            % (then, self.options.wait_timeout, last), error)

        try:
            self._poll_until(lambda settings: verdict(settings) is not None, give_up,
                             RetryPolicy(max_single_wait=self.options.poll_interval).backoff)
        except WorkflowError:
            raise
        except AutopilotError as exc:
            self._undecided("an earlier sync request", "%s, and reading the settings failed: %s"
                            % (then, exc.message.rstrip(".")), exc)
        return verdict(self.settings)

    def _retry_lost(self, lost_answers):
        """Sleep before sending the request again after Graph showed no trigger; else fail."""
        wait = RetryPolicy(max_retries=self.graph.max_retries).delay(lost_answers)
        if wait is None or wait >= self._remaining():
            self._fail("Gave up after %d sync requests, and the settings show no sync started by this task "
                       "(last manual trigger %s). The last one: %s"
                       % (lost_answers, format_timestamp(self.settings.last_manual_trigger) or "never",
                          self.lost.message), None, self.lost, attempts=lost_answers)
        self.clock.sleep(wait)

    def _request(self):
        """Send the sync request once: its SyncAnswer, or None when the answer was lost (then in self.lost)."""
        try:
            answer = self.graph.request_sync()
        except (GraphError, TransportError) as exc:
            if not answer_lost(exc):
                raise
            self.lost = exc
            return None
        self.refusal = answer.refusal
        return answer

    def _sync(self):
        lost_answers = 0
        while True:
            sent = self.clock.monotonic()
            answer = self._request()
            if answer is not None and answer.outcome == TRIGGERED:
                return self._triggered(sent if self.unsettled_since is None else self.unsettled_since)
            if answer is None:
                lost_answers += 1
                if self.unsettled_since is None:
                    self.unsettled_since = sent
                if self._shows_our_trigger():
                    return self._triggered(self.unsettled_since, read_since=True)
                self._retry_lost(lost_answers)
                continue
            if self.unsettled_since is not None:
                if self._refusal_was_ours(self.clock.monotonic(), answer.outcome):
                    return self._triggered(self.unsettled_since, read_since=True)
                self.unsettled_since = None  # Graph refused the lost request as well
            if answer.outcome == IN_PROGRESS:
                return self._in_progress()
            result = self._throttled(answer.retry_after)
            if result is not None:
                return result

    def run(self):
        """The module result; raises the collection's errors (the boundary adds ``kept()``)."""
        # wait: true reads first, so that a finished sync is told from the one before.
        if self.check_mode or self.options.skip_if_synced_within or self.options.wait:
            self.status_before = self._read().sync_status
            if self.settings.synced_within(self.options.skip_if_synced_within, self.clock.now()):
                return self._result(RECENTLY_SYNCED)
        if self.check_mode:
            return self._predict()
        return self._sync()
