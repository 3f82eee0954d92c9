# -*- coding: utf-8 -*-
# Copyright: intune.autopilot contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# FOR INTERNAL COLLECTION USE ONLY: the interfaces may change in any release.
"""Pure Autopilot domain logic: Graph timestamps, the settings, the 10-minute rule.

No I/O here; ``now`` is always passed in, so every rule is unit-testable.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import re

from ansible_collections.intune.autopilot.plugins.module_utils._base._formats import LATEST, UTC

SETTINGS_PATH = "deviceManagement/windowsAutopilotSettings"
SYNC_PATH = SETTINGS_PATH + "/sync"

# Microsoft: at least 10 minutes between two manual syncs; earlier ones get 429.
MANUAL_SYNC_INTERVAL = datetime.timedelta(minutes=10)

# syncStatus values (windowsAutopilotSyncStatus). What each means to this collection:
# - inProgress: a sync is running; the only status that counts as "running".
# - completed / failed: the last sync ended so; after our trigger they count only
#   once the sync has been seen through (see TriggeredSync), never as read.
# - unknown: Graph has no status (typically no sync yet): not running, not finished.
# - unknownFutureValue, or any value this collection does not know: Graph's
#   marker for a status newer than this API; treated like unknown, with a warning.
SYNC_UNKNOWN = "unknown"
SYNC_IN_PROGRESS = "inProgress"
SYNC_COMPLETED = "completed"
SYNC_FAILED = "failed"
SYNC_UNKNOWN_FUTURE = "unknownFutureValue"
KNOWN_STATUSES = (SYNC_UNKNOWN, SYNC_IN_PROGRESS, SYNC_COMPLETED, SYNC_FAILED)
FINAL_STATUSES = (SYNC_COMPLETED, SYNC_FAILED)

# Graph sends up to seven fractional digits and either Z or an offset; older
# Pythons' fromisoformat accepts neither, so parse it here. ASCII digits only:
# str.isdigit and \d also take "²" or "٣", which are no part of a timestamp.
_TIMESTAMP = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?"
    r"(?:([Zz])|([+-])(\d{2}):?(\d{2}))?", re.ASCII)


def parse_timestamp(value):
    """A Graph DateTimeOffset as an aware UTC datetime; None for null or 'never'.

    Graph writes "never" as 0001-01-01T00:00:00Z. Raises ValueError, and
    nothing else, for text that is not a timestamp the rules can use.
    """
    if value is None or value == "":
        return None
    match = _TIMESTAMP.fullmatch(str(value).strip())
    if not match:
        raise ValueError("not an ISO 8601 timestamp: %r" % (value,))
    year, month, day, hour, minute, second = (int(g) for g in match.group(1, 2, 3, 4, 5, 6))
    fraction = (match.group(7) or "0")[:6].ljust(6, "0")
    # datetime() raises ValueError for impossible dates such as 2026-02-30 or the year 0.
    moment = datetime.datetime(year, month, day, hour, minute, second, int(fraction), tzinfo=UTC)
    if year == 1:
        return None
    if match.group(9):
        moment = _to_utc(moment, match.group(9), int(match.group(10)), int(match.group(11)))
    if moment > LATEST:
        raise ValueError("too far in the future to compute with")
    return moment


def _to_utc(moment, sign, hours, minutes):
    """``moment`` (the local time of an offset) in UTC; the offset is RFC 3339's: 00:00 to 23:59."""
    if hours > 23 or minutes > 59:
        raise ValueError("the UTC offset %s%02d:%02d does not exist" % (sign, hours, minutes))
    offset = datetime.timedelta(hours=hours, minutes=minutes)
    try:
        return moment - offset if sign == "+" else moment + offset
    except OverflowError:  # 9999-12-31T23:30:00-01:00 is in the year 10000
        raise ValueError("outside the years 1 to 9999 in UTC")


def whole_second_up(moment):
    """``moment`` rounded up to a whole second: a time something is allowed at is never early."""
    if moment is None or not moment.microsecond:
        return moment
    return moment.replace(microsecond=0) + datetime.timedelta(seconds=1)


def tenant_label(asked, resolved):
    """How a message names a tenant: as asked, with the GUID Entra ID resolved when it says more; None if unknown."""
    if asked and resolved and asked.lower() != resolved.lower():
        return "%s (%s)" % (asked, resolved)
    return asked or resolved or None


def format_timestamp(moment):
    """ISO 8601 in UTC with a trailing Z (None stays None)."""
    if moment is None:
        return None
    moment = moment.astimezone(UTC)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if moment.microsecond:
        text += (".%06d" % moment.microsecond).rstrip("0")
    return text + "Z"


class MalformedProperty(ValueError):
    """A property Graph sent that cannot be used (settings, a device); names the property and the value."""

    def __init__(self, name, value, problem):
        super(MalformedProperty, self).__init__(
            "%s %s" % (name, "is missing" if problem is None else "is %r, %s" % (value, problem)))
        self.name = name
        self.value = value


def _string_property(body, name, required, kind):
    """``body[name]``: a string or None; MalformedProperty when missing (if required) or not a string."""
    if name not in body:
        if required:
            raise MalformedProperty(name, None, None)
        return None
    value = body[name]
    if value is not None and not isinstance(value, str):
        raise MalformedProperty(name, value, "not a %s" % kind)
    return value


def timestamp_property(body, name, required=True):
    """``body[name]`` as an aware UTC datetime (None for null or "never"); MalformedProperty if unusable."""
    value = _string_property(body, name, required, "timestamp string")
    try:
        return parse_timestamp(value)
    except ValueError as exc:
        raise MalformedProperty(name, value, "not a valid date and time (%s)" % exc)


def text_property(body, name, required=True):
    """``body[name]`` as text or None; MalformedProperty when missing (if required) or not a string."""
    return _string_property(body, name, required, "string")


class AutopilotSettings:
    """The windowsAutopilotSettings resource, parsed. Unknown properties are ignored."""

    def __init__(self, id=None, last_sync=None, last_manual_trigger=None, sync_status=None, tenant=None):
        self.id = id
        self.last_sync = last_sync
        self.last_manual_trigger = last_manual_trigger
        self.sync_status = sync_status
        self.tenant = tenant  # how warnings name the tenant these settings are of (tenant_label)

    @classmethod
    def from_graph(cls, body, tenant=None):
        """Parse Graph's JSON object; raise MalformedProperty for anything the rules cannot use."""
        return cls(
            id=text_property(body, "id", required=False),
            last_sync=timestamp_property(body, "lastSyncDateTime"),
            last_manual_trigger=timestamp_property(body, "lastManualSyncTriggerDateTime"),
            sync_status=text_property(body, "syncStatus"),
            tenant=tenant,
        )

    @property
    def in_progress(self):
        return self.sync_status == SYNC_IN_PROGRESS

    @property
    def status_known(self):
        """False for unknownFutureValue or any status newer than this collection."""
        return self.sync_status is None or self.sync_status in KNOWN_STATUSES

    def warnings(self):
        """What a user should know about these settings: a failed last sync, a status we cannot read."""
        if self.sync_status == SYNC_FAILED:
            # Loud on purpose: a scheduled job must not stay green over a failed sync. Named, as a
            # warning is printed without its host.
            return ["The last Windows Autopilot sync of %s failed (last sync %s). Check the Windows "
                    "Autopilot devices page in Intune, then sync again."
                    % ("tenant %s" % self.tenant if self.tenant else "this tenant",
                       format_timestamp(self.last_sync) or "never")]
        if self.status_known:
            return []
        return ["Graph reports syncStatus %r, which this collection does not know (unknownFutureValue is "
                "Graph's marker for a status newer than its API version): it is treated as neither running "
                "nor finished, and predictions may be wrong." % self.sync_status]

    def manual_sync_allowed_at(self, now):
        """When the 10-minute window after the last manual trigger ends, on Graph's clock, in whole
        seconds rounded up (never early); None if already over. Both modules report this one time."""
        if self.last_manual_trigger is None:
            return None
        window_end = whole_second_up(self.last_manual_trigger + MANUAL_SYNC_INTERVAL)
        return window_end if window_end > now else None

    def manual_sync_allowed(self, now):
        return not self.in_progress and self.manual_sync_allowed_at(now) is None

    def synced_within(self, seconds, now):
        """True if the last sync ended less than ``seconds`` ago."""
        if not seconds or self.last_sync is None:
            return False
        return (now - self.last_sync).total_seconds() < seconds  # no timedelta: any int compares

    def to_result(self):
        """The ``autopilot_settings`` return value."""
        return {
            "id": self.id,
            "last_sync_date_time": format_timestamp(self.last_sync),
            "last_manual_sync_trigger_date_time": format_timestamp(self.last_manual_trigger),
            "sync_status": self.sync_status,
        }

    def state_result(self, now):
        """The settings plus what they imply now (on Graph's clock), as module return values."""
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

# Graph stamps lastManualSyncTriggerDateTime in its back end, which may be a
# moment behind the Date of its front door; a trigger this much before our
# first request (on Graph's clock) still counts as ours. Another trigger in so
# short a time would have made Graph refuse ours.
TRIGGER_TOLERANCE = datetime.timedelta(seconds=2)


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
    """When a throttled sync may be asked again: the 10-minute window of the settings (the time
    windows_autopilot_settings reports), else Retry-After, when the settings show no open window (a
    trigger not stamped yet); whole seconds, rounded up. None when neither tells."""
    window_end = settings.manual_sync_allowed_at(now) if settings is not None else None
    if window_end is None and retry_after is not None:
        return whole_second_up(now + datetime.timedelta(seconds=retry_after))
    return window_end


def triggered_since(settings, sent_at):
    """True if the settings show a manual trigger at or after ``sent_at`` (Graph's clock)."""
    trigger = settings.last_manual_trigger
    return trigger is not None and trigger >= sent_at - TRIGGER_TOLERANCE


def started_by_lost_request(settings, sent_at, refused_at):
    """After a request whose answer was lost (sent at ``sent_at``) and a 409 or 429 to a later one
    (answered at ``refused_at``), both on Graph's clock: did the lost one start a sync?

    True when the settings show a trigger since ``sent_at`` (ours: Graph stamps it late, in its
    back end, while its front door already refuses a second sync). False when they show an earlier
    trigger whose 10-minute window ran from before ``sent_at`` until the refusal: Graph refused the
    lost request as well. None while they cannot tell (the trigger they show is older, its window
    over, so the refusal is for a trigger not stamped yet, which may be ours).
    """
    if triggered_since(settings, sent_at):
        return True
    trigger = settings.last_manual_trigger
    if trigger is not None and trigger + MANUAL_SYNC_INTERVAL - TRIGGER_TOLERANCE > refused_at:
        return False
    return None


class TriggeredSync:
    """The sync this task started, and whether it has been seen through.

    ``sent_at`` is when the first sync request of the task left, on Graph's
    clock; ``status_before`` is the status read before it, if any. Graph may
    show the new trigger while syncStatus still says the previous ``completed``
    for a while, so a final status counts only when the sync has been seen
    through: lastSyncDateTime at or after the trigger, or a status change seen
    after it (inProgress seen, or a final status other than the one before).
    """

    def __init__(self, sent_at, status_before=None):
        self.sent_at = sent_at
        self.status_before = status_before
        self.seen_running = False

    def started_at(self, settings):
        """Graph's own time of our trigger when the settings show it, else when we sent it."""
        if triggered_since(settings, self.sent_at):
            return settings.last_manual_trigger
        return self.sent_at

    def finished(self, settings):
        """Look at freshly read settings; True once our sync is seen through."""
        status = settings.sync_status
        if status == SYNC_IN_PROGRESS:
            self.seen_running = True
            return False
        if settings.last_sync is not None and settings.last_sync >= self.started_at(settings):
            return True
        if status not in FINAL_STATUSES:
            return False
        return self.seen_running or (self.status_before is not None and status != self.status_before)
