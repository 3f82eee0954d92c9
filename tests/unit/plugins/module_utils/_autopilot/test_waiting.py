"""poll_until: reads within one deadline; transient failures are no news, others end the wait."""

import pytest

from ansible_collections.intune.autopilot.plugins.module_utils._autopilot._waiting import LAST_READ_SECONDS, poll_until
from ansible_collections.intune.autopilot.plugins.module_utils._base._errors import GraphError


class Clock:
    def __init__(self):
        self.now, self.sleeps = 100.0, []

    def monotonic(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


def reads(*values):
    script = list(values)

    def read():
        value = script.pop(0) if len(script) > 1 else script[0]
        if isinstance(value, Exception):
            raise value
        return value
    return read


def test_reads_until_done_every_interval():
    clock = Clock()
    poll = poll_until(clock, 200.0, 5, reads(1, 2, 3), lambda v: v == 3)
    assert (poll.done, poll.value, clock.sleeps) == (True, 3, [5, 5])


def test_the_last_read_starts_last_read_seconds_before_the_deadline():
    """No request may run past the deadline, so the last read leaves itself time to end inside it."""
    clock = Clock()
    poll = poll_until(clock, 112.0, 5, reads(1), lambda v: False)
    assert (poll.done, poll.value, clock.sleeps) == (False, 1, [5, 5, 2 - LAST_READ_SECONDS])
    assert clock.now == 112.0 - LAST_READ_SECONDS


def test_a_throttled_read_waits_for_its_retry_after_and_is_reported_at_the_end():
    clock = Clock()
    throttled = GraphError("throttled", status=429, retry_after=9)
    poll = poll_until(clock, 110.0, 5, reads(1, throttled), lambda v: False)
    assert clock.sleeps == [5, 5 - LAST_READ_SECONDS]  # the 9 s Retry-After would pass the deadline
    assert poll.error is throttled and poll.value == 1 and not poll.done


def test_a_read_that_cannot_succeed_ends_the_wait():
    with pytest.raises(GraphError, match="forbidden"):
        poll_until(Clock(), 200.0, 5, reads(GraphError("forbidden", status=403)), lambda v: True)
