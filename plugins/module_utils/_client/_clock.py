# -*- coding: utf-8 -*-
# Copyright: intune.autopilot contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# FOR INTERNAL COLLECTION USE ONLY: the interfaces may change in any release.
"""Now as Microsoft Graph sees it, from the ``Date`` header of its answers.

Graph's timestamps (the last manual trigger, the last sync) are on Graph's
clock, so every time rule compares them with Graph's "now", never with this
host's wall clock, which may be minutes off. Each Graph answer's ``Date`` is
tied to the local monotonic clock at the moment the answer arrived; ``now()``
runs on from there. A ``Date`` is a lower bound of Graph's time when it
arrives (whole seconds, rounded down, and already in transit), so the largest
offset seen is the best one. With no ``Date`` yet, this host's clock is used.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import time
from email.utils import parsedate_to_datetime

from ansible_collections.intune.autopilot.plugins.module_utils._base._formats import LATEST, UTC

_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=UTC)
DATE_RESOLUTION = 1.0  # seconds: an HTTP-date has whole seconds


def parse_http_date(value):
    """An HTTP-date (``Date``, ``Retry-After``) as POSIX seconds, or None when absent, not a date,
    or past the latest moment the collection computes with. Never raises.

    The one HTTP-date parser of the collection."""
    if not value:
        return None
    try:
        moment = parsedate_to_datetime(str(value))
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    # An HTTP-date always names its zone (GMT); one without is not a date we trust.
    if moment is None or moment.tzinfo is None or moment > LATEST:
        return None
    return (moment - _EPOCH).total_seconds()


class GraphClock:
    """Graph's "now" (aware UTC datetimes), deadlines on the monotonic clock, and sleep."""

    def __init__(self, wall=time.time, monotonic=time.monotonic, sleep=time.sleep):
        self._wall = wall
        self.monotonic = monotonic
        self.sleep = sleep
        self._offset = None  # Graph's POSIX time minus the monotonic clock, once known

    def observe(self, date_header):
        """Learn from the ``Date`` header of an answer that has just arrived."""
        seen = parse_http_date(date_header)
        if seen is None:
            return
        offset = seen - self.monotonic()
        if self._offset is None or offset > self._offset:
            self._offset = offset

    @property
    def synced(self):
        """True once a Graph answer carried a usable ``Date``."""
        return self._offset is not None

    def at(self, monotonic_moment):
        """Graph's time (aware UTC) at a moment of the monotonic clock, past or present."""
        if self._offset is None:
            seconds = self._wall() - (self.monotonic() - monotonic_moment)
        else:
            seconds = monotonic_moment + self._offset
        return _EPOCH + datetime.timedelta(seconds=seconds)

    def now(self):
        return self.at(self.monotonic())

    def offset_seconds(self):
        """Graph's clock minus this host's, in whole seconds; None until a ``Date`` was seen.

        A ``Date`` cuts Graph's time down to its second, so Graph's "now" (kept at that lower bound for
        the time rules, which must never act early) is on average half a second behind. The offset is
        reported from the middle of that second: a host in step with Graph shows 0, not -1 or 0 by
        where in a second the answer came.
        """
        if self._offset is None:
            return None
        return int(round(self.monotonic() + self._offset + DATE_RESOLUTION / 2.0 - self._wall()))
