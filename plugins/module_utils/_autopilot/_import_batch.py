# -*- coding: utf-8 -*-
# Copyright: intune.autopilot contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# FOR INTERNAL COLLECTION USE ONLY: the interfaces may change in any release.
"""One import request's rows and the import records Graph created for them. Pure bookkeeping.

Every record sent in one batch carries the batch's own importId, so its records can be found by
reading (``importId eq '<id>'``) after an answer was lost, and read back with one paged read per
poll. A record counts for the row with its serial number; a lost answer followed by a second
request may leave two records for one row (see _import_outcomes.best_outcome).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.intune.autopilot.plugins.module_utils._autopilot._devices import serial_key
from ansible_collections.intune.autopilot.plugins.module_utils._autopilot._import_outcomes import (
    FAILED,
    RowOutcome,
    best_outcome,
    record_outcome,
)


class Batch:
    def __init__(self, rows, import_id):
        self.rows = rows
        self.import_id = import_id
        self._keys = set(row.key for row in rows)
        self.record_rows = {}  # record id -> row key (None: a record of ours for no row)
        self.record_states = {}  # record id -> RowOutcome, None while Intune processes it
        self.failed = {}  # row key -> RowOutcome: the request for that row failed as a whole
        self.deleted = set()  # record ids deleted by this task

    def take(self, records):
        """Learn from records Graph shows for this batch (the import's answer, or a read by importId)."""
        for record in records:
            key = serial_key(record["serial_number"])
            self.record_rows[record["id"]] = key if key in self._keys else None
            self.record_states[record["id"]] = record_outcome(record["state"])

    def _keys_with_records(self):
        return set(self.record_rows.values())

    def unsent(self):
        """The rows with neither a record nor a failure: still to be imported."""
        having = self._keys_with_records()
        return [row for row in self.rows if row.key not in having and row.key not in self.failed]

    def fail_unsent(self, outcome):
        for row in self.unsent():
            self.failed[row.key] = outcome

    def waiting(self):
        """True while any record of this batch is still processed by Intune."""
        return any(state is None for state in self.record_states.values())

    def record_ids(self):
        return list(self.record_rows)

    def outcome(self, row):
        """The row's RowOutcome; None while one of its records is still processed."""
        if row.key in self.failed:
            return self.failed[row.key]
        states = [self.record_states[rid] for rid, key in self.record_rows.items() if key == row.key]
        if not states:
            return RowOutcome(FAILED, error_name="NoImportRecord",
                              error_message="Graph created no import record for this device.")
        if any(state is None for state in states):
            return None
        return best_outcome(states)
