# -*- coding: utf-8 -*-
# Copyright: intune.autopilot contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# FOR INTERNAL COLLECTION USE ONLY: the interfaces may change in any release.
"""When to retry an HTTP exchange and how long to wait first. Pure logic."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import random
import re
import time

from ansible_collections.intune.autopilot.plugins.module_utils._client._clock import parse_http_date

# Graph's documented transient answers. 500 is left out on purpose: Graph
# uses it for real server bugs that a retry does not fix.
TRANSIENT_STATUSES = frozenset((429, 503, 504))

# No single wait longer than this, whatever Retry-After asks for: past it the
# task fails with a clear message instead of hanging silently.
MAX_SINGLE_WAIT = 60.0
BASE_DELAY = 0.5

# A Retry-After beyond this is not believed (no Graph throttling lasts a day):
# such an answer counts as one without Retry-After, and no date overflows.
MAX_RETRY_AFTER = 86400.0

_DELTA_SECONDS = re.compile(r"[0-9]+")  # RFC 9110's 1*DIGIT: ASCII only ("²".isdigit() is True)


def parse_retry_after(value, now=None):
    """Seconds to wait from a ``Retry-After`` header, or None if absent/invalid.

    Accepts delta-seconds (``"7"``) and an HTTP-date; a date in the past means 0.
    Never raises: anything else, or more than MAX_RETRY_AFTER, is None.
    """
    if value is None:
        return None
    value = str(value).strip()
    if not value:
        return None
    if _DELTA_SECONDS.fullmatch(value):
        # Past 12 digits it is no wait anyone honours (and int() refuses 4300 digits).
        seconds = float(int(value)) if len(value) <= 12 else MAX_RETRY_AFTER + 1
    else:
        when = parse_http_date(value)
        if when is None:
            return None
        seconds = max(0.0, when - (time.time() if now is None else now))
    return seconds if seconds <= MAX_RETRY_AFTER else None


def retry_after_seconds(headers):
    """Seconds from an answer's ``Retry-After``; an HTTP-date counts from the answer's own
    ``Date`` (the server's clock), this host's clock only when there is none."""
    headers = headers or {}
    return parse_retry_after(headers.get("Retry-After"), now=parse_http_date(headers.get("Date")))


class RetryPolicy:
    """Which failures may be retried, how often, and how long to wait.

    ``statuses`` are retried answers; ``connection_errors`` says whether a
    failure where the request may already have reached the server (reset,
    read timeout) is retried too. A failure to connect at all is always safe
    to retry because nothing was sent.
    """

    def __init__(self, max_retries=3, statuses=TRANSIENT_STATUSES, connection_errors=True,
                 base_delay=BASE_DELAY, max_single_wait=MAX_SINGLE_WAIT):
        self.max_retries = max_retries
        self.statuses = frozenset(statuses)
        self.connection_errors = connection_errors
        self.base_delay = base_delay
        self.max_single_wait = max_single_wait

    def backoff(self, attempt, rand=random.random):
        """Exponential backoff with 'equal jitter' for retry number ``attempt`` (1-based)."""
        # 2 ** 1024 is no float: past 64 doublings the cap has long been reached anyway.
        ceiling = min(self.max_single_wait, self.base_delay * (2 ** min(attempt - 1, 64)))
        return ceiling / 2 + rand() * ceiling / 2

    def delay(self, attempt, retry_after=None, rand=random.random):
        """Seconds to wait before retry ``attempt``, or None to give up.

        ``retry_after`` is the parsed Retry-After of the failed answer, if any:
        the server knows best, so it wins over the backoff unless it asks for
        more than ``max_single_wait``.
        """
        if attempt > self.max_retries:
            return None
        if retry_after is not None:
            return retry_after if retry_after <= self.max_single_wait else None
        return self.backoff(attempt, rand)
