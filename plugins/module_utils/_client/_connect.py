# -*- coding: utf-8 -*-
# Copyright: intune.autopilot contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# FOR INTERNAL COLLECTION USE ONLY: the interfaces may change in any release.
"""From a task's options to a Graph client: checked settings, one session, a token provider.

Every core builds its client here, so neither door talks HTTP or assembles a
client itself, and tokens are always hidden through the task context.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.intune.autopilot.plugins.module_utils._auth._file_store import DiskCache
from ansible_collections.intune.autopilot.plugins.module_utils._auth._providers import build_token_provider
from ansible_collections.intune.autopilot.plugins.module_utils._auth._tenant import asked_tenant_id
from ansible_collections.intune.autopilot.plugins.module_utils._auth._token_cache import (
    CachedTokenProvider,
    token_cache_key,
)
from ansible_collections.intune.autopilot.plugins.module_utils._base._libraries import import_library
from ansible_collections.intune.autopilot.plugins.module_utils._base._settings import build_connection_settings
from ansible_collections.intune.autopilot.plugins.module_utils._client._graph import GraphClient
from ansible_collections.intune.autopilot.plugins.module_utils._client._retry import RetryPolicy
from ansible_collections.intune.autopilot.plugins.module_utils._client._session import Transport

INSECURE_WARNING = "validate_certs=false: TLS certificates are not checked. Use only for tests."


def connection_settings(context):
    """Check the connection options, before anything else and any network call."""
    import_library("requests")
    return build_connection_settings(context.params, context.environ, context.secrets)


def graph_client(context, settings):
    """The Graph client for these settings; its tokens are hidden through ``context.hide``."""
    session = Transport(verify=settings.verify, timeout=settings.timeout,
                        retry=RetryPolicy(max_retries=settings.max_retries))
    if settings.verify is False:
        context.warn(INSECURE_WARNING)
        _silence_insecure_warnings()
    return GraphClient(settings, session, _token_provider(settings, session, context.environ),
                       on_token=context.hide)


def _token_provider(settings, session, environ):
    cache = DiskCache(settings.cache_path)

    def build():
        return build_token_provider(settings, session, cache)

    if settings.token_cache:
        return CachedTokenProvider(build, cache, token_cache_key(settings, environ),
                                   asked_tenant=lambda: asked_tenant_id(settings))
    return build()


def _silence_insecure_warnings():
    try:
        import urllib3
        urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
    except (ImportError, AttributeError):
        pass
