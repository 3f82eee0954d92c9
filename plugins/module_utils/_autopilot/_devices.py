# -*- coding: utf-8 -*-
# Copyright: intune.autopilot contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# FOR INTERNAL COLLECTION USE ONLY: the interfaces may change in any release.
"""Windows Autopilot device identities, pure logic: Graph's JSON to results, serial matching,
the OData filters, and what autopilot_device has to change.

No I/O here. Results use the snake_case keys of autopilot_device_info.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.intune.autopilot.plugins.module_utils._autopilot._model import (
    MalformedProperty,
    format_timestamp,
    text_property,
    timestamp_property,
)

DEVICES_PATH = "deviceManagement/windowsAutopilotDeviceIdentities"

# Graph writes "not enrolled yet" as the zero GUID; like "never" for timestamps, it becomes null.
ZERO_GUID = "00000000-0000-0000-0000-000000000000"

# result key -> Graph property (text values, as Graph sends them)
_TEXT = (
    ("id", "id"),
    ("serial_number", "serialNumber"),
    ("group_tag", "groupTag"),
    ("display_name", "displayName"),
    ("manufacturer", "manufacturer"),
    ("model", "model"),
    ("enrollment_state", "enrollmentState"),
    ("deployment_profile_assignment_status", "deploymentProfileAssignmentStatus"),
    ("user_principal_name", "userPrincipalName"),
)
_TIMESTAMPS = (("last_contacted_date_time", "lastContactedDateTime"),)
# Graph has sent the Entra device id under both names; the documented one first.
_GUIDS = (("azure_ad_device_id", ("azureActiveDirectoryDeviceId", "azureAdDeviceId")),
          ("managed_device_id", ("managedDeviceId",)))
_REQUIRED = ("id", "serialNumber")

RESULT_KEYS = tuple(pair[0] for pair in _TEXT + _TIMESTAMPS + _GUIDS)

# What autopilot_device manages: result key -> the updateDeviceProperties parameter.
MANAGED = (("group_tag", "groupTag"), ("display_name", "displayName"),
           ("user_principal_name", "userPrincipalName"))


def device_path(device_id):
    return "%s/%s" % (DEVICES_PATH, device_id)


def device_result(body):
    """A windowsAutopilotDeviceIdentity (Graph's JSON object) as a result dict.

    Raises MalformedProperty naming the property and value that cannot be used;
    properties Graph leaves out (a newer or older API) become null, except
    ``id`` and ``serialNumber``, without which a device cannot be told apart.
    """
    if not isinstance(body, dict):
        raise MalformedProperty("windowsAutopilotDeviceIdentity", body, "not a JSON object")
    result = {}
    for key, name in _TEXT:
        result[key] = text_property(body, name, required=name in _REQUIRED)
    for key, name in _TIMESTAMPS:
        result[key] = format_timestamp(timestamp_property(body, name, required=False))
    for key, names in _GUIDS:
        name = next((n for n in names if n in body), names[0])
        value = text_property(body, name, required=False)
        result[key] = None if not value or value == ZERO_GUID else value
    return result


def serial_key(serial):
    """A serial number as Intune compares it (ignoring case and surrounding blanks): a dict key."""
    return (serial or "").strip().upper()


def serial_matches(serial, wanted):
    """Serial numbers compare as Intune does: exact, ignoring case and surrounding blanks."""
    return serial_key(serial) == serial_key(wanted) and bool(serial_key(wanted))


def odata_string(value):
    """An OData string literal: quoted, an embedded quote doubled."""
    return "'%s'" % value.replace("'", "''")


def serial_filter(serial):
    """Graph's filter for a serial (a substring match; exact matching is ours)."""
    return "contains(serialNumber,%s)" % odata_string(serial.strip())


def group_tag_filter(group_tag):
    return "groupTag eq %s" % odata_string(group_tag)


def device_filter(serial_number=None, group_tag=None):
    """The one $filter clause to send, or None: Intune takes a single clause; a serial narrows most."""
    if serial_number:
        return serial_filter(serial_number)
    if group_tag is not None:
        return group_tag_filter(group_tag)
    return None


def device_matches(device, serial_number=None, group_tag=None):
    """Exact match on our side of what Graph's filter only narrowed (``device``: a result dict).

    Serials compare ignoring case; a group tag compares exactly (an empty one matches no tag).
    """
    if serial_number and not serial_matches(device["serial_number"], serial_number):
        return False
    return group_tag is None or (device["group_tag"] or "") == group_tag


def managed_properties(device):
    """The properties autopilot_device manages, as a diff side: missing text counts as ""."""
    return dict((key, device.get(key) or "") for key, _graph_name in MANAGED)


def wanted_changes(device, wanted):
    """{result key: new value} for what ``wanted`` sets (None = leave alone) and ``device`` lacks."""
    current = managed_properties(device)
    return dict((key, wanted[key]) for key, _graph_name in MANAGED
                if wanted.get(key) is not None and wanted[key] != current[key])


def shows_changes(device, changes):
    """True when ``device`` (as Graph shows it now) has every one of ``changes``."""
    return not wanted_changes(device, changes)


def update_body(changes):
    """The updateDeviceProperties body that sets ``changes`` ({result key: value} of MANAGED)."""
    return dict((name, changes[key]) for key, name in MANAGED if key in changes)


def split_unassign(changes):
    """(the changes for updateDeviceProperties, whether to call unassignUserFromDevice): an empty
    user_principal_name means no user, which the unassign action does."""
    unassign = changes.get("user_principal_name") == ""
    rest = dict((k, v) for k, v in changes.items() if not (unassign and k == "user_principal_name"))
    return rest, unassign


def diff(device, changes):
    """Ansible's diff: the managed properties before and after ``changes``."""
    before = managed_properties(device)
    return {"before": before, "after": dict(before, **changes)}
