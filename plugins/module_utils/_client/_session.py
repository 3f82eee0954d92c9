# -*- coding: utf-8 -*-
# Copyright: intune.autopilot contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# FOR INTERNAL COLLECTION USE ONLY: the interfaces may change in any release.
"""The one HTTP session of a module run, shared by MSAL and the Graph client.

It adds what every exchange needs: TLS verification that an explicit
``ca_path`` controls even when REQUESTS_CA_BUNDLE/CURL_CA_BUNDLE are set, a
timeout, a fresh ``client-request-id``, an explicit ``auth=`` (never
``~/.netrc``), and bounded retries of transient failures, all inside the
task's one deadline. Because MSAL is handed this session too, token requests
get the same TLS, proxy, retry and deadline rules as Graph calls.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re
import socket
import time
import uuid

try:
    import requests
    from requests.exceptions import ConnectionError as RequestsConnectionError
    from requests.exceptions import ConnectTimeout, RequestException, SSLError, Timeout
    from urllib3.exceptions import ConnectTimeoutError, NewConnectionError
    _SessionBase = requests.Session
    # The connection could not be made at all, so nothing was sent.
    _NEVER_SENT = (ConnectTimeout, NewConnectionError, ConnectTimeoutError)
except ImportError:  # reported before any request (see _client._connect)
    _SessionBase = object
    _NEVER_SENT = NewConnectionError = ()
try:
    from urllib3.exceptions import NameResolutionError
    _LOOKUP_FAILED = (NameResolutionError,)
except ImportError:  # urllib3 1.26: a failed lookup is a NewConnectionError from a socket.gaierror
    _LOOKUP_FAILED = ()

from ansible_collections.intune.autopilot.plugins.module_utils._base._errors import TransportError
from ansible_collections.intune.autopilot.plugins.module_utils._base._formats import url_host
from ansible_collections.intune.autopilot.plugins.module_utils._client._request_auth import NO_AUTH
from ansible_collections.intune.autopilot.plugins.module_utils._client._retry import RetryPolicy, retry_after_seconds

USER_AGENT = "intune.autopilot/0.1.0"


class Transport(_SessionBase):
    """A ``requests.Session`` with per-request TLS, timeout, ids and retries.

    ``request()`` keeps the Session signature so MSAL can use it as its
    ``http_client``; callers may add ``retry=RetryPolicy(...)``.
    """

    def __init__(self, verify=True, timeout=30, retry=None, sleep=time.sleep, monotonic=time.monotonic):
        super(Transport, self).__init__()
        self.tls_verify = verify
        self.request_timeout = timeout
        self.default_retry = retry or RetryPolicy()
        self.sleep = sleep
        self.monotonic = monotonic
        # A monotonic moment no request nor retry wait may pass (the task's wait_timeout), or None.
        self.deadline = None
        self.headers["User-Agent"] = USER_AGENT
        # The default of every request that brings no auth= of its own: requests
        # reads ~/.netrc only for a request that has none (see _request_auth).
        self.auth = NO_AUTH

    def rebuild_auth(self, prepared_request, response):
        """On a redirect: drop Authorization for another host, as requests does, but never
        add ``~/.netrc`` credentials for the new host as requests would."""
        if "Authorization" in prepared_request.headers and self.should_strip_auth(
                response.request.url, prepared_request.url):
            del prepared_request.headers["Authorization"]

    def _fits(self, wait):
        """True if a retry after ``wait`` seconds still starts before the deadline."""
        return self.deadline is None or self.monotonic() + wait < self.deadline

    def _attempt_timeout(self, url):
        """The user's timeout, cut to the time left before the deadline; none left: nothing is sent."""
        if self.deadline is None:
            return self.request_timeout
        left = self.deadline - self.monotonic()
        if left <= 0:
            raise TransportError("Did not send the request to %s: the task's time (wait_timeout) has run out."
                                 % url_host(url), host=url_host(url))
        return min(self.request_timeout, left)

    def request(self, method, url, retry=None, **kwargs):
        # Passed per request because requests lets REQUESTS_CA_BUNDLE override
        # a Session-level verify; a per-request value wins over the environment.
        kwargs["verify"] = self.tls_verify
        headers = dict(kwargs.pop("headers", None) or {})
        headers.setdefault("client-request-id", str(uuid.uuid4()))
        kwargs["headers"] = headers

        policy = retry or self.default_retry
        attempt = 0
        while True:
            attempt += 1
            # MSAL passes its own timeout; ours (the user's option, within the deadline) counts.
            kwargs["timeout"] = timeout = self._attempt_timeout(url)
            try:
                response = super(Transport, self).request(method, url, **kwargs)
            except SSLError as exc:
                raise self._tls_error(url, exc)
            except RequestException as exc:
                wait = self._connection_retry_delay(policy, attempt, exc)
                if wait is None or not self._fits(wait):
                    raise self._connection_error(url, exc, attempt, timeout)
                self.sleep(wait)
                continue
            response.attempts = attempt
            if response.status_code not in policy.statuses:
                return response
            wait = policy.delay(attempt, retry_after_seconds(response.headers))
            if wait is None or not self._fits(wait):
                return response  # the caller turns the last answer into a clear error
            response.close()
            self.sleep(wait)

    @staticmethod
    def _connection_retry_delay(policy, attempt, exc):
        # A connect failure means nothing was sent: always safe to retry. A reset
        # or read timeout may hit after the server acted: only if the policy says so.
        if may_have_been_sent(exc) and not policy.connection_errors:
            return None
        if not isinstance(exc, (RequestsConnectionError, Timeout)):
            return None
        return policy.delay(attempt)

    def _tls_error(self, url, exc):
        reason = _reason(exc)
        if "mismatch" in reason or "not valid for" in reason or "doesn't match" in reason:
            hint = ("The certificate was issued for another host name: check the host in graph_endpoint "
                    "and authority_host, and any proxy in between.")
        else:
            hint = ("If a proxy inspects TLS, set ca_path to its CA bundle; validate_certs=false is only "
                    "for tests.")
        return TransportError("TLS verification of %s failed: %s. %s" % (url_host(url), reason, hint),
                              host=url_host(url))

    def _connection_error(self, url, exc, attempts, timeout):
        lookup = failed_lookup(exc)
        if lookup is not None:
            return _unresolved(url, lookup, attempts)
        if isinstance(exc, Timeout) and timeout < self.request_timeout:
            what = "no answer within %.1f seconds, the time left of wait_timeout" % timeout
            hint = "Raise wait_timeout, or check the network path and proxy settings."
        elif isinstance(exc, Timeout):
            what = "no answer within %s seconds" % self.request_timeout
            hint = "Raise timeout, or check the network path and proxy settings."
        else:
            what = _reason(exc)
            hint = "Check the host name, network path and proxy settings (HTTPS_PROXY)."
        error = TransportError(
            "Could not complete the request to %s after %d attempt(s): %s. %s"
            % (url_host(url), attempts, what, hint), host=url_host(url), attempts=attempts)
        # Whether the server may have received (and acted on) the request.
        error.sent = may_have_been_sent(exc)
        return error


def _unresolved(url, lookup, attempts):
    """A failed name lookup: nothing was sent, so ``sent`` stays False."""
    host, why = lookup
    host = host or url_host(url)
    return TransportError(
        "Could not resolve host %s (%s, %d attempt(s)). Check the host name in graph_endpoint and "
        "authority_host, this host's DNS, and proxy settings (HTTPS_PROXY)." % (host, why, attempts),
        host=host, attempts=attempts)


def response_ids(response):
    """The ids Microsoft support asks for, from a Graph or an Entra ID answer."""
    headers = getattr(response, "headers", None) or {}
    request = getattr(response, "request", None)
    return dict(
        request_id=headers.get("request-id") or headers.get("x-ms-request-id"),
        client_request_id=headers.get("client-request-id")
        or (request.headers.get("client-request-id") if request is not None else None),
        date=headers.get("Date"),
    )


def _causes(exc):
    """``exc`` and what it wraps: requests wraps urllib3, which wraps the socket error."""
    chain = [exc]
    for _depth in range(5):
        inner = getattr(chain[-1], "reason", None) or (chain[-1].args[0] if chain[-1].args else None)
        if inner is None or isinstance(inner, str) or inner in chain:
            break
        chain.append(inner)
    return chain


def may_have_been_sent(exc):
    """False only when the connection could not be made at all (no name, refused, connect
    timeout), so the request never left."""
    return not any(isinstance(cause, _NEVER_SENT) for cause in _causes(exc))


def failed_lookup(exc):
    """``(host, why)`` when the connection failed because the host name did not resolve, else None."""
    for cause in _causes(exc):
        lookup = cause.__cause__ or cause.__context__
        if isinstance(cause, _LOOKUP_FAILED) or (isinstance(cause, NewConnectionError)
                                                 and isinstance(lookup, socket.gaierror)):
            # urllib3 2 keeps the connection as .conn, 1.26 as .pool; its host is the one looked up
            # (a proxy's, when there is one).
            connection = getattr(cause, "conn", None) or getattr(cause, "pool", None)
            why = lookup.strerror if isinstance(lookup, socket.gaierror) and lookup.strerror else "no such name"
            return getattr(connection, "host", None), why
    return None


_TLS_REASON = re.compile(r"certificate verify failed: (.+?)(?: \(_ssl\.c:\d+\)|'\)|\"\)|$)")


def _reason(exc):
    """The most useful part of a requests/urllib3 exception text."""
    match = _TLS_REASON.search(str(exc))
    if match:
        return "certificate verify failed: " + match.group(1).rstrip(". ")
    return str(_causes(exc)[-1])
