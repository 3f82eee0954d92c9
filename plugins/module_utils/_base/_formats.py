# -*- coding: utf-8 -*-
# Copyright: intune.autopilot contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# FOR INTERNAL COLLECTION USE ONLY: the interfaces may change in any release.
"""Small value formats every layer shares: UTC and the latest moment, GUIDs, the host of a URL."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import re

UTC = datetime.timezone.utc

# The latest moment this collection computes with: a day short of datetime.max,
# so that "10 minutes after" a time a server sent stays a date. Later times are
# refused where they are parsed (Graph timestamps, HTTP dates).
LATEST = datetime.datetime.max.replace(tzinfo=UTC) - datetime.timedelta(days=1)

_GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")


def guid(value):
    """``value`` in lower case when it is a GUID, else None."""
    return value.lower() if isinstance(value, str) and _GUID.match(value) else None


def url_host(url):
    """The host (with port) of an absolute URL, lower case; the text itself when it is not one."""
    return url.split("/")[2].lower() if "://" in url else url
