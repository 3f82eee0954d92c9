# -*- coding: utf-8 -*-
"""Unit tests for the pure Autopilot domain logic."""

import datetime

import pytest

from ansible_collections.intune.autopilot.plugins.module_utils._autopilot import _model as ap
from ansible_collections.intune.autopilot.plugins.module_utils._autopilot._model import (
    AutopilotSettings,
    format_timestamp,
    parse_timestamp,
    MalformedProperty,
    TriggeredSync,
    predict_outcome,
    throttle_ends_at,
    triggered_since,
)

UTC = datetime.timezone.utc
NOW = datetime.datetime(2026, 11, 23, 9, 20, 0, tzinfo=UTC)


def seconds(n):
    return datetime.timedelta(seconds=n)


def settings(status="completed", last_sync=None, last_trigger=None):
    return AutopilotSettings(id="settings-id", last_sync=last_sync, last_manual_trigger=last_trigger,
                             sync_status=status)


# -- parse_timestamp --------------------------------------------------------------

def test_seven_fractional_digits():
    value = parse_timestamp("2026-11-23T09:15:02.1234567Z")
    assert value == datetime.datetime(2026, 11, 23, 9, 15, 2, 123456, tzinfo=UTC)
    assert value.utcoffset() == datetime.timedelta(0)


def test_short_fraction_is_padded():
    assert parse_timestamp("2026-11-23T09:15:02.5Z").microsecond == 500000


def test_no_fraction_and_lowercase_z():
    assert parse_timestamp("2026-11-23T09:15:02z") == datetime.datetime(2026, 11, 23, 9, 15, 2, tzinfo=UTC)


def test_utc_offset():
    assert parse_timestamp("2026-11-23T09:15:02+00:00") == datetime.datetime(2026, 11, 23, 9, 15, 2,
                                                                             tzinfo=UTC)


def test_positive_offset_is_converted_to_utc():
    assert parse_timestamp("2026-11-23T09:15:02.25+02:00") == datetime.datetime(
        2026, 11, 23, 7, 15, 2, 250000, tzinfo=UTC)


def test_negative_offset_is_converted_to_utc():
    assert parse_timestamp("2026-11-23T23:30:00-05:30") == datetime.datetime(2026, 11, 24, 5, 0, 0,
                                                                             tzinfo=UTC)


def test_offset_crossing_midnight_backwards():
    assert parse_timestamp("2026-01-01T01:00:00+02:00") == datetime.datetime(2025, 12, 31, 23, 0, 0,
                                                                             tzinfo=UTC)


def test_no_zone_is_taken_as_utc():
    assert parse_timestamp("2026-11-23T09:15:02") == datetime.datetime(2026, 11, 23, 9, 15, 2, tzinfo=UTC)


@pytest.mark.parametrize("value", ["0001-01-01T00:00:00Z", "0001-01-01T00:00:00.0000000Z",
                                   "0001-01-01T00:00:00+00:00", None, ""])
def test_never_and_null_are_none(value):
    assert parse_timestamp(value) is None


@pytest.mark.parametrize("value", ["yesterday", "2026-11-23", "2026-11-23T09:15Z", "2026-13-01T00:00:00Z",
                                   "2026-11-23T09:15:02Zjunk", "2026-02-30T00:00:00Z"])
def test_garbage_raises_value_error(value):
    with pytest.raises(ValueError):
        parse_timestamp(value)


@pytest.mark.parametrize("value, words", [
    ("9999-12-31T23:30:00-01:00", "outside the years 1 to 9999 in UTC"),  # OverflowError before
    ("9999-12-31T12:00:00Z", "too far in the future to compute with"),    # its window would overflow
    ("2026-11-23T09:15:02+99:99", "the UTC offset +99:99 does not exist"),
    ("2026-11-23T09:15:02+24:00", "the UTC offset +24:00 does not exist"),
    ("2026-11-23T09:15:02-05:60", "the UTC offset -05:60 does not exist"),
    ("0000-01-01T00:00:00Z", "year 0 is out of range"),
    ("\uff12\uff10\uff12\uff16-11-23T09:15:02Z", "not an ISO 8601 timestamp"),  # fullwidth digits
    ("2026-11-23T09:15:02.\u00b2Z", "not an ISO 8601 timestamp"),                  # a superscript two
])
def test_timestamps_past_what_the_rules_compute_with_raise_only_value_error(value, words):
    with pytest.raises(ValueError) as info:
        parse_timestamp(value)
    assert info.type is ValueError  # exactly ValueError, not a subclass
    assert words in str(info.value)


def test_the_largest_offsets_that_exist_are_accepted():
    assert parse_timestamp("2026-11-23T09:15:02-23:59") == datetime.datetime(2026, 11, 24, 9, 14, 2, tzinfo=UTC)
    assert parse_timestamp("9999-12-30T00:00:00Z").year == 9999


# -- format_timestamp ------------------------------------------------------------

def test_format_whole_seconds():
    assert format_timestamp(datetime.datetime(2026, 11, 23, 9, 14, 40, tzinfo=UTC)) == "2026-11-23T09:14:40Z"


def test_format_fraction_without_trailing_zeros():
    moment = datetime.datetime(2026, 11, 23, 9, 15, 2, 123400, tzinfo=UTC)
    assert format_timestamp(moment) == "2026-11-23T09:15:02.1234Z"


def test_format_converts_to_utc():
    plus_two = datetime.timezone(datetime.timedelta(hours=2))
    moment = datetime.datetime(2026, 11, 23, 11, 0, 0, tzinfo=plus_two)
    assert format_timestamp(moment) == "2026-11-23T09:00:00Z"


def test_format_none():
    assert format_timestamp(None) is None


def test_round_trip_of_graph_value():
    assert format_timestamp(parse_timestamp("2026-11-23T09:15:02.1234567Z")) == "2026-11-23T09:15:02.123456Z"


# -- AutopilotSettings -----------------------------------------------------------

GRAPH_BODY = {
    "@odata.context": "https://graph.microsoft.com/beta/$metadata#deviceManagement/windowsAutopilotSettings",
    "@odata.type": "#microsoft.graph.windowsAutopilotSettings",
    "id": "7a81d3a5-0000-0000-0000-000000000000",
    "lastSyncDateTime": "2026-11-23T09:15:02.1234567Z",
    "lastManualSyncTriggerDateTime": "0001-01-01T00:00:00Z",
    "syncStatus": "completed",
    "someFutureProperty": {"nested": True},
}


def test_from_graph_ignores_unknown_properties():
    parsed = AutopilotSettings.from_graph(GRAPH_BODY)
    assert parsed.id == GRAPH_BODY["id"]
    assert parsed.last_sync == datetime.datetime(2026, 11, 23, 9, 15, 2, 123456, tzinfo=UTC)
    assert parsed.last_manual_trigger is None
    assert parsed.sync_status == "completed"
    assert not hasattr(parsed, "someFutureProperty")
    assert parsed.to_result() == {
        "id": GRAPH_BODY["id"],
        "last_sync_date_time": "2026-11-23T09:15:02.123456Z",
        "last_manual_sync_trigger_date_time": None,
        "sync_status": "completed",
    }


def test_from_graph_nulls():
    body = {"lastSyncDateTime": None, "lastManualSyncTriggerDateTime": None, "syncStatus": None}
    parsed = AutopilotSettings.from_graph(body)
    assert (parsed.id, parsed.last_sync, parsed.last_manual_trigger, parsed.sync_status) == (None,) * 4
    assert parsed.manual_sync_allowed(NOW) is True


def test_from_graph_empty_object_names_the_first_missing_property():
    with pytest.raises(MalformedProperty, match="lastSyncDateTime is missing"):
        AutopilotSettings.from_graph({})


def test_in_progress():
    assert settings("inProgress").in_progress is True
    for status in ("completed", "failed", "unknown", None):
        assert settings(status).in_progress is False


def test_never_triggered_is_allowed():
    s = settings(last_trigger=None)
    assert s.manual_sync_allowed_at(NOW) is None
    assert s.manual_sync_allowed(NOW) is True


def test_window_edge_exactly_600_seconds_is_allowed():
    s = settings(last_trigger=NOW - seconds(600))
    assert s.manual_sync_allowed_at(NOW) is None
    assert s.manual_sync_allowed(NOW) is True


def test_window_edge_599_999_seconds_is_not_allowed_and_rounds_up_to_the_next_second():
    s = settings(last_trigger=NOW - datetime.timedelta(seconds=599, milliseconds=999))
    assert s.manual_sync_allowed_at(NOW) == NOW + seconds(1)
    assert s.manual_sync_allowed(NOW) is False


def test_the_window_end_is_a_whole_second_never_early():
    """Graph's trigger has a fraction of a second: the time reported is the next whole second."""
    trigger = NOW - datetime.timedelta(seconds=240, microseconds=345730)  # ...:15:59.654270
    s = settings(last_trigger=trigger)
    allowed_at = s.manual_sync_allowed_at(NOW)
    assert allowed_at.microsecond == 0 and allowed_at >= trigger + ap.MANUAL_SYNC_INTERVAL
    assert allowed_at - (trigger + ap.MANUAL_SYNC_INTERVAL) < seconds(1)
    assert format_timestamp(allowed_at) == "2026-11-23T09:26:00Z"
    # The last fraction of a second of the window still counts as in it.
    assert s.manual_sync_allowed(allowed_at - datetime.timedelta(microseconds=500)) is False
    assert s.manual_sync_allowed(allowed_at) is True


def test_window_end_is_trigger_plus_ten_minutes():
    trigger = NOW - seconds(240)
    s = settings(last_trigger=trigger)
    assert s.manual_sync_allowed_at(NOW) == trigger + datetime.timedelta(minutes=10)


def test_in_progress_is_not_allowed_even_outside_the_window():
    s = settings("inProgress", last_trigger=NOW - seconds(3600))
    assert s.manual_sync_allowed_at(NOW) is None
    assert s.manual_sync_allowed(NOW) is False


def test_state_result():
    trigger = NOW - seconds(60)
    s = settings("inProgress", last_sync=NOW - seconds(3600), last_trigger=trigger)
    assert s.state_result(NOW) == {
        "autopilot_settings": {
            "id": "settings-id",
            "last_sync_date_time": "2026-11-23T08:20:00Z",
            "last_manual_sync_trigger_date_time": "2026-11-23T09:19:00Z",
            "sync_status": "inProgress",
        },
        "sync_status": "inProgress",
        "sync_in_progress": True,
        "manual_sync_allowed": False,
        "manual_sync_allowed_at": "2026-11-23T09:29:00Z",
    }


def test_synced_within():
    s = settings(last_sync=NOW - seconds(300))
    assert s.synced_within(301, NOW) is True
    assert s.synced_within(300, NOW) is False
    assert s.synced_within(0, NOW) is False
    assert settings(last_sync=None).synced_within(3600, NOW) is False


# -- predict_outcome ---------------------------------------------------------------

def test_predict_triggered():
    assert predict_outcome(settings(last_trigger=NOW - seconds(601)), NOW) == ap.TRIGGERED


def test_predict_in_progress():
    assert predict_outcome(settings("inProgress"), NOW) == ap.IN_PROGRESS


def test_predict_throttled():
    assert predict_outcome(settings(last_trigger=NOW - seconds(30)), NOW) == ap.THROTTLED


def test_predict_in_progress_beats_throttled():
    assert predict_outcome(settings("inProgress", last_trigger=NOW - seconds(30)), NOW) == ap.IN_PROGRESS


def test_predict_recently_synced_beats_everything():
    s = settings("inProgress", last_sync=NOW - seconds(100), last_trigger=NOW - seconds(30))
    assert predict_outcome(s, NOW, skip_if_synced_within=3600) == ap.RECENTLY_SYNCED
    assert predict_outcome(s, NOW, skip_if_synced_within=0) == ap.IN_PROGRESS


# -- throttle_ends_at ----------------------------------------------------------------

def test_throttle_ends_at_is_the_window_of_the_settings_whatever_retry_after_says():
    """The sync's 429 reports the time windows_autopilot_settings reports: trigger + 10 minutes."""
    s = settings(last_trigger=NOW - datetime.timedelta(seconds=60, microseconds=345730))
    assert throttle_ends_at(None, s, NOW) == s.manual_sync_allowed_at(NOW) == NOW + seconds(540)
    assert throttle_ends_at(120, s, NOW) == throttle_ends_at(0.5, s, NOW) == s.manual_sync_allowed_at(NOW)


def test_throttle_ends_at_takes_retry_after_when_the_settings_show_no_open_window():
    """A 429 for a trigger Graph has not stamped yet: only Retry-After tells, rounded up to a second."""
    for shown in (settings(last_trigger=NOW - seconds(700)), settings(last_trigger=None), None):
        assert throttle_ends_at(120, shown, NOW) == NOW + seconds(120)
        assert throttle_ends_at(0.25, shown, NOW) == NOW + seconds(1)
        assert throttle_ends_at(0, shown, NOW) == NOW


def test_throttle_ends_at_unknown():
    assert throttle_ends_at(None, None, NOW) is None
    assert throttle_ends_at(None, settings(last_trigger=None), NOW) is None


def test_rules_compute_with_the_latest_parsable_trigger_and_any_skip_window():
    s = AutopilotSettings.from_graph(dict(GOOD, lastManualSyncTriggerDateTime="9999-12-30T00:00:00Z"))
    assert s.manual_sync_allowed_at(NOW) == s.last_manual_trigger + ap.MANUAL_SYNC_INTERVAL
    assert predict_outcome(s, NOW, skip_if_synced_within=10 ** 15) == "recently_synced"  # no timedelta overflow


# -- a refusal after a lost answer ---------------------------------------------------------------

def test_a_trigger_since_the_lost_request_is_ours():
    assert ap.started_by_lost_request(settings(last_trigger=NOW + seconds(1)), NOW, NOW + seconds(3)) is True


def test_an_earlier_trigger_whose_window_covers_the_refusal_means_graph_refused_ours_too():
    shown = settings(last_trigger=NOW - seconds(300))
    assert ap.started_by_lost_request(shown, NOW, NOW + seconds(3)) is False


@pytest.mark.parametrize("trigger", [None, -700, -598])
def test_a_trigger_that_cannot_explain_the_refusal_tells_nothing_yet(trigger):
    # never, or a window over before the refusal (with Graph's 2 s stamp tolerance): the refusal is for
    # a trigger not stamped yet, which may be ours
    shown = settings(last_trigger=None if trigger is None else NOW + seconds(trigger))
    assert ap.started_by_lost_request(shown, NOW, NOW + seconds(3)) is None


# -- TriggeredSync: finished means seen through -------------------------------------------

def test_a_stale_completed_is_not_our_sync():
    # Graph shows our trigger at once but still the previous 'completed' and an old last sync.
    sync = TriggeredSync(NOW, status_before="completed")
    assert sync.finished(settings("completed", last_sync=NOW - seconds(3600), last_trigger=NOW)) is False
    assert sync.finished(settings("completed", last_sync=NOW - seconds(3600), last_trigger=None)) is False


def test_a_last_sync_after_our_trigger_is_seen_through():
    sync = TriggeredSync(NOW, status_before="completed")
    assert sync.finished(settings("completed", last_sync=NOW + seconds(20), last_trigger=NOW)) is True


def test_a_final_status_after_seeing_it_run_is_seen_through():
    sync = TriggeredSync(NOW, status_before="failed")
    assert sync.finished(settings("failed", last_trigger=NOW)) is False  # the one before
    assert sync.finished(settings("inProgress", last_trigger=NOW)) is False
    assert sync.finished(settings("failed", last_trigger=NOW)) is True


def test_a_final_status_other_than_the_one_before_is_a_change():
    sync = TriggeredSync(NOW, status_before="completed")
    assert sync.finished(settings("failed", last_sync=NOW - seconds(60), last_trigger=NOW)) is True


@pytest.mark.parametrize("status", ["unknown", "unknownFutureValue", "someNewStatus"])
def test_unknown_statuses_never_count_as_finished(status):
    sync = TriggeredSync(NOW, status_before="completed")
    assert sync.finished(settings(status, last_trigger=NOW)) is False
    # ... unless the last sync shows it ended after our trigger
    assert sync.finished(settings(status, last_sync=NOW + seconds(5), last_trigger=NOW)) is True


def test_triggered_since_compares_on_graph_time_with_a_small_tolerance():
    assert triggered_since(settings(last_trigger=NOW), NOW) is True
    assert triggered_since(settings(last_trigger=NOW + seconds(30)), NOW) is True
    assert triggered_since(settings(last_trigger=NOW - ap.TRIGGER_TOLERANCE), NOW) is True
    assert triggered_since(settings(last_trigger=NOW - ap.TRIGGER_TOLERANCE - seconds(1)), NOW) is False
    assert triggered_since(settings(last_trigger=None), NOW) is False


# -- malformed settings from Graph --------------------------------------------------------

GOOD = {"id": "x", "lastSyncDateTime": "2026-11-23T09:15:02Z",
        "lastManualSyncTriggerDateTime": "0001-01-01T00:00:00Z", "syncStatus": "completed"}


@pytest.mark.parametrize("name, value, words", [
    ("lastSyncDateTime", "2026-02-30T00:00:00Z",
     "lastSyncDateTime is '2026-02-30T00:00:00Z', not a valid date and time (day is out of range for month)"),
    ("lastManualSyncTriggerDateTime", 1732352102,
     "lastManualSyncTriggerDateTime is 1732352102, not a timestamp string"),
    ("lastSyncDateTime", "yesterday", "lastSyncDateTime is 'yesterday', not a valid date and time"),
    ("syncStatus", ["completed"], "syncStatus is ['completed'], not a string"),
    ("id", 7, "id is 7, not a string"),
])
def test_malformed_values_name_the_property_and_the_value(name, value, words):
    body = dict(GOOD, **{name: value})
    with pytest.raises(MalformedProperty) as info:
        AutopilotSettings.from_graph(body)
    assert words in str(info.value)
    assert info.value.name == name


@pytest.mark.parametrize("name", ["lastSyncDateTime", "lastManualSyncTriggerDateTime", "syncStatus"])
def test_missing_properties_are_named(name):
    body = dict(GOOD)
    del body[name]
    with pytest.raises(MalformedProperty) as info:
        AutopilotSettings.from_graph(body)
    assert str(info.value) == "%s is missing" % name


def test_unknown_future_status_warns_and_known_ones_do_not():
    assert settings("unknownFutureValue").warnings()[0].startswith("Graph reports syncStatus 'unknownFutureValue'")
    for status in ("unknown", "inProgress", "completed", None):
        assert settings(status).warnings() == []


def test_a_failed_last_sync_warns_with_its_time():
    failed = AutopilotSettings(sync_status="failed", last_sync=parse_timestamp("2026-11-23T09:15:02Z"))
    assert failed.warnings() == [
        "The last Windows Autopilot sync of this tenant failed (last sync 2026-11-23T09:15:02Z). Check the "
        "Windows Autopilot devices page in Intune, then sync again."]
    assert "failed (last sync never)" in AutopilotSettings(sync_status="failed").warnings()[0]


def test_a_failed_last_sync_names_its_tenant():
    """A warning is printed without its host: it names the tenant, as asked and as resolved."""
    guid = "0d46a875-5ebb-47aa-b5b2-7b3c7466f7fb"
    failed = AutopilotSettings(sync_status="failed", tenant=ap.tenant_label("fabrikam.onmicrosoft.com", guid))
    assert failed.warnings()[0].startswith(
        "The last Windows Autopilot sync of tenant fabrikam.onmicrosoft.com (%s) failed (last sync never)." % guid)


@pytest.mark.parametrize("asked, resolved, label", [
    ("fabrikam.onmicrosoft.com", "0d46a875-5ebb-47aa-b5b2-7b3c7466f7fb",
     "fabrikam.onmicrosoft.com (0d46a875-5ebb-47aa-b5b2-7b3c7466f7fb)"),
    ("0D46A875-5EBB-47AA-B5B2-7B3C7466F7FB", "0d46a875-5ebb-47aa-b5b2-7b3c7466f7fb",
     "0D46A875-5EBB-47AA-B5B2-7B3C7466F7FB"),
    ("fabrikam.onmicrosoft.com", None, "fabrikam.onmicrosoft.com"),
    (None, "0d46a875-5ebb-47aa-b5b2-7b3c7466f7fb", "0d46a875-5ebb-47aa-b5b2-7b3c7466f7fb"),
    (None, None, None),
])
def test_tenant_label(asked, resolved, label):
    assert ap.tenant_label(asked, resolved) == label
