# -*- coding: utf-8 -*-
# Copyright: intune.autopilot contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# FOR INTERNAL COLLECTION USE ONLY: the interfaces may change in any release.
"""The Windows Autopilot device calls on Graph: paged reads, one device, its changes and deletion.

Reads are retried by the transport (429/503/504, connection failures). A write
is sent again only after Graph's state has been read: its answer may have been
lost after Graph acted (a 5xx, a reset, a cut-off answer), and reading decides.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from urllib.parse import quote

from ansible_collections.intune.autopilot.plugins.module_utils._autopilot._api import (
    AutopilotGraph,
    malformed,
    object_body,
)
from ansible_collections.intune.autopilot.plugins.module_utils._autopilot._devices import (
    DEVICES_PATH,
    device_filter,
    device_matches,
    device_path,
    device_result,
    shows_changes,
    split_unassign,
    update_body,
)
from ansible_collections.intune.autopilot.plugins.module_utils._autopilot._model import MalformedProperty
from ansible_collections.intune.autopilot.plugins.module_utils._autopilot._permissions import (
    DEVICE_READ_HINTS,
    DEVICE_WRITE_HINTS,
)
from ansible_collections.intune.autopilot.plugins.module_utils._base._errors import (
    AutopilotError,
    GraphError,
    TransportError,
    answer_lost,
)
from ansible_collections.intune.autopilot.plugins.module_utils._client._retry import RetryPolicy

DEVICE_NOT_FOUND = ("Graph has no Windows Autopilot device with this id in the tenant: it was deleted, or "
                    "never registered (import its hardware hash with intune.autopilot.autopilot_device_import)")
_READ_HINTS = dict(DEVICE_READ_HINTS)
_READ_HINTS[404] = DEVICE_NOT_FOUND
# What to look at when a write's answer was lost and reading Graph failed too.
DEVICE_CHECK = "the device with intune.autopilot.autopilot_device_info"
_WRITE_HINTS = dict(DEVICE_WRITE_HINTS)
_WRITE_HINTS[404] = DEVICE_NOT_FOUND


def iter_collection(client, path, parse, what, params=None, hints=None):
    """Every item of a Graph collection, parsed, one page in memory at a time.

    Follows ``@odata.nextLink`` (absolute, on graph_endpoint's host only) until
    there is none; assumes no page size. ``parse(item)`` may raise
    MalformedProperty, which becomes a GraphError naming ``what`` and the
    page's request-id.
    """
    response = client.get(path, params=params, hints=hints)
    followed = set()
    while True:
        body = object_body(response, "a page of %s" % what)
        try:
            if not isinstance(body.get("value"), list):
                raise MalformedProperty("value", body.get("value"), "not a list" if "value" in body else None)
            items = body["value"]
            parsed = [parse(item) for item in items]
        except MalformedProperty as exc:
            raise malformed(what, exc, response)
        yield from parsed
        link = body.get("@odata.nextLink")
        if not link:
            return
        if link in followed:
            raise GraphError("Microsoft Graph's @odata.nextLink for %s led back to a page already read; the "
                             "listing stopped instead of looping. Run the task again later." % what,
                             code="NextLinkLoop", request_id=response.request_id)
        followed.add(link)
        response = client.follow(link, hints=hints)


class DeviceGraph(AutopilotGraph):
    """The Autopilot operations of one tenant, devices included (the settings and sync calls too)."""

    def __init__(self, client, max_retries):
        super(DeviceGraph, self).__init__(client, max_retries)
        # Intune's 429 on a write refused it (nothing done): safe to send again after backoff. Any
        # other failure after sending may hide an acted write: settled_write decides by reading.
        self._write_retry = RetryPolicy(max_retries=max_retries, statuses=(429,), connection_errors=False)
        self.deadline = None

    def limit_retries_to(self, deadline):
        super(DeviceGraph, self).limit_retries_to(deadline)
        self.deadline = deadline

    # -- reads ------------------------------------------------------------
    def list_devices(self, odata_filter=None):
        """Result dicts of the devices Graph lists (narrowed by ``odata_filter``, a $filter), a generator."""
        return iter_collection(self._client, DEVICES_PATH, device_result, "Windows Autopilot devices",
                               params={"$filter": odata_filter} if odata_filter else None,
                               hints=DEVICE_READ_HINTS)

    def get_device(self, device_id):
        """The device's result dict as Graph shows it now; None when Graph has no such device."""
        response = self._client.get(_path(device_id), accept=(404,), hints=_READ_HINTS)
        if response.status == 404:
            return None
        try:
            return device_result(object_body(response, "a Windows Autopilot device"))
        except MalformedProperty as exc:
            raise malformed("a Windows Autopilot device", exc, response)

    def find_devices(self, device_id=None, serial_number=None, group_tag=None):
        """The devices these name, exactly: by id (none or one), else listed with Graph's filter and
        matched on our side (Graph's serial filter is a substring match)."""
        if device_id is not None:
            device = self.get_device(device_id)
            return [device] if device is not None and device_matches(device, serial_number, group_tag) else []
        return [device for device in self.list_devices(device_filter(serial_number, group_tag))
                if device_matches(device, serial_number, group_tag)]

    # -- writes -----------------------------------------------------------
    def update_device(self, device_id, changes):
        """Apply ``changes`` ({result key: value} of _devices.MANAGED): updateDeviceProperties for what
        it sets, unassignUserFromDevice for an empty user_principal_name."""
        properties, unassign = split_unassign(changes)
        if properties:
            self.update_device_properties(device_id, properties)
        if unassign:
            self.unassign_user(device_id)

    def update_device_properties(self, device_id, changes):
        """POST updateDeviceProperties setting ``changes`` ({result key: value} of _devices.MANAGED)."""
        self.settled_write(lambda: self._action(device_id, "updateDeviceProperties", update_body(changes)),
                           self._showing(device_id, changes), "the update of device %s" % device_id)

    def assign_user(self, device_id, user_principal_name):
        self.settled_write(lambda: self._action(device_id, "assignUserToDevice",
                                                {"userPrincipalName": user_principal_name}),
                           self._showing(device_id, {"user_principal_name": user_principal_name}),
                           "the user assignment of device %s" % device_id)

    def unassign_user(self, device_id):
        self.settled_write(lambda: self._action(device_id, "unassignUserFromDevice", {}),
                           self._showing(device_id, {"user_principal_name": ""}),
                           "the user unassignment of device %s" % device_id)

    def delete_device(self, device_id):
        """DELETE the device: True when this call deleted it, False when Graph says it is already gone
        (404: deleted earlier, perhaps not shown yet)."""
        lost = []

        def send():
            response = self._client.call("DELETE", _path(device_id), retry=self._write_retry, accept=(404,),
                                         hints=_WRITE_HINTS)
            # After a lost answer, a 404 is our own earlier DELETE taking effect.
            return response.status != 404 or bool(lost)

        def gone():
            lost.append(True)
            return True if self.get_device(device_id) is None else None

        return self.settled_write(send, gone, "the deletion of device %s" % device_id)

    # -- helpers ------------------------------------------------------------
    def _action(self, device_id, action, body):
        self._client.post("%s/%s" % (_path(device_id), action), body=body, retry=self._write_retry,
                          hints=_WRITE_HINTS)
        return True

    def _showing(self, device_id, changes):
        """A read that settles a lost write: True when Graph shows ``changes``, None when it does not
        (yet); a device gone meanwhile is the 404 the write would have met."""
        def read():
            device = self.get_device(device_id)
            if device is None:
                raise GraphError("Graph answered 404 for device %s. %s." % (device_id, DEVICE_NOT_FOUND),
                                 status=404, code="ResourceNotFound")
            return True if shows_changes(device, changes) else None
        return read

    def settled_write(self, send, settled, what, check=DEVICE_CHECK):
        """``send()`` once; after a lost answer read (``settled()``: a result, or None when Graph shows
        nothing yet) and send again only then, with backoff, at most max_retries times, never past
        the deadline. ``check`` says what to look at when the read fails too."""
        lost_answers = 0
        while True:
            try:
                return send()
            except (GraphError, TransportError) as exc:
                if not answer_lost(exc):
                    raise
                lost = exc
            lost_answers += 1
            try:
                outcome = settled()
            except AutopilotError as exc:
                if isinstance(exc, GraphError) and exc.status == 404:
                    raise
                raise GraphError(
                    "Could not tell whether Graph carried out %s: its answer was lost (%s), and reading what "
                    "Graph shows failed: %s Check %s before running the task again."
                    % (what, lost.message.rstrip("."), exc.message, check),
                    **_details(exc))
            if outcome is not None:
                return outcome
            wait = RetryPolicy(max_retries=self.max_retries).delay(lost_answers)
            if wait is None or (self.deadline is not None and self.clock.monotonic() + wait >= self.deadline):
                raise GraphError(
                    "Gave up on %s after %d request(s) whose answers were lost; Graph does not show the "
                    "change. The last one: %s" % (what, lost_answers, lost.message), **_details(lost))
            self.clock.sleep(wait)


def _path(device_id):
    return device_path(quote(device_id, safe=""))


def _details(exc):
    keys = ("status", "code", "request_id", "client_request_id", "date")
    return dict((k, exc.details.get(k)) for k in keys)
