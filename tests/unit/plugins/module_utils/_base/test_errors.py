# -*- coding: utf-8 -*-
"""Unit tests for errors.scrub and the exception classes."""

import pytest

from ansible_collections.intune.autopilot.plugins.module_utils._base._errors import (
    ConfigurationError,
    GraphError,
    WorkflowError,
    scrub,
)

JWT = ("eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9"
       ".eyJhdWQiOiJodHRwczovL2dyYXBoLm1pY3Jvc29mdC5jb20iLCJ0aWQiOiJ4In0"
       ".c2lnbmF0dXJlLXBhcnQtLWxvbmctZW5vdWdo_-")


def test_jwt_is_removed():
    text = scrub("token %s was rejected" % JWT)
    assert JWT not in text
    assert "eyJ0eXAi" not in text
    assert text == "token ******** was rejected"


def test_unsigned_jwt_is_removed():
    unsigned = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4eXoifQ."
    assert scrub("assertion=%s&x=1" % unsigned) == "assertion=********&x=1"


def test_bearer_token_is_removed_keeping_the_scheme():
    text = scrub("Authorization: Bearer abc123.def456-ghi789~", ())
    assert text == "Authorization: Bearer ********"
    assert scrub("authorization: bearer Zm9vYmFyYmF6cXV4") == "authorization: bearer ********"


def test_given_secrets_are_removed():
    text = scrub("client_secret=Abc~123.xyz and password p4ssw0rd!", ["Abc~123.xyz", "p4ssw0rd!"])
    assert "Abc~123.xyz" not in text
    assert "p4ssw0rd!" not in text
    assert text == "client_secret=******** and password ********"


def test_all_occurrences_of_a_secret_are_removed():
    assert scrub("s3cr3t s3cr3t", ["s3cr3t"]) == "******** ********"


def test_empty_or_none_secrets_are_ignored():
    assert scrub("plain text", [None, ""]) == "plain text"


def test_harmless_text_is_unchanged():
    text = "Graph answered 403 Forbidden (request-id 1234-5678)."
    assert scrub(text, ["not-in-there"]) == text


@pytest.mark.parametrize("value", [None, ""])
def test_empty_text(value):
    assert scrub(value, ["secret"]) == value


def test_non_string_is_converted():
    assert scrub(ValueError("bad secret hunter22"), ["hunter22"]) == "bad secret ********"


def test_overlapping_secrets_leave_nothing_behind():
    text = scrub("value: abcd-efgh-ijkl", ["abcd", "abcd-efgh-ijkl"])
    assert "efgh" not in text and "ijkl" not in text


# -- exception classes ----------------------------------------------------------

def test_configuration_error():
    error = ConfigurationError("timeout", "timeout must be positive.")
    assert str(error) == "timeout must be positive."
    assert error.option == "timeout"
    assert error.to_result() == {"error": {"option": "timeout"}}


def test_workflow_error_result():
    error = WorkflowError("nope", changed=False, outcome="throttled")
    assert error.message == "nope"
    assert error.to_result() == {"changed": False, "outcome": "throttled"}


def test_graph_error_details_drop_missing_values():
    error = GraphError("Graph said no.", status=403, code="Forbidden", request_id="rid")
    assert error.to_result() == {"error": {"status": 403, "code": "Forbidden", "request_id": "rid"}}
    assert (error.status, error.code, error.retry_after) == (403, "Forbidden", None)
