# -*- coding: utf-8 -*-
# Copyright: intune.autopilot contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# FOR INTERNAL COLLECTION USE ONLY: the interfaces may change in any release.
"""Which serial numbers Graph lists as Windows Autopilot device identities of the tenant.

Few serials are looked up one filtered read each (``contains(serialNumber,'X')``: one request
per serial, whatever the tenant's size); more are found in one listing of every device, whose
pages (devices / page size) do not grow with the serials. Ten filtered reads cost what one
listing of a tenant of ten pages costs (1,000 devices at Graph's 100 per page), so past ten
serials the listing costs less in all but the largest tenants, and for a bulk import (hundreds
of serials) far less.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.intune.autopilot.plugins.module_utils._autopilot._devices import (
    serial_filter,
    serial_key,
)

FILTERED_LOOKUP_MAX = 10


def find_registered(graph, serials):
    """{serial key: device result dict} of the ``serials`` Graph lists now (exact match, ignoring case)."""
    wanted = dict((serial_key(serial), serial) for serial in serials)
    found = {}
    if len(wanted) <= FILTERED_LOOKUP_MAX:
        listings = [graph.list_devices(serial_filter(serial)) for serial in wanted.values()]
    else:
        listings = [graph.list_devices()]
    for listing in listings:
        for device in listing:  # one page in memory at a time; only the matches are kept
            key = serial_key(device["serial_number"])
            if key in wanted:
                found[key] = device
    return found
