"""Transport over real HTTPS to the simulator: TLS, retries, Retry-After, ids, the deadline,
and what a connection failure means (never sent, a name that does not resolve).

Sleeps are recorded instead of slept, so the retry policy is checked exactly
and fast.
"""

import socket
import time

import pytest
import requests
import urllib3

from ansible_collections.intune.autopilot.plugins.module_utils._base._errors import TransportError
from ansible_collections.intune.autopilot.plugins.module_utils._client._retry import RetryPolicy
from ansible_collections.intune.autopilot.plugins.module_utils._client._session import (
    Transport,
    failed_lookup,
    may_have_been_sent,
)

SETTINGS = "/beta/deviceManagement/windowsAutopilotSettings"


class Recorder:
    def __init__(self):
        self.sleeps = []

    def __call__(self, seconds):
        self.sleeps.append(seconds)


@pytest.fixture
def call(https_sim, sim_tenant):
    """GET the tenant's settings through a Transport; return (response, sleeps, log statuses)."""
    token = https_sim.mint_access_token(sim_tenant, "unit-client")

    def send(method="GET", path=SETTINGS, retry=None, timeout=5, verify=None, max_retries=3):
        sleeps = Recorder()
        transport = Transport(verify=verify or https_sim.ca_path, timeout=timeout,
                              retry=RetryPolicy(max_retries=max_retries), sleep=sleeps)
        try:
            response = transport.request(method, https_sim.url + path, retry=retry,
                                         headers={"Authorization": "Bearer " + token})
        finally:
            statuses = [e["status"] for e in https_sim.log(tenant=sim_tenant)]
        return response, sleeps.sleeps, statuses

    return send


def fault(https_sim, tenant, kind, count=1, **params):
    https_sim.add_fault(kind, tenant=tenant, endpoint="settings", count=count, **params)


def test_retry_after_seconds_is_honoured(https_sim, sim_tenant, call):
    fault(https_sim, sim_tenant, "status", status=429, retry_after=2)
    response, sleeps, statuses = call()
    assert response.status_code == 200
    assert sleeps == [2.0]
    assert statuses == [429, 200]


def test_retry_after_http_date_is_honoured(https_sim, sim_tenant, call):
    fault(https_sim, sim_tenant, "status", status=503, retry_after="http-date", retry_after_seconds=5)
    response, sleeps, statuses = call()
    assert response.status_code == 200
    assert len(sleeps) == 1 and 3 <= sleeps[0] <= 5  # an HTTP date has one-second resolution
    assert statuses == [503, 200]


def test_without_retry_after_backs_off_exponentially(https_sim, sim_tenant, call):
    fault(https_sim, sim_tenant, "status", count=3, status=504)
    response, sleeps, statuses = call()
    assert response.status_code == 200
    assert statuses == [504, 504, 504, 200]
    for attempt, slept in enumerate(sleeps, start=1):
        ceiling = 0.5 * 2 ** (attempt - 1)
        assert ceiling / 2 <= slept <= ceiling


def test_retries_are_bounded_by_max_retries(https_sim, sim_tenant, call):
    fault(https_sim, sim_tenant, "status", count=-1, status=503, retry_after=1)
    response, sleeps, statuses = call(max_retries=2)
    assert response.status_code == 503  # the last answer, for the caller to explain
    assert response.attempts == 3
    assert sleeps == [1.0, 1.0]
    assert statuses == [503, 503, 503]


def test_a_retry_after_beyond_the_cap_is_not_waited_for(https_sim, sim_tenant, call):
    fault(https_sim, sim_tenant, "status", status=429, retry_after=3600)
    response, sleeps, statuses = call()
    assert response.status_code == 429
    assert sleeps == []
    assert statuses == [429]


def test_500_is_not_retried(https_sim, sim_tenant, call):
    fault(https_sim, sim_tenant, "status", status=500)
    response, sleeps, statuses = call()
    assert response.status_code == 500
    assert statuses == [500]


def test_a_reset_connection_is_retried_for_a_read(https_sim, sim_tenant, call):
    fault(https_sim, sim_tenant, "reset")
    response, sleeps, _statuses = call()
    assert response.status_code == 200
    assert len(sleeps) == 1
    assert [e["fault"] for e in https_sim.log(tenant=sim_tenant)] == ["reset", None]


def test_a_reset_is_not_retried_where_the_policy_forbids_it(https_sim, sim_tenant, call):
    fault(https_sim, sim_tenant, "reset")
    with pytest.raises(TransportError) as error:
        call(retry=RetryPolicy(max_retries=3, connection_errors=False))
    assert "after 1 attempt(s)" in error.value.message
    assert len(https_sim.log(tenant=sim_tenant)) == 1


def test_a_read_timeout_is_retried_then_explained(https_sim, sim_tenant, call):
    fault(https_sim, sim_tenant, "slow", count=-1, delay=1.5)
    with pytest.raises(TransportError) as error:
        call(timeout=0.5, max_retries=1)
    assert "no answer within 0.5 seconds" in error.value.message
    assert "after 2 attempt(s)" in error.value.message
    assert error.value.details["attempts"] == 2


def test_each_call_gets_a_fresh_client_request_id_kept_across_its_retries(https_sim, sim_tenant, call):
    fault(https_sim, sim_tenant, "status", status=503, retry_after=0)
    call()
    call()
    ids = [e["client_request_id"] for e in https_sim.log(tenant=sim_tenant)]
    assert len(ids) == 3
    assert ids[0] == ids[1]  # the retry of the first call
    assert ids[2] != ids[0]


def test_ca_path_wins_over_requests_ca_bundle(https_sim, call, monkeypatch):
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", https_sim.untrusted_ca_path)
    monkeypatch.setenv("CURL_CA_BUNDLE", https_sim.untrusted_ca_path)
    response, _sleeps, _statuses = call()
    assert response.status_code == 200


@pytest.mark.parametrize("listener,hint", [("untrusted_url", "ca_path"), ("wrong_host_url", "graph_endpoint")])
def test_tls_failures_are_not_retried(https_sim, listener, hint):
    sleeps = Recorder()
    transport = Transport(verify=https_sim.ca_path, sleep=sleeps)
    with pytest.raises(TransportError) as error:
        transport.request("GET", getattr(https_sim, listener) + SETTINGS)
    assert "TLS verification" in error.value.message
    assert hint in error.value.message
    assert sleeps.sleeps == []


def deadline_call(https_sim, sim_tenant, remaining):
    """A GET through a Transport whose deadline is ``remaining`` seconds away; returns (response, sleeps)."""
    token = https_sim.mint_access_token(sim_tenant, "unit-client")
    sleeps = Recorder()
    transport = Transport(verify=https_sim.ca_path, timeout=5, retry=RetryPolicy(max_retries=3), sleep=sleeps,
                          monotonic=lambda: 1000.0)
    transport.deadline = 1000.0 + remaining
    response = transport.request("GET", https_sim.url + SETTINGS, headers={"Authorization": "Bearer " + token})
    return response, sleeps.sleeps


def test_a_retry_after_past_the_deadline_is_not_waited_for(https_sim, sim_tenant):
    fault(https_sim, sim_tenant, "status", count=-1, status=429, retry_after=30)
    response, sleeps = deadline_call(https_sim, sim_tenant, remaining=10)
    assert response.status_code == 429  # the caller turns it into a clear error
    assert sleeps == []
    assert len(https_sim.log(tenant=sim_tenant)) == 1


def test_a_retry_after_inside_the_deadline_is_honoured(https_sim, sim_tenant):
    fault(https_sim, sim_tenant, "status", status=429, retry_after=2)
    response, sleeps = deadline_call(https_sim, sim_tenant, remaining=10)
    assert response.status_code == 200
    assert sleeps == [2.0]


def test_a_reset_after_sending_says_the_request_may_have_arrived(https_sim, sim_tenant, call):
    fault(https_sim, sim_tenant, "reset")
    with pytest.raises(TransportError) as error:
        call(retry=RetryPolicy(max_retries=3, connection_errors=False))
    assert error.value.sent is True


def test_a_connection_that_never_opened_was_not_sent():
    transport = Transport(timeout=2, retry=RetryPolicy(max_retries=0), sleep=Recorder())
    with pytest.raises(TransportError) as error:
        transport.request("GET", "https://127.0.0.1:9/nothing-listens-here")
    assert error.value.sent is False


# -- never sent: told by urllib3's classes, a failed name lookup named -------------------------------

def test_a_name_that_does_not_resolve_was_not_sent_and_is_named():
    transport = Transport(timeout=2, retry=RetryPolicy(max_retries=0), sleep=Recorder())
    with pytest.raises(TransportError) as error:
        transport.request("POST", "https://graph.invalid/beta/deviceManagement/windowsAutopilotSettings/sync")
    assert error.value.sent is False
    assert error.value.message.startswith("Could not resolve host graph.invalid (")
    assert error.value.details["host"] == "graph.invalid"


class _Connection:
    host = "graph.invalid"


def _wrapped_like_requests(inner):
    """What requests raises around a urllib3 connection failure."""
    return requests.exceptions.ConnectionError(urllib3.exceptions.MaxRetryError(None, "/", inner))


def _new_connection_error_from(cause, error_class=urllib3.exceptions.NewConnectionError):
    """An error raised while handling ``cause``, as urllib3 raises it (``__context__`` set)."""
    try:
        try:
            raise cause
        except OSError:
            raise error_class(_Connection(), "Failed to establish a new connection: %s" % cause)
    except error_class as exc:
        return exc


def test_a_failed_lookup_in_urllib3_1_26_shape_is_recognised():
    # urllib3 1.26 has no NameResolutionError: a NewConnectionError raised from a socket.gaierror.
    exc = _wrapped_like_requests(_new_connection_error_from(socket.gaierror(-2, "Name or service not known")))
    assert may_have_been_sent(exc) is False
    assert failed_lookup(exc) == ("graph.invalid", "Name or service not known")


@pytest.mark.parametrize("inner,sent", [
    (_new_connection_error_from(ConnectionRefusedError(111, "Connection refused")), False),
    (urllib3.exceptions.ConnectTimeoutError("connect timed out"), False),
    (type("SomeNewConnectionError", (urllib3.exceptions.NewConnectionError,), {})(_Connection(), "x"), False),
    (urllib3.exceptions.ProtocolError("Connection aborted.", ConnectionResetError(104, "reset")), True),
    (urllib3.exceptions.ReadTimeoutError(None, "/", "read timed out"), True),
], ids=["refused", "connect-timeout", "subclass", "reset", "read-timeout"])
def test_never_sent_is_told_by_class_not_by_name(inner, sent):
    exc = _wrapped_like_requests(inner)
    assert may_have_been_sent(exc) is sent
    assert failed_lookup(exc) is None


# -- one deadline: no request runs past it --------------------------------------------------------------

def test_no_request_starts_once_the_deadline_has_passed(https_sim, sim_tenant):
    transport = Transport(verify=https_sim.ca_path, timeout=5, sleep=Recorder(), monotonic=lambda: 1000.0)
    transport.deadline = 1000.0
    with pytest.raises(TransportError) as error:
        transport.request("GET", https_sim.url + SETTINGS)
    assert "wait_timeout" in error.value.message
    assert error.value.sent is False
    assert https_sim.log(tenant=sim_tenant) == []


def test_a_request_gets_only_the_time_left_before_the_deadline(https_sim, sim_tenant):
    fault(https_sim, sim_tenant, "slow", delay=3)
    token = https_sim.mint_access_token(sim_tenant, "unit-client")
    transport = Transport(verify=https_sim.ca_path, timeout=30, sleep=Recorder())
    started = time.monotonic()
    transport.deadline = started + 1.0
    with pytest.raises(TransportError) as error:
        transport.request("GET", https_sim.url + SETTINGS, headers={"Authorization": "Bearer " + token})
    assert time.monotonic() - started < 2.5  # not the 3 s the answer takes, nor timeout=30
    assert "the time left of wait_timeout" in error.value.message
