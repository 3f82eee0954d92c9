# -*- coding: utf-8 -*-
# Copyright: intune.autopilot contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# FOR INTERNAL COLLECTION USE ONLY: the interfaces may change in any release.
"""What autopilot_device_import does: skip what is registered, import the rest in batches, see
the imports through, clean up, sync, and wait for the devices, all within one deadline.

Graph is the source of truth: an import whose answer was lost is decided by reading the batch's
records (by its importId) before anything is sent again, and a device counts as registered only
when Graph lists it.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import uuid
from collections import namedtuple

from ansible_collections.intune.autopilot.plugins.module_utils._autopilot._import_batch import Batch
from ansible_collections.intune.autopilot.plugins.module_utils._autopilot._import_outcomes import (
    FAILED,
    IMPORTED,
    RowOutcome,
    counts,
    registered,
    request_failed,
)
from ansible_collections.intune.autopilot.plugins.module_utils._autopilot._import_rows import batches
from ansible_collections.intune.autopilot.plugins.module_utils._autopilot._model import IN_PROGRESS
from ansible_collections.intune.autopilot.plugins.module_utils._autopilot._permissions import DEVICE_WRITE_ROLES
from ansible_collections.intune.autopilot.plugins.module_utils._autopilot._registered import find_registered
from ansible_collections.intune.autopilot.plugins.module_utils._autopilot._sync_workflow import (
    SyncOptions,
    SyncWorkflow,
)
from ansible_collections.intune.autopilot.plugins.module_utils._autopilot._waiting import poll_until
from ansible_collections.intune.autopilot.plugins.module_utils._base._errors import (
    AutopilotError,
    GraphError,
    TransportError,
    WorkflowError,
)
from ansible_collections.intune.autopilot.plugins.module_utils._client._retry import RetryPolicy

# The options of autopilot_device_import that steer the work, with the module's defaults.
ImportOptions = namedtuple("ImportOptions", ["batch_size", "sync", "wait", "wait_timeout", "poll_interval"],
                           defaults=(100, True, False, 1800, 10))

# Intune throttles bulk writes by the minute and its 429 carries no Retry-After: a throttled
# import or deletion is sent again after a growing pause (1-2, 2-4, 4-8 ... at most 60 s), until
# the deadline; max_retries does not bound it, wait_timeout does.
THROTTLE_BACKOFF = RetryPolicy(max_retries=0, base_delay=2.0)
# How many failed rows the task's message names.
_NAMED_FAILURES = 5


def _new_import_id():
    return str(uuid.uuid4())


class ImportWorkflow:
    """One autopilot_device_import task over checked ``rows``. ``run()`` returns the module result
    or raises WorkflowError carrying it (rows, counts, sync) when any row failed.

    ``check_sync(run)`` runs a check-mode sync prediction (the core judges the token's roles),
    ``forbidden(roles, action)`` predicts the import's 403 in check mode.
    """

    def __init__(self, graph, rows, options, clock, check_mode=False, new_import_id=_new_import_id,
                 check_sync=None, forbidden=None):
        self.graph = graph
        self.rows = rows
        self.options = options
        self.clock = clock
        self.check_mode = check_mode
        self.new_import_id = new_import_id
        self.check_sync = check_sync or (lambda run: run())
        self.forbidden = forbidden or (lambda roles, action: None)
        self.deadline = clock.monotonic() + options.wait_timeout
        graph.limit_retries_to(self.deadline)
        self.outcomes = {}  # row index -> RowOutcome, once known
        self.batches = []
        self.sync_result = None
        self.warnings = []
        self.failure = None  # the message of a failure that is not a row's (the sync, the wait)

    # -- results ------------------------------------------------------------------------------
    def _outcome(self, row):
        if row.index in self.outcomes:
            return self.outcomes[row.index]
        for batch in self.batches:
            if row in batch.rows:
                return batch.outcome(row)
        return None

    def _row_outcomes(self):
        found = []
        for row in self.rows:
            outcome = self._outcome(row)
            if outcome is None:  # a failure of the task left it unsettled
                outcome = RowOutcome(FAILED, error_name="NotSettled", error_message="The task ended before "
                                     "Intune's outcome for this device was known: %s" % self.failure)
            found.append((row, outcome))
        return found

    def _result(self):
        rows = self._row_outcomes()
        tally = counts([outcome for _row, outcome in rows])
        sync = self.sync_result
        result = {"changed": tally[IMPORTED] > 0 or bool(sync and sync.get("changed")),
                  "devices": [outcome.to_result(row.serial_number) for row, outcome in rows],
                  "counts": tally, "sync": sync, "graph_clock_offset": self.clock.offset_seconds()}
        if self.warnings:
            result["warnings"] = list(self.warnings)
        return result

    def _finish(self):
        result = self._result()
        failed = [row for row in result["devices"] if row["outcome"] == FAILED]
        if self.failure is None and not failed:
            return result
        messages = [self.failure] if self.failure else []
        if failed:
            named = "; ".join("%s: %s" % (row["serial_number"], row["error_message"] or row["error_name"])
                              for row in failed[:_NAMED_FAILURES])
            more = len(failed) - _NAMED_FAILURES
            messages.append("%d of %d devices failed to import (every row was processed; see devices): %s%s"
                            % (len(failed), len(self.rows), named, "; and %d more" % more if more > 0 else ""))
        raise WorkflowError(" ".join(messages), **result)

    # -- throttled writes ---------------------------------------------------------------------
    def _remaining(self):
        return self.deadline - self.clock.monotonic()

    def _throttle_pause(self, attempt, error):
        """Sleep before sending a throttled write again; False when that would pass the deadline."""
        wait = error.retry_after if error.retry_after is not None else THROTTLE_BACKOFF.backoff(attempt)
        if wait >= self._remaining():
            return False
        self.clock.sleep(wait)
        return True

    def _write(self, send):
        """``send()``, sent again after Intune's 429 until the deadline; raises the last error."""
        attempt = 0
        while True:
            try:
                return send()
            except GraphError as exc:
                if exc.status != 429:
                    raise
                attempt += 1
                if not self._throttle_pause(attempt, exc):
                    raise

    # -- importing one batch ------------------------------------------------------------------
    def _post(self, batch):
        """Import the batch's unsent rows once (Intune's 429 sent again until the deadline); a row the
        answer has no record for fails."""
        unsent = batch.unsent()
        batch.take(self._write(lambda: self.graph.import_devices([row.to_graph(batch.import_id) for row in unsent])))
        batch.fail_unsent(RowOutcome(FAILED, error_name="NoImportRecord", error_message=(
            "Graph answered the import request without an import record for this device.")))
        return True

    def _records_shown(self, batch):
        """After a lost answer: the batch's records as Graph shows them (read by importId); True when
        every row has one, None when some rows are still to be sent."""
        batch.take(self.graph.list_imports(batch.import_id))
        return True if not batch.unsent() else None

    def _send(self, batch):
        """Import the batch. An answer lost after sending is decided by reading the batch's records
        (its importId): only the rows Graph shows no record for are sent again, after backoff, at most
        max_retries times (the same rule as every write, DeviceGraph.settled_write). A request that
        fails otherwise fails the rows it was for, not the task."""
        try:
            self.graph.settled_write(lambda: self._post(batch), lambda: self._records_shown(batch),
                                     "the import of %d devices (importId %s)" % (len(batch.unsent()), batch.import_id),
                                     check="the device imports in Intune")
        except (GraphError, TransportError) as exc:
            if getattr(exc, "status", None) == 429:
                what = "Intune throttled the import request until wait_timeout=%ss ran out" % self.options.wait_timeout
            else:
                what = "the import request failed"
            batch.fail_unsent(request_failed(exc, what))

    # -- seeing the imports through -------------------------------------------------------------
    def _delete_records(self, batch):
        """Delete the batch's import records; one that cannot be deleted is a warning, not a failure."""
        undeleted, last = 0, None
        for record_id in batch.record_ids():
            try:
                self._write(lambda: self.graph.delete_import(record_id))
                batch.deleted.add(record_id)
            except AutopilotError as exc:
                undeleted, last = undeleted + 1, exc
        if undeleted:
            self.warnings.append(
                "%d import record(s) of importId %s could not be deleted (the last error: %s); their devices' "
                "outcomes are reported. Delete them in Intune, or they stay in the device import list."
                % (undeleted, batch.import_id, last.message))

    def _poll_round(self):
        """One paged read per batch still processed; the batches done are cleaned up."""
        for batch in [b for b in self.batches if b.waiting()]:
            batch.take(self.graph.list_imports(batch.import_id))
            if not batch.waiting():
                self._delete_records(batch)
        return [b for b in self.batches if b.waiting()]

    def _see_through(self):
        waiting = []
        for batch in self.batches:
            if batch.waiting():
                waiting.append(batch)
            else:
                self._delete_records(batch)
        if not waiting:
            return
        self.clock.sleep(max(0.0, min(self.options.poll_interval, self._remaining())))  # never done at once
        poll = poll_until(self.clock, self.deadline, self.options.poll_interval, self._poll_round,
                          lambda left: not left)
        if poll.done:
            return
        for batch in [b for b in self.batches if b.waiting()]:
            for row in batch.rows:
                if batch.outcome(row) is None:
                    self.outcomes[row.index] = RowOutcome(FAILED, error_name="ImportNotFinished", error_message=(
                        "Intune was still processing the import when wait_timeout=%ss ran out%s. Its import "
                        "record (importId %s) is kept; run the task again later."
                        % (self.options.wait_timeout, "; the last read failed: %s" % poll.error.message
                           if poll.error else "", batch.import_id)))

    # -- sync and wait --------------------------------------------------------------------------
    def _needing_sync(self):
        return [row for row in self.rows if getattr(self._outcome(row), "needs_sync", False)]

    def _sync_workflow(self, check_mode=False):
        waiting = self.options.wait
        options = SyncOptions(if_in_progress="wait" if waiting else "skip",
                              if_throttled="wait" if waiting else "skip", wait=waiting,
                              wait_timeout=self.options.wait_timeout, poll_interval=self.options.poll_interval)
        return SyncWorkflow(self.graph, options, self.clock, check_mode=check_mode, deadline=self.deadline)

    def _sync(self, rows):
        """The same sync as autopilot_sync. With wait, a sync that was already running is waited for
        and, when it did not list the devices (it may have started before the imports completed),
        one of our own is triggered."""
        result = self._sync_workflow().run()
        if self.options.wait and result.get("outcome") == IN_PROGRESS and not self._all_listed(rows):
            result = self._sync_workflow().run()
        return result

    def _all_listed(self, rows):
        return len(find_registered(self.graph, [row.serial_number for row in rows])) == len(rows)

    def _run_sync(self, rows):
        try:
            self.sync_result = self._sync(rows)
        except WorkflowError as exc:
            self.sync_result = dict(exc.result)
            self.failure = "The devices were imported, but the sync failed: %s" % exc.message
        except AutopilotError as exc:
            self.sync_result = {"changed": False, "error": exc.details}
            self.failure = "The devices were imported, but the sync could not be requested: %s" % exc.message
        self.warnings.extend(self.sync_result.pop("warnings", None) or ())

    def _wait_listed(self, rows):
        """Until Graph lists every imported serial as a device identity: one listing per poll."""
        serials = [row.serial_number for row in rows]
        poll = poll_until(self.clock, self.deadline, self.options.poll_interval,
                          lambda: find_registered(self.graph, serials), lambda found: len(found) == len(rows))
        found = poll.value or {}
        for row in rows:
            if row.key in found:
                self._outcome(row).device_id = found[row.key]["id"]
        if not poll.done:
            missing = [row.serial_number for row in rows if row.key not in found]
            self.failure = ("Gave up after wait_timeout=%ss waiting for %d imported device(s) to be listed as "
                            "Windows Autopilot devices (%s%s)%s; they are imported and appear after a sync."
                            % (self.options.wait_timeout, len(missing), ", ".join(missing[:_NAMED_FAILURES]),
                               ", ..." if len(missing) > _NAMED_FAILURES else "",
                               "; the last read failed: %s" % poll.error.message if poll.error else ""))

    # -- check mode -------------------------------------------------------------------------------
    def _predict(self, to_import):
        if to_import:
            forbidden = self.forbidden(DEVICE_WRITE_ROLES, "importing devices")
            if forbidden is not None:
                raise forbidden
        for row in to_import:
            self.outcomes[row.index] = RowOutcome(IMPORTED, needs_sync=True)
        if self.options.sync and to_import:
            try:
                self.sync_result = self.check_sync(self._sync_workflow(check_mode=True).run)
            except WorkflowError as exc:
                self.sync_result = dict(exc.result)
                self.failure = "The sync after the import would fail: %s" % exc.message
            self.warnings.extend(self.sync_result.pop("warnings", None) or ())
        return self._finish()

    # -- the task -----------------------------------------------------------------------------------
    def run(self):
        found = find_registered(self.graph, [row.serial_number for row in self.rows]) if self.rows else {}
        for row in self.rows:
            if row.key in found:
                self.outcomes[row.index] = registered(found[row.key]["id"])
        to_import = [row for row in self.rows if row.index not in self.outcomes]
        if self.check_mode:
            return self._predict(to_import)
        self.batches = [Batch(chunk, self.new_import_id()) for chunk in batches(to_import, self.options.batch_size)]
        try:
            for batch in self.batches:
                self._send(batch)
            self._see_through()
        except AutopilotError as exc:
            # A read that cannot go on (403, a malformed answer): every row processed so far is reported.
            self.failure = exc.message
            return self._finish()
        to_sync = self._needing_sync()
        if self.options.sync and to_sync:
            self._run_sync(to_sync)
        if self.options.wait and to_sync and self.failure is None:
            self._wait_listed(to_sync)
        return self._finish()
