"""Reading an access token's claims without verifying it: never an error, never the token."""

import base64
import json

import pytest

from ansible_collections.intune.autopilot.plugins.module_utils._auth._claims import token_roles, unverified_claims


def jwt_with(payload, header=None):
    def part(value):
        raw = value if isinstance(value, bytes) else json.dumps(value).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")
    return "%s.%s.signature" % (part(header or {"alg": "RS256", "typ": "JWT"}), part(payload))


def test_reads_the_payload_of_an_unpadded_base64url_jwt():
    claims = {"tid": "8f4b2e1a-3c5d-4e6f-9a0b-1c2d3e4f5a6b", "roles": ["A"], "name": "\u00e9\u00e8?>"}
    assert unverified_claims(jwt_with(claims)) == claims


@pytest.mark.parametrize("token", [
    None, "", "opaque-token", "a.b", "a.b.c.d", "eyJhbGciOiJSUzI1NiJ9.!!!.sig",
    jwt_with(b"\xff\xfe not utf-8"), jwt_with(b"not json"), jwt_with(["a", "list"]), 42,
])
def test_anything_else_is_unknown_not_an_error(token):
    assert unverified_claims(token) is None


def test_app_only_token_roles_are_sorted_and_none_means_no_role():
    assert token_roles({"roles": ["b", "a"], "idtyp": "app"}) == ["a", "b"]
    assert token_roles({"idtyp": "app"}) == []  # Entra omits the claim when no role is granted


@pytest.mark.parametrize("claims", [None, {"scp": "DeviceManagementServiceConfig.ReadWrite.All"},
                                    {"roles": "not-a-list"}, {"roles": [1, 2]}])
def test_delegated_or_odd_tokens_have_unknown_roles(claims):
    assert token_roles(claims) is None
