# -*- coding: utf-8 -*-
# Copyright: intune.autopilot contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# FOR INTERNAL COLLECTION USE ONLY: the interfaces may change in any release.
"""The Windows Autopilot device import calls on Graph: import, read a batch's records, delete one.

The transport never sends an import again once it may have reached Intune (a 5xx, a reset or a
read timeout after sending): the import workflow finds the batch's records by their importId
first. Intune's 429 on an import or a deletion refused it, and the workflow sends it again after
backoff within the task's deadline.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from urllib.parse import quote

from ansible_collections.intune.autopilot.plugins.module_utils._autopilot._api import malformed, object_body
from ansible_collections.intune.autopilot.plugins.module_utils._autopilot._device_api import (
    DeviceGraph,
    iter_collection,
)
from ansible_collections.intune.autopilot.plugins.module_utils._autopilot._devices import odata_string
from ansible_collections.intune.autopilot.plugins.module_utils._autopilot._model import (
    MalformedProperty,
    text_property,
)
from ansible_collections.intune.autopilot.plugins.module_utils._autopilot._permissions import (
    DEVICE_READ_HINTS,
    DEVICE_WRITE_HINTS,
)
from ansible_collections.intune.autopilot.plugins.module_utils._client._retry import RetryPolicy

IMPORTS_PATH = "deviceManagement/importedWindowsAutopilotDeviceIdentities"
IMPORT_PATH = IMPORTS_PATH + "/import"
_WHAT = "Windows Autopilot device import records"


def import_record(item):
    """An importedWindowsAutopilotDeviceIdentity as {id, serial_number, state}: the hardware hash
    Graph echoes in the import's answer is not kept."""
    if not isinstance(item, dict):
        raise MalformedProperty("importedWindowsAutopilotDeviceIdentity", item, "not a JSON object")
    state = item.get("state")
    if not isinstance(state, dict):
        raise MalformedProperty("state", state, None if state is None else "not a JSON object")
    return {"id": text_property(item, "id"), "serial_number": text_property(item, "serialNumber"),
            "state": dict((k, state.get(k)) for k in ("deviceImportStatus", "deviceRegistrationId",
                                                      "deviceErrorCode", "deviceErrorName"))}


def import_id_filter(import_id):
    return "importId eq %s" % odata_string(import_id)


class ImportGraph(DeviceGraph):
    """The device operations of one tenant, imports included."""

    def __init__(self, client, max_retries):
        super(ImportGraph, self).__init__(client, max_retries)
        # Only a failure to connect at all, which sent nothing, is retried by the transport.
        self._import_retry = RetryPolicy(max_retries=max_retries, statuses=(), connection_errors=False)
        # A DELETE may be sent again (a record already deleted answers 404); 429 is the workflow's.
        self._delete_retry = RetryPolicy(max_retries=max_retries, statuses=(503, 504))

    def import_devices(self, records):
        """POST one batch; -> the created records (import_record dicts), in Graph's order."""
        response = self._client.post(IMPORT_PATH, body={"importedWindowsAutopilotDeviceIdentities": records},
                                     retry=self._import_retry, hints=DEVICE_WRITE_HINTS)
        body = object_body(response, "the created import records")
        try:
            value = body.get("value")
            if not isinstance(value, list):
                raise MalformedProperty("value", value, "not a list")
            return [import_record(item) for item in value]
        except MalformedProperty as exc:
            raise malformed("the answer to a device import", exc, response)

    def list_imports(self, import_id):
        """The import records of one batch (sent with this ``import_id``): one paged read."""
        return list(iter_collection(self._client, IMPORTS_PATH, import_record, _WHAT,
                                    params={"$filter": import_id_filter(import_id)}, hints=DEVICE_READ_HINTS))

    def delete_import(self, record_id):
        """DELETE one import record; False when Graph has it no more (404)."""
        response = self._client.call("DELETE", "%s/%s" % (IMPORTS_PATH, quote(record_id, safe="")),
                                     retry=self._delete_retry, accept=(404,), hints=DEVICE_WRITE_HINTS)
        return response.status != 404
