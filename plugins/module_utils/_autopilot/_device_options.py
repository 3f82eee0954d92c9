# -*- coding: utf-8 -*-
# Copyright: intune.autopilot contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# FOR INTERNAL COLLECTION USE ONLY: the interfaces may change in any release.
"""The options that name Autopilot devices (serial_number, id, group_tag), checked before any request."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.intune.autopilot.plugins.module_utils._base._errors import ConfigurationError
from ansible_collections.intune.autopilot.plugins.module_utils._base._formats import guid

IDENTITY_OPTIONS = dict(
    serial_number=dict(type="str"),
    id=dict(type="str"),
)


def exclusive(params, option, others):
    """Fail when ``option`` is set together with any of ``others``."""
    given = [name for name in others if params.get(name) is not None]
    if params.get(option) is not None and given:
        raise ConfigurationError(option, "%s and %s are mutually exclusive: give one of them."
                                 % (option, " and ".join(given)))


def device_id(params):
    """The ``id`` option as a lower-case GUID, or None when not given."""
    value = params.get("id")
    if value is None:
        return None
    if not guid(value.strip()):
        raise ConfigurationError("id", "id must be the GUID of a Windows Autopilot device (as "
                                       "intune.autopilot.autopilot_device_info returns it), got %r." % value)
    return guid(value.strip())


def serial_number(params):
    """The ``serial_number`` option without surrounding blanks, or None when not given."""
    value = params.get("serial_number")
    if value is None:
        return None
    if not value.strip():
        raise ConfigurationError("serial_number", "serial_number must not be empty.")
    return value.strip()
