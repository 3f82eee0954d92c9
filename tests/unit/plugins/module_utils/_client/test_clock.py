# -*- coding: utf-8 -*-
"""GraphClock: Graph's "now" from Date headers, carried on by a monotonic clock."""

import datetime

import pytest

from ansible_collections.intune.autopilot.plugins.module_utils._client._clock import GraphClock, parse_http_date

UTC = datetime.timezone.utc
WALL = 1795000000.0  # this host's wall clock at monotonic 100


class Clocks:
    def __init__(self):
        self.mono = 100.0

    def wall(self):
        return WALL + (self.mono - 100.0)

    def monotonic(self):
        return self.mono


def http_date(epoch):
    from email.utils import formatdate
    return formatdate(epoch, usegmt=True)


def make():
    clocks = Clocks()
    return GraphClock(wall=clocks.wall, monotonic=clocks.monotonic, sleep=None), clocks


def test_without_a_date_this_hosts_clock_is_used():
    clock, clocks = make()
    assert clock.synced is False
    assert clock.offset_seconds() is None
    assert clock.now().timestamp() == WALL
    assert clock.at(90.0).timestamp() == WALL - 10


def test_graph_nine_minutes_ahead_is_graphs_now_and_runs_on_monotonically():
    clock, clocks = make()
    clock.observe(http_date(WALL + 540))
    assert clock.offset_seconds() == 540
    assert clock.now().timestamp() == WALL + 540
    clocks.mono += 30  # time passes
    assert clock.now().timestamp() == WALL + 570
    assert clock.at(100.0).timestamp() == WALL + 540  # a past moment, on Graph's clock
    assert clock.now().tzinfo is not None


def test_the_largest_offset_wins_because_a_date_is_a_lower_bound():
    clock, clocks = make()
    clock.observe(http_date(WALL - 1))  # arrived late
    clocks.mono += 5
    clock.observe(http_date(WALL + 5))
    clocks.mono += 5
    clock.observe(http_date(WALL + 8))  # older news than the one before
    assert clock.offset_seconds() == 0
    assert clock.now().timestamp() == WALL + 10


@pytest.mark.parametrize("fraction", [0.0, 0.1, 0.3, 0.5, 0.7, 0.9, 0.99])
def test_a_host_in_step_with_graph_has_an_offset_of_zero_wherever_in_a_second_the_answer_came(fraction):
    """A Date header says the second it began in: answers 0.7 s into a second used to make -1 and
    answers 0.3 s into one 0, flipping between consecutive calls."""
    clock, clocks = make()
    clocks.mono += fraction  # Graph answered this far into the second WALL, in step with this host
    clock.observe(http_date(WALL))
    assert clock.offset_seconds() == 0
    assert clock.now().timestamp() <= WALL + fraction  # the time rules keep the lower bound: never early


def test_a_host_two_seconds_behind_graph_reads_two_wherever_in_a_second_the_answer_came():
    for fraction in (0.05, 0.45, 0.95):
        clock, clocks = make()
        clocks.mono += fraction
        clock.observe(http_date(WALL + 2))
        assert clock.offset_seconds() == 2, fraction


def test_a_missing_or_bad_date_is_ignored():
    clock, _clocks = make()
    for value in (None, "", "yesterday", "Mon, 99 Foo 2026 25:61:00 GMT"):
        clock.observe(value)
    assert clock.synced is False


def test_parse_http_date():
    assert parse_http_date("Mon, 30 Nov 2026 14:00:00 GMT") == datetime.datetime(
        2026, 11, 30, 14, tzinfo=UTC).timestamp()
    assert parse_http_date("not a date") is None


@pytest.mark.parametrize("value", ["Fri, 31 Dec 9999 23:59:59 GMT", "Fri, 31 Dec 9999 23:59:59 -2359",
                                   "Mon, 01 Jan 99999 00:00:00 GMT", "Mon, 30 Nov 2026 14:00:00", "\u00b2",
                                   "Mon, 30 Nov 2026 25:61:00 GMT", "Mon, 30 Nov 2026 14:00:00 +9999"])
def test_dates_past_what_the_collection_computes_with_or_without_a_zone_are_none(value):
    assert parse_http_date(value) is None
