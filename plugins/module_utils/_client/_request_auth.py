# -*- coding: utf-8 -*-
# Copyright: intune.autopilot contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# FOR INTERNAL COLLECTION USE ONLY: the interfaces may change in any release.
"""The explicit ``auth=`` of every request, so that ``~/.netrc`` is never sent.

requests applies ``~/.netrc`` (a ``default login ... password ...`` entry matches
any host) to every request that has no ``auth=`` of its own, overwriting an
``Authorization`` header set by hand: Graph, Entra ID and any proxy would get
``Authorization: Basic ...`` with the build host's credentials. A request with
an ``auth=`` object never consults the file.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

try:
    from requests.auth import AuthBase
except ImportError:  # reported before any request (see _client._connect)
    AuthBase = object


class BearerAuth(AuthBase):
    """``Authorization: Bearer <token>``, for Graph."""

    def __init__(self, token):
        self._token = token

    def __call__(self, request):
        request.headers["Authorization"] = "Bearer " + self._token
        return request

    def __repr__(self):  # never the token
        return "BearerAuth(********)"


class NoAuth(AuthBase):
    """Nothing added: for MSAL's requests, whose credential (if any) is in the body or its own
    header, and for discovery. Explicit, so that requests does not fall back to ``~/.netrc``."""

    def __call__(self, request):
        return request


NO_AUTH = NoAuth()
