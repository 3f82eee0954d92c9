# -*- coding: utf-8 -*-
# Copyright: intune.autopilot contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# FOR INTERNAL COLLECTION USE ONLY: the interfaces may change in any release.
"""What autopilot_device does: find the device, change only what differs (or delete it), and
optionally wait until Graph shows it, all within one deadline.

Graph shows updates and deletions late, so without waiting the device returned
is Graph's latest read, which may not show the change yet.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from collections import namedtuple

from ansible_collections.intune.autopilot.plugins.module_utils._autopilot._devices import (
    diff,
    managed_properties,
    shows_changes,
    wanted_changes,
)
from ansible_collections.intune.autopilot.plugins.module_utils._autopilot._permissions import (
    DEVICE_WRITE_ROLES,
    predicted_forbidden,
)
from ansible_collections.intune.autopilot.plugins.module_utils._autopilot._waiting import poll_until
from ansible_collections.intune.autopilot.plugins.module_utils._base._errors import AutopilotError, WorkflowError

# The options of autopilot_device; ``wanted`` holds group_tag, display_name, user_principal_name (None:
# leave alone).
DeviceOptions = namedtuple("DeviceOptions", ["device_id", "serial_number", "state", "wanted", "wait",
                                             "wait_timeout", "poll_interval"])


class DeviceWorkflow:
    """One autopilot_device task; ``run()`` returns the result or raises (WorkflowError with a result)."""

    def __init__(self, graph, client, options, check_mode=False):
        self.graph = graph
        self.client = client
        self.options = options
        self.check_mode = check_mode
        self.clock = graph.clock
        self.deadline = self.clock.monotonic() + options.wait_timeout
        graph.limit_retries_to(self.deadline)
        self.warnings = []

    @property
    def _named(self):
        if self.options.device_id:
            return "id %s" % self.options.device_id
        return "serial number %s" % self.options.serial_number

    def _result(self, changed, change_diff, device=None):
        result = dict(changed=changed, diff=change_diff, graph_clock_offset=self.clock.offset_seconds())
        if device is not None:
            result["device"] = device
        if self.warnings:
            result["warnings"] = self.warnings
        return result

    def _find(self):
        devices = self.graph.find_devices(self.options.device_id, self.options.serial_number)
        if len(devices) > 1:
            raise WorkflowError(
                "%d Windows Autopilot devices have %s (ids %s); name the one to manage with id."
                % (len(devices), self._named, ", ".join(d["id"] for d in devices)), changed=False)
        return devices[0] if devices else None

    def _predict_forbidden(self, action):
        forbidden = predicted_forbidden(self.client, DEVICE_WRITE_ROLES, action)
        if forbidden is not None:
            raise forbidden

    def _wait_for(self, device_id, done, waiting_for, change_diff):
        """The device as Graph shows it once ``done(device)``; without wait, Graph's next read."""
        def read():
            return self.graph.get_device(device_id)

        if not self.options.wait:
            try:
                return read()
            except AutopilotError as exc:
                self.warnings.append("Graph accepted the change, but reading the device afterwards failed: %s"
                                     % exc.message)
                return None
        poll = poll_until(self.clock, self.deadline, self.options.poll_interval, read, done)
        if poll.done:
            return poll.value
        last = ("the last read failed: %s" % poll.error.message.rstrip(".")) if poll.error is not None \
            else "Graph accepted it but does not show it yet"
        raise WorkflowError("Gave up after wait_timeout=%ss waiting for %s; %s." % (
            self.options.wait_timeout, waiting_for, last), **self._result(True, change_diff, poll.value))

    def _present(self, device):
        changes = wanted_changes(device, self.options.wanted)
        change_diff = diff(device, changes)
        if not changes:
            return self._result(False, change_diff, device)
        if self.check_mode:
            self._predict_forbidden("changing a Windows Autopilot device")
            return self._result(True, change_diff, device)
        self.graph.update_device(device["id"], changes)
        shown = self._wait_for(device["id"], lambda d: d is not None and shows_changes(d, changes),
                               "Graph to show the change of device %s" % device["id"], change_diff)
        return self._result(True, change_diff, shown or device)

    def _absent(self, device):
        if device is None:
            return self._result(False, {"before": {}, "after": {}})
        change_diff = {"before": managed_properties(device), "after": {}}
        if self.check_mode:
            self._predict_forbidden("deleting a Windows Autopilot device")
            return self._result(True, change_diff)
        deleted = self.graph.delete_device(device["id"])
        if not deleted:  # Graph had accepted its deletion before; it still showed it
            change_diff = {"before": {}, "after": {}}
        if self.options.wait:
            self._wait_for(device["id"], lambda d: d is None, "Graph to stop showing device %s" % device["id"],
                           change_diff)
        return self._result(deleted, change_diff)

    def run(self):
        device = self._find()
        if self.options.state == "absent":
            return self._absent(device)
        if device is None:
            raise WorkflowError(
                "No Windows Autopilot device with %s is registered in this tenant. Import its hardware hash "
                "with intune.autopilot.autopilot_device_import (a sync makes it a device), then run this "
                "task again." % self._named, changed=False)
        return self._present(device)
