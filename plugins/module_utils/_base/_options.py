# -*- coding: utf-8 -*-
# Copyright: intune.autopilot contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# FOR INTERNAL COLLECTION USE ONLY: the interfaces may change in any release.
"""The shared connection options: the argument spec and its environment fallbacks.

Documented once in the ``intune.autopilot.graph`` doc fragment. Each fallback
is bound to the environment it reads (ansible-core passes the fallback tuple's
keyword arguments on): ``os.environ`` in a module, the task's environment in
the in-process door.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible.module_utils.errors import AnsibleFallbackNotFound

from ansible_collections.intune.autopilot.plugins.module_utils._base._clouds import (
    CLOUDS,
    ENVIRONMENT_ALIASES,
)
from ansible_collections.intune.autopilot.plugins.module_utils._base._errors import ConfigurationError

AUTH_METHODS = ("auto", "client_secret", "client_certificate", "workload_identity",
                "managed_identity", "access_token")


def env_fallback(*names, **kwargs):
    """The first of ``names`` set to a non-empty value in ``environ`` (default: os.environ).

    Unlike Ansible's own env_fallback, an empty variable does not count: AWX
    injects every variable of a credential type, the unused ones as "".
    """
    environ = kwargs.get("environ")
    environ = os.environ if environ is None else environ
    for name in names:
        if environ.get(name):
            return environ[name]
    raise AnsibleFallbackNotFound


def connection_argument_spec(environ=None):
    """The argument spec every module of the collection starts from; fallbacks read ``environ``."""
    def from_env(*names):
        return (env_fallback, list(names), {"environ": environ})

    return dict(
        auth_method=dict(type="str", default="auto", choices=list(AUTH_METHODS)),
        tenant_id=dict(type="str", fallback=from_env("AZURE_TENANT_ID", "AZURE_TENANT")),
        client_id=dict(type="str", fallback=from_env("AZURE_CLIENT_ID")),
        client_secret=dict(type="str", no_log=True, fallback=from_env("AZURE_CLIENT_SECRET", "AZURE_SECRET")),
        client_certificate_path=dict(type="path", fallback=from_env("AZURE_CLIENT_CERTIFICATE_PATH")),
        client_certificate_password=dict(type="str", no_log=True,
                                         fallback=from_env("AZURE_CLIENT_CERTIFICATE_PASSWORD")),
        federated_token_file=dict(type="path", fallback=from_env("AZURE_FEDERATED_TOKEN_FILE")),
        access_token=dict(type="str", no_log=True),
        # No env fallback here: the settings read AZURE_CLOUD_ENVIRONMENT
        # themselves so that a bad value there names the variable.
        cloud=dict(type="str", choices=sorted(CLOUDS) + sorted(ENVIRONMENT_ALIASES)),
        authority_host=dict(type="str", fallback=from_env("AZURE_AUTHORITY_HOST")),
        graph_endpoint=dict(type="str"),
        validate_certs=dict(type="bool", default=True),
        ca_path=dict(type="path"),
        timeout=dict(type="int", default=30),
        max_retries=dict(type="int", default=3),
        token_cache=dict(type="bool", default=False, fallback=from_env("INTUNE_AUTOPILOT_TOKEN_CACHE")),
        cache_path=dict(type="path", fallback=from_env("INTUNE_AUTOPILOT_CACHE_PATH")),
    )


def argument_spec(own_options=None, environ=None):
    """The connection options plus a module's own: the one spec both doors validate with."""
    spec = connection_argument_spec(environ)
    spec.update(own_options or {})
    return spec


def check_minimums(params, minimums):
    """Fail on the first option below its minimum ({name: minimum}), before any network call."""
    for name, minimum in minimums:
        if params[name] < minimum:
            raise ConfigurationError(name, "%s must be at least %d, got %d." % (name, minimum, params[name]))
