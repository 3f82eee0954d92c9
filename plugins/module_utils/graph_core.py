# -*- coding: utf-8 -*-
# Copyright: intune.autopilot contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every core does around its own work (for internal collection use only).

Validated options -> connection settings -> a Graph client whose tokens are
hidden; and the one mapping of the collection's errors to a failed result.
Both doors (module and action plugin) use these, so neither talks HTTP or
builds a client itself.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import sys

from ansible.module_utils.basic import missing_required_lib

from ansible_collections.intune.autopilot.plugins.module_utils import transport
from ansible_collections.intune.autopilot.plugins.module_utils.auth import build_token_provider
from ansible_collections.intune.autopilot.plugins.module_utils.connection_options import (
    build_connection_settings,
    connection_argument_spec,
)
from ansible_collections.intune.autopilot.plugins.module_utils.disk_cache import DiskCache
from ansible_collections.intune.autopilot.plugins.module_utils.errors import MissingLibraryError, WorkflowError, scrub
from ansible_collections.intune.autopilot.plugins.module_utils.graph_client import GraphClient
from ansible_collections.intune.autopilot.plugins.module_utils.retry import RetryPolicy
from ansible_collections.intune.autopilot.plugins.module_utils.tenant_identity import labelled
from ansible_collections.intune.autopilot.plugins.module_utils.token_cache import CachedTokenProvider, token_cache_key

INSECURE_WARNING = "validate_certs=false: TLS certificates are not checked. Use only for tests."


def argument_spec(own_options=None):
    """The connection options plus a module's own: the one spec both doors validate with."""
    spec = connection_argument_spec()
    spec.update(own_options or {})
    return spec


def connection_settings(context):
    """Check the connection options, before anything else and any network call."""
    if not transport.HAS_REQUESTS:
        raise MissingLibraryError("requests")
    return build_connection_settings(context.params, context.environ)


def graph_client(context, settings):
    """The Graph client for these settings; its tokens are hidden through ``context.hide``."""
    session = transport.Transport(
        verify=settings.verify, timeout=settings.timeout,
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
        return CachedTokenProvider(build, cache, token_cache_key(settings, environ))
    return build()


def run_work(context, client, settings, work):
    """``work()``'s result labelled with the tenant it reached, its warnings (and a failure's) handed
    to the door, which shows them: a module's "warnings" result key is deprecated in ansible-core 2.19."""
    try:
        result = labelled(client, settings, work)
    except WorkflowError as exc:
        _hand_warnings(context, exc.result)
        raise
    _hand_warnings(context, result)
    return result


def _hand_warnings(context, result):
    for warning in result.pop("warnings", None) or ():
        context.warn(warning)


def failure(error, secrets=()):
    """``fail_json`` keyword arguments for one of the collection's errors."""
    if isinstance(error, MissingLibraryError):
        return dict(msg=missing_library_message(error.library))
    return dict(msg=scrub(error.message, secrets), **error.to_result())


def missing_library_message(library):
    """Ansible's usual text, plus the interpreter that runs this code and the pip command for it."""
    return "%s Install it with: %s -m pip install %s" % (
        missing_required_lib(library), sys.executable or "python3", library)


def _silence_insecure_warnings():
    try:
        import urllib3
        urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
    except (ImportError, AttributeError):
        pass
