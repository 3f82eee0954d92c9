# -*- coding: utf-8 -*-
# Copyright: intune.autopilot contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# FOR INTERNAL COLLECTION USE ONLY: the interfaces may change in any release.
"""Microsoft Graph calls: URL, bearer token, JSON, and Graph-shaped errors."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import re

from urllib.parse import quote, urlencode, urlsplit

from ansible_collections.intune.autopilot.plugins.module_utils._base._errors import GraphError, scrub
from ansible_collections.intune.autopilot.plugins.module_utils._client._clock import GraphClock
from ansible_collections.intune.autopilot.plugins.module_utils._client._request_auth import BearerAuth
from ansible_collections.intune.autopilot.plugins.module_utils._client._retry import retry_after_seconds
from ansible_collections.intune.autopilot.plugins.module_utils._auth._claims import unverified_claims
from ansible_collections.intune.autopilot.plugins.module_utils._client._session import response_ids

API_VERSION = "beta"  # windowsAutopilotSettings exists only under /beta

FORBIDDEN_HINT = ("The app lacks permission. Grant it the Microsoft Graph application permission "
                  "DeviceManagementServiceConfig.ReadWrite.All and give admin consent in the tenant")

# Defaults; a call passes its own ``hints`` where it knows better (what a 404 means for it,
# which permission it needs).
_STATUS_HINTS = {
    401: "Graph rejected the access token. Check that it was issued for Microsoft Graph in this cloud "
         "and tenant",
    403: FORBIDDEN_HINT,
    404: "Graph found nothing at this address. Check that graph_endpoint points to Microsoft Graph",
    429: "Graph kept throttling the request. Try again later, or raise max_retries",
}

# OData query option names keep their "$"; quotes and parentheses of a $filter stay readable.
_QUERY_SAFE = "$,'()"

# A 401 for a token given in access_token, which cannot be refreshed here.
_GIVEN_TOKEN_REJECTED = ("Graph rejected the given access_token (expired, or not issued for Microsoft Graph). "
                         "Obtain a new token and pass it in access_token")


def _origin(url):
    """(scheme, host:port) of a URL, lower case, the default port made explicit."""
    try:
        parts = urlsplit(str(url))
        port = parts.port or (443 if parts.scheme.lower() == "https" else None)
    except ValueError:
        return None, None
    if parts.scheme.lower() != "https" or not parts.hostname:
        return None, None
    return "https", "%s:%s" % (parts.hostname.lower(), port)


class GraphResponse:
    """A successful (or explicitly accepted) Graph answer.

    ``refusal`` is the GraphError an accepted non-2xx answer stands for (not
    raised): its details (status, code, Graph's message, ids) for the result.
    """

    def __init__(self, status, body, headers, refusal=None):
        self.status = status
        self.body = body
        self.headers = headers
        self.refusal = refusal

    @property
    def request_id(self):
        return self.headers.get("request-id")

    @property
    def retry_after(self):
        return retry_after_seconds(self.headers)


def _title(html):
    match = re.search(r"<title[^>]*>([^<]{1,80})", html, re.IGNORECASE)
    return match.group(1).strip() if match else None


def _loads(text):
    """json.loads that raises ValueError, and nothing else, for what is not JSON we can use."""
    try:
        return json.loads(text)
    except RecursionError:  # "[[[[..." nested deeper than Python's stack
        raise ValueError("nested too deeply")


def _decode_json(response):
    """The JSON body, None for an empty one; raise ValueError for anything else."""
    if not response.content:
        return None
    content_type = response.headers.get("Content-Type", "")
    if "json" not in content_type.lower():
        raise ValueError(content_type or "no Content-Type")
    return _loads(response.text)


def error_message(error):
    """The text of Graph's ``error.message``, None when there is none. Intune, behind Graph, puts its
    own error there as a JSON string (``{"_version": 3, "Message": "...", "RetryAfter": null, ...}``):
    then its ``Message``, never the escaped JSON."""
    message = error.get("message")
    inner = message
    if isinstance(message, str) and message.lstrip().startswith("{"):
        try:
            inner = _loads(message)
        except ValueError:
            pass  # braces, but not JSON: it is the text
    if isinstance(inner, dict) and isinstance(inner.get("Message"), str):
        return inner["Message"]
    return message if isinstance(message, str) else None


class GraphClient:
    """Calls Graph with a token from ``token_provider`` over ``transport``."""

    def __init__(self, settings, transport, token_provider, on_token=None, clock=None):
        self._settings = settings
        self._transport = transport
        self._tokens = token_provider
        self._on_token = on_token
        self._token = None
        # Fed with the Date of every Graph answer: the time rules run on Graph's clock.
        self.clock = clock or GraphClock()

    def limit_retries_to(self, deadline):
        """No later request (Graph, token or discovery, a 401's refresh included), nor any retry
        wait, may pass this monotonic moment: each request's timeout is cut to the time left."""
        self._transport.deadline = deadline

    @property
    def settings(self):
        """The ConnectionSettings this client was built from (the tenant as asked, among others)."""
        return self._settings

    @property
    def token_claims(self):
        """The current access token's claims, unverified; None before the first call or if unreadable."""
        return unverified_claims(self._token)

    def url(self, path, params=None):
        url = "%s/%s/%s" % (self._settings.graph_endpoint, API_VERSION, path.lstrip("/"))
        if params:
            # Spaces as %20, not "+": OData reads a "+" in $filter literally.
            url += "?" + urlencode(sorted(params.items()), quote_via=quote, safe=_QUERY_SAFE)
        return url

    def _bearer(self, force_refresh=False):
        """The ``auth=`` of a Graph request; an object, not a header, so ~/.netrc cannot replace it."""
        if self._token is None or force_refresh:
            self._token = self._tokens.token(force_refresh=force_refresh).value
            if self._on_token:
                self._on_token(self._token)
        return BearerAuth(self._token)

    def call(self, method, path, body=None, retry=None, accept=(), hints=None, params=None):
        """Send one Graph request; return GraphResponse or raise GraphError.

        ``accept`` lists non-2xx statuses the caller treats as outcomes (the
        sync's 409/429) and that are returned instead of raised. ``retry``
        overrides the transport's retry policy (see the sync module).
        ``hints`` ({status: text}) replace the default advice of an error
        message for this call; ``params`` are query options such as $filter.
        """
        return self._call(method, self.url(path, params), body, retry, accept, hints)

    def follow(self, link, hints=None):
        """GET an absolute ``@odata.nextLink``; only on graph_endpoint's own host, so the token
        never goes anywhere else (a rewritten or forged link is refused before sending)."""
        if _origin(link) != _origin(self._settings.graph_endpoint):
            raise GraphError(
                "Microsoft Graph's @odata.nextLink points to %s, not to graph_endpoint's host %s; the "
                "access token is sent nowhere else, so the listing stopped. A proxy may have rewritten "
                "the answer: check HTTPS_PROXY/NO_PROXY and graph_endpoint."
                % (_origin(link)[1] or "an address that is not an https URL",
                   _origin(self._settings.graph_endpoint)[1]), code="ForeignNextLink")
        return self._call("GET", link, None, None, (), hints)

    def _call(self, method, url, body, retry, accept, hints):
        headers = {"Accept": "application/json"}
        kwargs = {"retry": retry}
        if body is not None:
            kwargs["json"] = body
        kwargs["auth"] = self._bearer()
        response = self._send(method, url, headers, kwargs)
        if self._worth_a_new_token(response.status_code):
            # A cached token can expire or be revoked between acquisition and
            # use, or predate a permission grant: get a new one once, then let
            # a second refusal fail clearly.
            kwargs["auth"] = self._bearer(force_refresh=True)
            response = self._send(method, url, headers, kwargs)

        try:
            payload = _decode_json(response)
        except ValueError as exc:
            raise self._not_json(response, exc)
        if 200 <= response.status_code < 300:
            return GraphResponse(response.status_code, payload, response.headers)
        error = self._error(response, payload, hints or {})
        if response.status_code in accept:
            return GraphResponse(response.status_code, payload, response.headers, refusal=error)
        raise error

    def _send(self, method, url, headers, kwargs):
        response = self._transport.request(method, url, headers=headers, **kwargs)
        self.clock.observe(response.headers.get("Date"))
        return response

    def _worth_a_new_token(self, status):
        if status == 401:
            return self._tokens.refreshable
        return status == 403 and getattr(self._tokens, "stale_roles_possible", False)

    def get(self, path, **kwargs):
        return self.call("GET", path, **kwargs)

    def post(self, path, **kwargs):
        return self.call("POST", path, **kwargs)

    def _not_json(self, response, exc):
        detail = str(exc)
        content_type = response.headers.get("Content-Type", "")
        if "html" in content_type.lower():
            title = _title(response.text)
            detail = "an HTML page%s" % (" titled %r" % title if title else "")
            hint = ("A proxy, firewall or captive portal probably answered instead of Graph: check "
                    "HTTPS_PROXY/NO_PROXY and graph_endpoint.")
        elif "json" in content_type.lower():
            detail = "a JSON body that could not be parsed (%s)" % detail.split(":", 1)[0]
            hint = "The answer was probably cut off in transit; run the task again."
        else:
            detail = "a %s body" % (content_type or "non-JSON")
            hint = "Check HTTPS_PROXY/NO_PROXY and graph_endpoint."
        return GraphError(
            "Expected JSON from Microsoft Graph at %s but got %s (HTTP %s). %s"
            % (self.url("").rstrip("/"), detail, response.status_code, hint),
            status=response.status_code, code="NonJsonResponse", **response_ids(response))

    def _audience_hint(self):
        cloud = self._settings.cloud
        return ("The token is for %s (cloud=%s), which the Graph at %s does not accept: set cloud to the "
                "cloud that graph_endpoint belongs to"
                % (cloud.graph_endpoint, cloud.name, self._settings.graph_endpoint))

    def _error(self, response, payload, hints):
        error = (payload or {}).get("error") if isinstance(payload, dict) else None
        error = error if isinstance(error, dict) else {}
        code = error.get("code")
        graph_message = scrub(error_message(error), self._settings.secrets)
        status = response.status_code
        hint = (_GIVEN_TOKEN_REJECTED if status == 401 and not self._tokens.refreshable
                else hints.get(status) or _STATUS_HINTS.get(status))
        if status == 401 and self._tokens.refreshable and "audience" in (graph_message or "").lower():
            hint = self._audience_hint()
        if hint is None and status >= 500:
            hint = "Microsoft Graph had a server-side problem; try again later"
        summary = "Graph answered %s%s%s" % (status, " %s" % code if code else "",
                                             ": %s" % graph_message if graph_message else "")
        message = "%s. %s." % (summary.rstrip("."), hint) if hint else summary
        attempts = getattr(response, "attempts", 1)
        if attempts > 1:
            message += " (%d attempts)" % attempts
        return GraphError(message, status=status, code=code, graph_message=graph_message,
                          retry_after=retry_after_seconds(response.headers),
                          **response_ids(response))
