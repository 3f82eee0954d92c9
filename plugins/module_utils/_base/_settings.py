# -*- coding: utf-8 -*-
# Copyright: intune.autopilot contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# FOR INTERNAL COLLECTION USE ONLY: the interfaces may change in any release.
"""Validated connection options (ConnectionSettings): what auth and the client are built from.

Everything here runs before any network call, so a bad option fails fast
with a message that names it.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re

from ansible.module_utils.common.parameters import _list_no_log_values

from ansible_collections.intune.autopilot.plugins.module_utils._base._clouds import (
    CLOUDS,
    ENVIRONMENT_ALIASES,
)
from ansible_collections.intune.autopilot.plugins.module_utils._base._errors import ConfigurationError
from ansible_collections.intune.autopilot.plugins.module_utils._base._formats import guid
from ansible_collections.intune.autopilot.plugins.module_utils._base._options import connection_argument_spec

# Environment variables that say a managed identity endpoint is present
# (App Service/Functions, Azure ML, Arc). Without one, auto never guesses a
# managed identity: probing the VM metadata address would hang off Azure.
MANAGED_IDENTITY_MARKERS = ("IDENTITY_ENDPOINT", "MSI_ENDPOINT")

MAX_RETRIES_LIMIT = 10

_DOMAIN = re.compile(r"^(?=.{4,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$")
_MULTI_TENANT_ALIASES = ("common", "organizations", "consumers")


def default_cache_path(environ=None):
    """Where the token and discovery caches live unless cache_path says otherwise."""
    environ = os.environ if environ is None else environ
    base = environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "intune.autopilot")


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
        # Values that must never appear in any output: the door's no_log values.
        self.secrets = values.get("secrets") or []

    @property
    def authority(self):
        return "%s/%s" % (self.authority_host, self.tenant_id)


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
    if not (guid(tenant_id) or _DOMAIN.match(tenant_id)):
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


def build_connection_settings(params, environ=None, secrets=None):
    """Validate the module's connection parameters; raise ConfigurationError.

    ``secrets`` are the door's no_log values (AnsibleModule's, or the
    validator's); by default the same ansible-core function finds them.
    """
    environ = os.environ if environ is None else environ
    spec = connection_argument_spec()
    if secrets is None:
        secrets = _list_no_log_values(spec, params)
    params = dict((k, _blank_to_none(params.get(k))) for k in spec)

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
        secrets=sorted(value for value in secrets if isinstance(value, str) and value),
    )
