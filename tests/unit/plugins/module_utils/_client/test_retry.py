# -*- coding: utf-8 -*-
"""Unit tests for the retry policy (pure logic)."""

import calendar

import pytest

from ansible_collections.intune.autopilot.plugins.module_utils._client._retry import (
    MAX_RETRY_AFTER,
    MAX_SINGLE_WAIT,
    TRANSIENT_STATUSES,
    RetryPolicy,
    parse_retry_after,
)

# Wed, 21 Oct 2015 07:28:00 GMT as a POSIX timestamp
HTTP_DATE = "Wed, 21 Oct 2015 07:28:00 GMT"
HTTP_DATE_TS = float(calendar.timegm((2015, 10, 21, 7, 28, 0)))


# -- parse_retry_after ---------------------------------------------------------

@pytest.mark.parametrize("value, expected", [("7", 7.0), (" 120 ", 120.0), ("0", 0.0), (30, 30.0)])
def test_delta_seconds(value, expected):
    assert parse_retry_after(value) == expected


def test_http_date_in_the_future():
    assert parse_retry_after(HTTP_DATE, now=HTTP_DATE_TS - 42) == pytest.approx(42.0)


def test_http_date_in_the_past_means_zero():
    assert parse_retry_after(HTTP_DATE, now=HTTP_DATE_TS + 3600) == 0.0


@pytest.mark.parametrize("value", [None, "", "   "])
def test_absent(value):
    assert parse_retry_after(value) is None


@pytest.mark.parametrize("value", ["soon", "-5", "1.5", "Wed, 21 Oct 2015 07:28:00", "Thu, 99 Foo 2015",
                                   "\u00b2", "\u0663", "\uff17", "7\u00b2"])
def test_garbage_is_none(value):
    # "²", an Arabic-Indic three, a fullwidth seven: str.isdigit() says yes, float() raised ValueError
    assert parse_retry_after(value, now=HTTP_DATE_TS) is None


@pytest.mark.parametrize("value", ["86401", "9" * 13, "9" * 40, "9" * 5000,
                                   "Fri, 31 Dec 9999 23:59:59 GMT", "Thu, 30 Dec 9999 00:00:00 GMT"])
def test_a_retry_after_past_a_day_is_not_believed(value):
    # more than MAX_RETRY_AFTER: no Graph throttling lasts that long, and "now + it" overflowed
    assert parse_retry_after(value, now=HTTP_DATE_TS) is None


def test_a_retry_after_of_a_day_is_honoured():
    assert parse_retry_after("86400") == MAX_RETRY_AFTER == 86400.0


# -- RetryPolicy -----------------------------------------------------------------

def test_transient_statuses_exclude_500():
    assert TRANSIENT_STATUSES == frozenset((429, 503, 504))
    assert RetryPolicy().statuses == TRANSIENT_STATUSES


def test_no_delay_past_max_retries():
    policy = RetryPolicy(max_retries=3)
    assert policy.delay(3, rand=lambda: 0.0) is not None
    assert policy.delay(4, rand=lambda: 0.0) is None
    assert policy.delay(4, retry_after=1.0) is None


def test_zero_retries_never_retries():
    assert RetryPolicy(max_retries=0).delay(1, retry_after=0.0) is None


def test_retry_after_wins_over_backoff():
    policy = RetryPolicy(max_retries=3)
    assert policy.delay(1, retry_after=12.0, rand=lambda: 1.0) == 12.0
    assert policy.delay(2, retry_after=0.0, rand=lambda: 1.0) == 0.0


def test_retry_after_up_to_max_single_wait_is_honoured():
    policy = RetryPolicy(max_retries=3, max_single_wait=60.0)
    assert policy.delay(1, retry_after=60.0) == 60.0


def test_retry_after_above_max_single_wait_gives_up():
    policy = RetryPolicy(max_retries=3, max_single_wait=60.0)
    assert policy.delay(1, retry_after=60.5) is None
    assert policy.delay(1, retry_after=600.0) is None


@pytest.mark.parametrize("attempt", [1, 2, 3, 4, 5])
def test_backoff_within_equal_jitter_bounds(attempt):
    policy = RetryPolicy(max_retries=10, base_delay=0.5, max_single_wait=60.0)
    ceiling = 0.5 * 2 ** (attempt - 1)
    low = policy.delay(attempt, rand=lambda: 0.0)
    high = policy.delay(attempt, rand=lambda: 1.0)
    assert low == pytest.approx(ceiling / 2)
    assert high == pytest.approx(ceiling)
    # real randomness stays within the bounds as well
    for _round in range(50):
        assert ceiling / 2 <= policy.delay(attempt) <= ceiling


def test_backoff_grows():
    policy = RetryPolicy(max_retries=10)
    delays = [policy.delay(n, rand=lambda: 0.5) for n in range(1, 6)]
    assert delays == sorted(delays)
    assert delays[-1] > delays[0]


@pytest.mark.parametrize("attempt", [8, 10, 30, 200])
def test_backoff_is_capped_for_big_attempts(attempt):
    policy = RetryPolicy(max_retries=1000, base_delay=0.5, max_single_wait=MAX_SINGLE_WAIT)
    assert policy.delay(attempt, rand=lambda: 1.0) == pytest.approx(MAX_SINGLE_WAIT)
    assert policy.delay(attempt, rand=lambda: 0.0) == pytest.approx(MAX_SINGLE_WAIT / 2)


def test_backoff_of_a_long_wait_polled_every_second_stays_a_float():
    # a task reading every second for hours: 2 ** 1024 would not convert to a float
    assert RetryPolicy(max_single_wait=1.0).backoff(5000, rand=lambda: 1.0) == 1.0


def test_custom_cap():
    policy = RetryPolicy(max_retries=10, base_delay=1.0, max_single_wait=3.0)
    assert policy.backoff(5, rand=lambda: 1.0) == pytest.approx(3.0)


def test_an_http_date_retry_after_counts_from_the_answers_own_date():
    from ansible_collections.intune.autopilot.plugins.module_utils._client._retry import retry_after_seconds
    # The server's clock is 9 minutes off this host's: only the difference of its two dates counts.
    headers = {"Date": "Mon, 30 Nov 2026 14:00:00 GMT", "Retry-After": "Mon, 30 Nov 2026 14:00:07 GMT"}
    assert retry_after_seconds(headers) == 7.0
    assert retry_after_seconds({"Retry-After": "3"}) == 3.0
    assert retry_after_seconds({}) is None
