"""CachedTokenProvider and the cache key, with a real DiskCache in a temporary directory."""

import base64
import json
import os

import pytest

from ansible_collections.intune.autopilot.plugins.module_utils._auth._providers import AccessToken
from ansible_collections.intune.autopilot.plugins.module_utils._base._settings import build_connection_settings
from ansible_collections.intune.autopilot.plugins.module_utils._auth._file_store import DiskCache
from ansible_collections.intune.autopilot.plugins.module_utils._auth._token_cache import (
    MIN_REMAINING_LIFETIME,
    CachedTokenProvider,
    token_cache_key,
)

NOW = 1_800_000_000.0


class CountingProvider:
    refreshable = True

    def __init__(self, lifetime=3600):
        self.calls = []
        self.lifetime = lifetime

    def token(self, force_refresh=False):
        self.calls.append(force_refresh)
        return AccessToken("token-%d" % len(self.calls), NOW + self.lifetime)


def provider_with(tmp_path, inner, now=NOW):
    built = []

    def build():
        built.append(True)
        return inner

    cached = CachedTokenProvider(build, DiskCache(str(tmp_path)), "key", now=lambda: now)
    return cached, built


def test_a_hit_never_builds_the_provider(tmp_path):
    inner = CountingProvider()
    first, _built = provider_with(tmp_path, inner)
    assert first.token().value == "token-1"
    second, built = provider_with(tmp_path, inner)
    assert second.token().value == "token-1"
    assert built == []  # no MSAL import, no token request
    assert inner.calls == [False]


def test_a_token_close_to_expiry_is_not_used(tmp_path):
    inner = CountingProvider(lifetime=MIN_REMAINING_LIFETIME - 1)
    first, _built = provider_with(tmp_path, inner)
    first.token()
    second, built = provider_with(tmp_path, inner)
    assert second.token().value == "token-2"
    assert built == [True]


def test_force_refresh_replaces_the_entry(tmp_path):
    inner = CountingProvider()
    cached, _built = provider_with(tmp_path, inner)
    cached.token()
    assert cached.token(force_refresh=True).value == "token-2"
    assert inner.calls == [False, True]
    again, _built = provider_with(tmp_path, inner)
    assert again.token().value == "token-2"


def settings(**params):
    base = {"tenant_id": "contoso.onmicrosoft.com", "client_id": "app", "client_secret": "one",
            "validate_certs": True, "timeout": 30, "max_retries": 3}
    base.update(params)
    return build_connection_settings(base, environ={})


def test_keys_differ_by_tenant_client_cloud_and_credential():
    keys = {
        token_cache_key(settings()),
        token_cache_key(settings(tenant_id="fabrikam.onmicrosoft.com")),
        token_cache_key(settings(client_id="other-app")),
        token_cache_key(settings(cloud="usgov")),
        token_cache_key(settings(client_secret="two")),
    }
    assert len(keys) == 5
    assert token_cache_key(settings()) == token_cache_key(settings(tenant_id="CONTOSO.onmicrosoft.com"))


# -- only the tenant that was asked ----------------------------------------------------------------

ASKED = "3f2504e0-4f89-41d3-9a0c-0305e82c3301"
OTHER = "8f4b2e1a-3c5d-4e6f-9a0b-1c2d3e4f5a6b"


def jwt_for(tenant):
    """An unsigned JWT whose payload names ``tenant`` (only its claims are read)."""
    def part(data):
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")
    return "%s.%s.signature" % (part({"alg": "none"}), part({"tid": tenant}))


def plant(tmp_path, key, entry):
    DiskCache(str(tmp_path)).write("tokens", key, dict({"expires_on": NOW + 3600}, **entry))


def cached_for(tmp_path, asked=None, key="key"):
    inner = CountingProvider()
    cached = CachedTokenProvider(lambda: inner, DiskCache(str(tmp_path)), key, asked_tenant=lambda: asked,
                                 now=lambda: NOW)
    return cached, inner


def test_an_entry_renamed_onto_another_key_is_not_used(tmp_path):
    plant(tmp_path, "key-of-another-task", {"key": "key-of-another-task", "access_token": jwt_for(ASKED)})
    os.rename(os.path.join(str(tmp_path), "tokens", "key-of-another-task.json"),
              os.path.join(str(tmp_path), "tokens", "key.json"))
    cached, inner = cached_for(tmp_path, asked=ASKED)
    assert cached.token().value == "token-1"
    assert inner.calls == [False]


def test_an_entry_without_its_key_is_not_used(tmp_path):
    plant(tmp_path, "key", {"access_token": jwt_for(ASKED)})  # as written before entries held their key
    cached, inner = cached_for(tmp_path, asked=ASKED)
    assert cached.token().value == "token-1"


def test_a_token_of_another_tenant_is_not_used_and_is_replaced(tmp_path):
    plant(tmp_path, "key", {"key": "key", "access_token": jwt_for(OTHER)})
    cached, inner = cached_for(tmp_path, asked=ASKED)
    assert cached.token().value == "token-1"
    assert DiskCache(str(tmp_path)).read("tokens", "key")["access_token"] == "token-1"


@pytest.mark.parametrize("token,asked", [
    (jwt_for(ASKED), ASKED),
    (jwt_for(ASKED.upper()), ASKED),  # a GUID is a GUID in any case
    (jwt_for(OTHER), None),           # the tenant asked is unknown (a domain never resolved here)
    ("not-a-jwt", ASKED),             # a token that says nothing about itself
], ids=["same-tenant", "same-tenant-upper-case", "asked-unknown", "tid-unreadable"])
def test_a_token_is_used_unless_it_is_known_to_be_another_tenants(tmp_path, token, asked):
    plant(tmp_path, "key", {"key": "key", "access_token": token})
    cached, inner = cached_for(tmp_path, asked=asked)
    assert cached.token().value == token
    assert inner.calls == []
