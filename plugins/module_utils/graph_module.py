# -*- coding: utf-8 -*-
# Copyright: intune.autopilot contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The thin module base: shared options, a lazily built Graph client, clean failures.

Modules build a GraphModule, call ``run(main)``, and use ``module.client``;
any error of the collection becomes ``fail_json`` with a message and an
``error`` dict, never a traceback.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.intune.autopilot.plugins.module_utils import transport
from ansible_collections.intune.autopilot.plugins.module_utils.auth import build_token_provider
from ansible_collections.intune.autopilot.plugins.module_utils.connection_options import (
    build_connection_settings,
    connection_argument_spec,
)
from ansible_collections.intune.autopilot.plugins.module_utils.disk_cache import DiskCache
from ansible_collections.intune.autopilot.plugins.module_utils.errors import (
    AutopilotError,
    MissingLibraryError,
    scrub,
)
from ansible_collections.intune.autopilot.plugins.module_utils.graph_client import GraphClient
from ansible_collections.intune.autopilot.plugins.module_utils.retry import RetryPolicy
from ansible_collections.intune.autopilot.plugins.module_utils.token_cache import CachedTokenProvider, token_cache_key


class GraphModule:
    """Wraps AnsibleModule for modules that talk to Microsoft Graph."""

    def __init__(self, argument_spec=None, **kwargs):
        spec = connection_argument_spec()
        spec.update(argument_spec or {})
        kwargs.setdefault("supports_check_mode", True)
        self.ansible = AnsibleModule(argument_spec=spec, **kwargs)
        self.params = self.ansible.params
        self.check_mode = self.ansible.check_mode
        self.settings = None
        self._client = None
        if not transport.HAS_REQUESTS:
            self.fail(MissingLibraryError("requests"))
        try:
            self.settings = build_connection_settings(self.params)
        except AutopilotError as exc:
            self.fail(exc)

    @property
    def client(self):
        """The GraphClient, built on first use so option errors never wait on I/O."""
        if self._client is None:
            settings = self.settings
            session = transport.Transport(
                verify=settings.verify, timeout=settings.timeout,
                retry=RetryPolicy(max_retries=settings.max_retries))
            if settings.verify is False:
                self.ansible.warn("validate_certs=false: TLS certificates are not checked. Use only for tests.")
                _silence_insecure_warnings()
            self._client = GraphClient(settings, session, self._token_provider(session), on_token=self._hide)
        return self._client

    def _token_provider(self, session):
        settings = self.settings
        cache = DiskCache(settings.cache_path)

        def build():
            return build_token_provider(settings, session, cache)

        if settings.token_cache:
            return CachedTokenProvider(build, cache, token_cache_key(settings))
        return build()

    def _hide(self, value):
        # AnsibleModule masks these values in everything it returns or logs.
        self.ansible.no_log_values.add(value)

    def run(self, main):
        """Call ``main(self)`` and turn any collection error into fail_json."""
        try:
            main(self)
        except AutopilotError as exc:
            self.fail(exc)

    def fail(self, error):
        if isinstance(error, MissingLibraryError):
            self.ansible.fail_json(msg=missing_required_lib(error.library))
        secrets = self.settings.secrets if self.settings else []
        self.ansible.fail_json(msg=scrub(error.message, secrets), **error.to_result())

    def warn_all(self, warnings):
        # AnsibleModule.warn, not a "warnings" result key (deprecated in ansible-core 2.19).
        for warning in warnings:
            self.ansible.warn(warning)

    def exit_json(self, **result):
        self.ansible.exit_json(**result)


def _silence_insecure_warnings():
    try:
        import urllib3
        urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
    except (ImportError, AttributeError):
        pass
