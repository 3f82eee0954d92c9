# -*- coding: utf-8 -*-
# Copyright: intune.autopilot contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# FOR INTERNAL COLLECTION USE ONLY: the interfaces may change in any release.
"""Exceptions shared by the connection layer and the modules.

Every failure a user can cause or meet is one of these; the module base turns
them into ``fail_json`` with ``msg`` and a structured ``error`` dict, so no
Python traceback ever reaches the user.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

# Things that must never be shown even when a server echoes them back:
# JWTs (access tokens, client assertions) and bearer headers.
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*")
_BEARER = re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]{8,}")
_REDACTED = "********"


def scrub(text, secrets=()):
    """Return ``text`` with tokens and the given secret values replaced."""
    if not text:
        return text
    text = _JWT.sub(_REDACTED, str(text))
    text = _BEARER.sub(r"\1" + _REDACTED, text)
    # Longest first, so a secret that starts with another one is not half shown.
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        if len(secret) >= 4:
            text = text.replace(secret, _REDACTED)
    return text


class AutopilotError(Exception):
    """Base class: a message for the user plus structured details."""

    def __init__(self, msg, **details):
        super(AutopilotError, self).__init__(msg)
        self.message = msg
        self.details = dict((k, v) for k, v in details.items() if v is not None)

    def to_result(self):
        """Keyword arguments for ``fail_json`` (besides ``msg``)."""
        return {"error": dict(self.details)} if self.details else {}


class WorkflowError(AutopilotError):
    """A module's own rule failed the task (the user asked for ``fail``, a wait timed out).

    ``result`` holds return values that still describe the state, so a failed
    task shows as much as a successful one.
    """

    def __init__(self, message, **result):
        super(WorkflowError, self).__init__(message)
        self.result = result

    def to_result(self):
        return dict(self.result)


class ConfigurationError(AutopilotError):
    """Bad options, found before any network call. ``option`` names the culprit."""

    def __init__(self, option, message):
        super(ConfigurationError, self).__init__(message, option=option)
        self.option = option


class AuthenticationError(AutopilotError):
    """Entra ID (or a managed identity endpoint) refused or failed to give a token."""


class TransportError(AutopilotError):
    """The HTTP exchange itself failed: TLS, DNS, connection, timeout.

    ``sent`` is True when the request may have reached the server before the
    failure (a reset or a read timeout), so the server may have acted on it.
    """

    sent = False


class GraphError(AutopilotError):
    """Graph answered with an error, or with something that is not Graph's JSON."""

    def __init__(self, message, status=None, code=None, graph_message=None,
                 request_id=None, client_request_id=None, date=None, retry_after=None):
        super(GraphError, self).__init__(
            message, status=status, code=code, message=graph_message,
            request_id=request_id, client_request_id=client_request_id, date=date)
        self.status = status
        self.code = code
        self.retry_after = retry_after


class MissingLibraryError(AutopilotError):
    """A Python library the chosen auth_method needs is not installed."""

    def __init__(self, library):
        super(MissingLibraryError, self).__init__(
            "Failed to import the required Python library (%s)." % library, library=library)
        self.library = library


def answer_lost(exc):
    """True if a failed write (the sync request, a device change) may have been acted on: a 5xx, an answer that is not
    Graph's JSON (cut off, or a proxy's page), a reset or a timeout after sending."""
    if isinstance(exc, TransportError):
        return exc.sent
    return isinstance(exc, GraphError) and ((exc.status or 0) >= 500 or exc.code == "NonJsonResponse")


def transient(exc):
    """A read failure worth another read while waiting: throttling, 5xx, a network failure."""
    if isinstance(exc, TransportError):
        return True
    return isinstance(exc, GraphError) and (exc.status in (429,) or (exc.status or 0) >= 500)
