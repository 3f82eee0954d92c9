# -*- coding: utf-8 -*-
# Copyright: intune.autopilot contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# FOR INTERNAL COLLECTION USE ONLY: the interfaces may change in any release.
"""What became of each imported row: an import record's state as an outcome, the rows of the
result and their counts. Pure logic, no I/O.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

IMPORTED = "imported"
ALREADY_REGISTERED = "already_registered"
FAILED = "failed"
OUTCOMES = (IMPORTED, ALREADY_REGISTERED, FAILED)

# Intune's deviceErrorCode for a hardware hash already registered in this tenant: not a failure.
ALREADY_ASSIGNED = 806
# What to do about an error Intune names.
_HINTS = {808: " The device is registered in another tenant: it must be deregistered there (or by the OEM or "
               "partner that registered it) before this tenant can import it."}
# deviceImportStatus values that end an import record's processing.
COMPLETE = "complete"
ERROR = "error"


class RowOutcome:
    """The end of one row: ``outcome`` and, where known, the device id and Intune's error."""

    __slots__ = ("outcome", "device_id", "error_code", "error_name", "error_message", "needs_sync")

    def __init__(self, outcome, device_id=None, error_code=None, error_name=None, error_message=None,
                 needs_sync=False):
        self.outcome = outcome
        self.device_id = device_id
        self.error_code = error_code
        self.error_name = error_name
        self.error_message = error_message
        # Registered in Intune by an import but not yet a device identity: shown after a sync.
        self.needs_sync = needs_sync

    def to_result(self, serial_number):
        return {"serial_number": serial_number, "outcome": self.outcome, "device_id": self.device_id,
                "error_code": self.error_code, "error_name": self.error_name,
                "error_message": self.error_message}


def registered(device_id):
    """A serial Graph already lists as a device identity of this tenant: nothing to import."""
    return RowOutcome(ALREADY_REGISTERED, device_id=device_id)


def request_failed(error, what):
    """The rows of an import request that failed as a whole (refused, throttled past the deadline,
    an answer lost and not settled by reading, no connection): the HTTP status as error_code."""
    return RowOutcome(FAILED, error_code=getattr(error, "status", None),
                      error_name=getattr(error, "code", None) or type(error).__name__,
                      error_message="%s: %s" % (what, error.message))


def _code(value):
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def record_outcome(state):
    """The RowOutcome of an import record whose processing ended (``state``: its Graph ``state``
    object); None while Intune still processes it (``unknown``, ``pending``, or a status this
    collection does not know)."""
    status = state.get("deviceImportStatus")
    if status == COMPLETE:
        return RowOutcome(IMPORTED, device_id=state.get("deviceRegistrationId") or None, needs_sync=True)
    if status != ERROR:
        return None
    code, name = _code(state.get("deviceErrorCode")), state.get("deviceErrorName") or None
    if code == ALREADY_ASSIGNED:
        # Registered in this tenant, yet not listed as a device (listed ones are never sent):
        # an earlier import that a sync has not shown yet.
        return RowOutcome(ALREADY_REGISTERED, error_code=code, error_name=name, needs_sync=True)
    return RowOutcome(FAILED, error_code=code, error_name=name,
                      error_message="Intune refused the import: %s (%s).%s"
                      % (name or "unknown error", code, _HINTS.get(code, "")))


def best_outcome(outcomes):
    """One row's outcome from its records' (a lost answer may leave two records for one serial):
    an import that completed wins, then 806, then the first error."""
    for wanted in (IMPORTED, ALREADY_REGISTERED):
        for outcome in outcomes:
            if outcome.outcome == wanted:
                return outcome
    return outcomes[0]


def counts(outcomes):
    """{outcome: how many rows} for every outcome, zeros included."""
    found = dict((name, 0) for name in OUTCOMES)
    for outcome in outcomes:
        found[outcome.outcome] += 1
    return found
