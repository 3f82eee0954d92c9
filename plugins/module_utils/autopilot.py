# -*- coding: utf-8 -*-
# Copyright: intune.autopilot contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure Autopilot domain logic: Graph timestamps, the settings, the 10-minute rule.

No I/O here; ``now`` is always passed in, so every rule is unit-testable.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import re

SETTINGS_PATH = "deviceManagement/windowsAutopilotSettings"
SYNC_PATH = SETTINGS_PATH + "/sync"

# Microsoft: at least 10 minutes between two manual syncs; earlier ones get 429.
MANUAL_SYNC_INTERVAL = datetime.timedelta(minutes=10)

SYNC_IN_PROGRESS = "inProgress"
SYNC_COMPLETED = "completed"
SYNC_FAILED = "failed"

UTC = datetime.timezone.utc

# Graph sends up to seven fractional digits and either Z or an offset; older
# Pythons' fromisoformat accepts neither, so parse it here.
_TIMESTAMP = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?"
    r"(?:([Zz])|([+-])(\d{2}):?(\d{2}))?$")


def parse_timestamp(value):
    """A Graph DateTimeOffset as an aware UTC datetime; None for null or 'never'.

    Graph writes "never" as 0001-01-01T00:00:00Z. Raises ValueError for text
    that is not a timestamp at all.
    """
    if value is None or value == "":
        return None
    match = _TIMESTAMP.match(str(value).strip())
    if not match:
        raise ValueError("not an ISO 8601 timestamp: %r" % (value,))
    year, month, day, hour, minute, second = (int(g) for g in match.group(1, 2, 3, 4, 5, 6))
    if year <= 1:
        return None
    fraction = (match.group(7) or "0")[:6].ljust(6, "0")
    moment = datetime.datetime(year, month, day, hour, minute, second, int(fraction), tzinfo=UTC)
    if match.group(9):
        offset = datetime.timedelta(hours=int(match.group(10)), minutes=int(match.group(11)))
        moment -= offset if match.group(9) == "+" else -offset
    return moment


def format_timestamp(moment):
    """ISO 8601 in UTC with a trailing Z (None stays None)."""
    if moment is None:
        return None
    moment = moment.astimezone(UTC)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if moment.microsecond:
        text += (".%06d" % moment.microsecond).rstrip("0")
    return text + "Z"


def utc_now():
    return datetime.datetime.now(UTC)


class AutopilotSettings:
    """The windowsAutopilotSettings resource, parsed. Unknown properties are ignored."""

    def __init__(self, id=None, last_sync=None, last_manual_trigger=None, sync_status=None):
        self.id = id
        self.last_sync = last_sync
        self.last_manual_trigger = last_manual_trigger
        self.sync_status = sync_status

    @classmethod
    def from_graph(cls, body):
        body = body or {}
        return cls(
            id=body.get("id"),
            last_sync=parse_timestamp(body.get("lastSyncDateTime")),
            last_manual_trigger=parse_timestamp(body.get("lastManualSyncTriggerDateTime")),
            sync_status=body.get("syncStatus"),
        )

    @property
    def in_progress(self):
        return self.sync_status == SYNC_IN_PROGRESS

    def manual_sync_allowed_at(self, now):
        """When the 10-minute window after the last manual trigger ends; None if already over."""
        if self.last_manual_trigger is None:
            return None
        window_end = self.last_manual_trigger + MANUAL_SYNC_INTERVAL
        return window_end if window_end > now else None

    def manual_sync_allowed(self, now):
        return not self.in_progress and self.manual_sync_allowed_at(now) is None

    def synced_within(self, seconds, now):
        """True if the last sync ended less than ``seconds`` ago."""
        if not seconds or self.last_sync is None:
            return False
        return now - self.last_sync < datetime.timedelta(seconds=seconds)

    def to_result(self):
        """The ``autopilot_settings`` return value."""
        return {
            "id": self.id,
            "last_sync_date_time": format_timestamp(self.last_sync),
            "last_manual_sync_trigger_date_time": format_timestamp(self.last_manual_trigger),
            "sync_status": self.sync_status,
        }

    def state_result(self, now):
        """The settings plus what they imply now, as module return values."""
        return {
            "autopilot_settings": self.to_result(),
            "sync_status": self.sync_status,
            "sync_in_progress": self.in_progress,
            "manual_sync_allowed": self.manual_sync_allowed(now),
            "manual_sync_allowed_at": format_timestamp(self.manual_sync_allowed_at(now)),
        }


# autopilot_sync outcomes
TRIGGERED = "triggered"
IN_PROGRESS = "in_progress"
THROTTLED = "throttled"
RECENTLY_SYNCED = "recently_synced"

OUTCOME_BY_STATUS = {204: TRIGGERED, 409: IN_PROGRESS, 429: THROTTLED}

# The trigger we sent shows in lastManualSyncTriggerDateTime; allow for a
# clock difference between this host and Graph when recognising it.
CLOCK_TOLERANCE = datetime.timedelta(minutes=2)


def predict_outcome(settings, now, skip_if_synced_within=0):
    """What a sync request would do now, judged from the settings alone."""
    if settings.synced_within(skip_if_synced_within, now):
        return RECENTLY_SYNCED
    if settings.in_progress:
        return IN_PROGRESS
    if settings.manual_sync_allowed_at(now) is not None:
        return THROTTLED
    return TRIGGERED


def throttle_ends_at(retry_after, settings, now):
    """When a throttled sync may be retried: Retry-After first, else the 10-minute rule."""
    if retry_after is not None:
        return now + datetime.timedelta(seconds=retry_after)
    if settings is not None:
        return settings.manual_sync_allowed_at(now)
    return None


def sync_finished(settings, triggered_at):
    """True once the settings show a finished sync that started with our trigger."""
    if settings.sync_status not in (SYNC_COMPLETED, SYNC_FAILED):
        return False
    if triggered_at is None:
        return True
    seen = settings.last_manual_trigger
    return seen is not None and seen >= triggered_at - CLOCK_TOLERANCE
