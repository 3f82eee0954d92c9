# -*- coding: utf-8 -*-
# Copyright: intune.autopilot contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The shared connection options: argument spec, environment fallbacks and validation.

Everything here runs before any network call, so a bad option fails fast with
a message that names it. Documented once in the ``intune.autopilot.graph``
doc fragment.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re
from contextlib import contextmanager

from ansible.module_utils.errors import AnsibleFallbackNotFound

from ansible_collections.intune.autopilot.plugins.module_utils.clouds import (
    CLOUDS,
    ENVIRONMENT_ALIASES,
)
from ansible_collections.intune.autopilot.plugins.module_utils.disk_cache import default_cache_path
from ansible_collections.intune.autopilot.plugins.module_utils.errors import ConfigurationError

AUTH_METHODS = ("auto", "client_secret", "client_certificate", "workload_identity",
                "managed_identity", "access_token")

# Environment variables that say a managed identity endpoint is present
# (App Service/Functions, Azure ML, Arc). Without one, auto never guesses a
# managed identity: probing the VM metadata address would hang off Azure.
MANAGED_IDENTITY_MARKERS = ("IDENTITY_ENDPOINT", "MSI_ENDPOINT")

MAX_RETRIES_LIMIT = 10

_GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
_DOMAIN = re.compile(r"^(?=.{4,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$")
_MULTI_TENANT_ALIASES = ("common", "organizations", "consumers")


# The environment env_fallback reads: os.environ in a module; the task's
# environment while the controller-side door validates options (see
# fallbacks_from). A one-element list so the door can swap it in place.
_FALLBACK_ENVIRON = [None]


def env_fallback(*names):
    """The first of ``names`` set to a non-empty value in the environment.

    Unlike Ansible's own env_fallback, an empty variable does not count: AWX
    injects every variable of a credential type, the unused ones as "".
    """
    environ = _FALLBACK_ENVIRON[0] if _FALLBACK_ENVIRON[0] is not None else os.environ
    for name in names:
        if environ.get(name):
            return environ[name]
    raise AnsibleFallbackNotFound


@contextmanager
def fallbacks_from(environ):
    """Make env_fallback read ``environ`` instead of os.environ inside a ``with`` block."""
    saved = _FALLBACK_ENVIRON[0]
    _FALLBACK_ENVIRON[0] = environ
    try:
        yield environ
    finally:
        _FALLBACK_ENVIRON[0] = saved


def connection_argument_spec():
    """The argument spec every module of the collection starts from."""
    return dict(
        auth_method=dict(type="str", default="auto", choices=list(AUTH_METHODS)),
        tenant_id=dict(type="str", fallback=(env_fallback, ["AZURE_TENANT_ID", "AZURE_TENANT"])),
        client_id=dict(type="str", fallback=(env_fallback, ["AZURE_CLIENT_ID"])),
        client_secret=dict(type="str", no_log=True,
                           fallback=(env_fallback, ["AZURE_CLIENT_SECRET", "AZURE_SECRET"])),
        client_certificate_path=dict(type="path",
                                     fallback=(env_fallback, ["AZURE_CLIENT_CERTIFICATE_PATH"])),
        client_certificate_password=dict(type="str", no_log=True,
                                         fallback=(env_fallback, ["AZURE_CLIENT_CERTIFICATE_PASSWORD"])),
        federated_token_file=dict(type="path", fallback=(env_fallback, ["AZURE_FEDERATED_TOKEN_FILE"])),
        access_token=dict(type="str", no_log=True),
        # No env fallback here: _resolve_cloud reads AZURE_CLOUD_ENVIRONMENT
        # itself so that a bad value there names the variable.
        cloud=dict(type="str", choices=sorted(CLOUDS) + sorted(ENVIRONMENT_ALIASES)),
        authority_host=dict(type="str", fallback=(env_fallback, ["AZURE_AUTHORITY_HOST"])),
        graph_endpoint=dict(type="str"),
        validate_certs=dict(type="bool", default=True),
        ca_path=dict(type="path"),
        timeout=dict(type="int", default=30),
        max_retries=dict(type="int", default=3),
        token_cache=dict(type="bool", default=False,
                         fallback=(env_fallback, ["INTUNE_AUTOPILOT_TOKEN_CACHE"])),
        cache_path=dict(type="path", fallback=(env_fallback, ["INTUNE_AUTOPILOT_CACHE_PATH"])),
    )


class ConnectionSettings:
    """Validated connection options: what auth and transport are built from."""

    def __init__(self, **values):
        self.auth_method = values["auth_method"]
        self.tenant_id = values.get("tenant_id")
        self.client_id = values.get("client_id")
        self.client_secret = values.get("client_secret")
        self.client_certificate_path = values.get("client_certificate_path")
        self.client_certificate_password = values.get("client_certificate_password")
        self.federated_token_file = values.get("federated_token_file")
        self.access_token = values.get("access_token")
        self.cloud = values["cloud"]
        self.authority_host = values["authority_host"]
        self.graph_endpoint = values["graph_endpoint"]
        self.custom_authority = values["custom_authority"]
        self.verify = values["verify"]
        self.timeout = values["timeout"]
        self.max_retries = values["max_retries"]
        self.token_cache = values.get("token_cache", False)
        self.cache_path = values.get("cache_path")

    @property
    def authority(self):
        return "%s/%s" % (self.authority_host, self.tenant_id)

    @property
    def secrets(self):
        """Values that must never appear in any output."""
        return [s for s in (self.client_secret, self.client_certificate_password, self.access_token) if s]


def _blank_to_none(value):
    if isinstance(value, str) and not value.strip():
        return None
    return value


def _resolve_cloud(value, environ):
    """Map ``cloud`` (or AZURE_CLOUD_ENVIRONMENT) to an entry of CLOUDS."""
    source = "cloud"
    if value is None:
        value = _blank_to_none(environ.get("AZURE_CLOUD_ENVIRONMENT"))
        source = "AZURE_CLOUD_ENVIRONMENT"
    if value is None:
        return CLOUDS["global"]
    name = ENVIRONMENT_ALIASES.get(value, value)
    if name not in CLOUDS:
        accepted = sorted(CLOUDS) + sorted(ENVIRONMENT_ALIASES)
        raise ConfigurationError(
            source, "%s=%r is not a known cloud; use one of: %s." % (source, value, ", ".join(accepted)))
    return CLOUDS[name]


def _https_base_url(option, value):
    """Validate an https base URL and return it without a trailing slash."""
    if not re.match(r"^https://[^/?#\s]+(/[^?#\s]*)?$", value):
        raise ConfigurationError(
            option, "%s must be an https:// URL without query or fragment, got %r." % (option, value))
    return value.rstrip("/")


def _graph_base_url(value):
    url = _https_base_url("graph_endpoint", value)
    # Accept a URL copied with its version segment; the modules choose the version.
    for version in ("/beta", "/v1.0"):
        if url.endswith(version):
            url = url[: -len(version)]
    return url


def _check_tenant(tenant_id):
    if tenant_id.lower() in _MULTI_TENANT_ALIASES:
        raise ConfigurationError(
            "tenant_id", "tenant_id=%r is a multi-tenant alias; app-only access needs the customer's "
            "own tenant ID (a GUID) or primary domain." % tenant_id)
    if not (_GUID.match(tenant_id) or _DOMAIN.match(tenant_id)):
        raise ConfigurationError(
            "tenant_id", "tenant_id=%r is neither a GUID nor a domain name such as "
            "contoso.onmicrosoft.com." % tenant_id)


def _readable_file(option, path):
    if not os.path.isfile(path):
        raise ConfigurationError(option, "%s %r does not exist or is not a file." % (option, path))
    if not os.access(path, os.R_OK):
        raise ConfigurationError(option, "%s %r is not readable by this user." % (option, path))


def _choose_auth_method(params, environ):
    """What ``auth_method: auto`` means for the options that were given."""
    if params["access_token"]:
        return "access_token"
    if params["client_secret"] and params["client_certificate_path"]:
        raise ConfigurationError(
            "auth_method", "Both client_secret and client_certificate_path are set (from options or "
            "AZURE_* variables); with auth_method=auto that is ambiguous. Remove one, or set "
            "auth_method to client_secret or client_certificate.")
    if params["client_secret"]:
        return "client_secret"
    if params["client_certificate_path"]:
        return "client_certificate"
    if params["federated_token_file"]:
        return "workload_identity"
    if any(environ.get(name) for name in MANAGED_IDENTITY_MARKERS):
        return "managed_identity"
    if environ.get("AZURE_AD_USER") or environ.get("AZURE_PASSWORD"):
        raise ConfigurationError(
            "auth_method", "Only AZURE_AD_USER/AZURE_PASSWORD (username and password) credentials were "
            "found. They are not supported: Autopilot automation needs an app registration. Use a "
            "client secret (AZURE_CLIENT_SECRET or AZURE_SECRET), a certificate, workload identity or a "
            "managed identity; see the authentication guide.")
    raise ConfigurationError(
        "auth_method", "No credentials found. Set client_secret, client_certificate_path, "
        "federated_token_file or access_token (or the matching AZURE_* environment variables), or "
        "auth_method=managed_identity on an Azure host.")


_REQUIRED = {
    "client_secret": ("tenant_id", "client_id", "client_secret"),
    "client_certificate": ("tenant_id", "client_id", "client_certificate_path"),
    "workload_identity": ("tenant_id", "client_id", "federated_token_file"),
    "managed_identity": (),
    "access_token": ("access_token",),
}

_ENV_HINT = {
    "tenant_id": "AZURE_TENANT_ID",
    "client_id": "AZURE_CLIENT_ID",
    "client_secret": "AZURE_CLIENT_SECRET",
    "client_certificate_path": "AZURE_CLIENT_CERTIFICATE_PATH",
    "federated_token_file": "AZURE_FEDERATED_TOKEN_FILE",
}


def build_connection_settings(params, environ=None):
    """Validate the module's connection parameters; raise ConfigurationError."""
    environ = os.environ if environ is None else environ
    params = dict((k, _blank_to_none(params.get(k))) for k in connection_argument_spec())

    method = params["auth_method"] or "auto"
    if method == "auto":
        method = _choose_auth_method(params, environ)
    for option in _REQUIRED[method]:
        if not params[option]:
            hint = " (or %s)" % _ENV_HINT[option] if option in _ENV_HINT else ""
            raise ConfigurationError(option, "auth_method=%s needs %s%s." % (method, option, hint))

    if params["tenant_id"]:
        _check_tenant(params["tenant_id"])
    if method == "client_certificate":
        _readable_file("client_certificate_path", params["client_certificate_path"])
    if method == "workload_identity":
        _readable_file("federated_token_file", params["federated_token_file"])
        if os.path.getsize(params["federated_token_file"]) == 0:
            raise ConfigurationError("federated_token_file", "federated_token_file %r is empty; the "
                                     "orchestrator has not written the token yet." % params["federated_token_file"])

    timeout = params["timeout"]
    if timeout is None or timeout <= 0:
        raise ConfigurationError("timeout", "timeout must be a positive number of seconds, got %r." % timeout)
    max_retries = params["max_retries"]
    if max_retries is None or not 0 <= max_retries <= MAX_RETRIES_LIMIT:
        raise ConfigurationError(
            "max_retries", "max_retries must be between 0 and %d, got %r." % (MAX_RETRIES_LIMIT, max_retries))

    cloud = _resolve_cloud(params["cloud"], environ)
    authority_host = cloud.authority_host
    if params["authority_host"]:
        authority_host = _https_base_url("authority_host", params["authority_host"])
    graph_endpoint = cloud.graph_endpoint
    if params["graph_endpoint"]:
        graph_endpoint = _graph_base_url(params["graph_endpoint"])

    verify = params["validate_certs"] is not False
    if verify and params["ca_path"]:
        if not os.path.exists(params["ca_path"]):
            raise ConfigurationError("ca_path", "ca_path %r does not exist." % params["ca_path"])
        verify = params["ca_path"]

    return ConnectionSettings(
        auth_method=method,
        tenant_id=params["tenant_id"],
        client_id=params["client_id"],
        client_secret=params["client_secret"],
        client_certificate_path=params["client_certificate_path"],
        client_certificate_password=params["client_certificate_password"],
        federated_token_file=params["federated_token_file"],
        access_token=params["access_token"],
        cloud=cloud,
        authority_host=authority_host,
        graph_endpoint=graph_endpoint,
        custom_authority=authority_host != cloud.authority_host,
        verify=verify,
        timeout=timeout,
        max_retries=max_retries,
        token_cache=bool(params["token_cache"]) and method != "access_token",
        cache_path=params["cache_path"] or default_cache_path(environ),
    )
