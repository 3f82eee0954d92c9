"""CachedTokenProvider and the cache key, with a real DiskCache in a temporary directory."""

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
