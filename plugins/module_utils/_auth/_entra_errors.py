# -*- coding: utf-8 -*-
# Copyright: intune.autopilot contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# FOR INTERNAL COLLECTION USE ONLY: the interfaces may change in any release.
"""What Entra ID's AADSTS errors mean and what to do: hints, and the admin-consent URL for onboarding."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

try:
    from urllib.parse import quote
except ImportError:  # Python 2 managed nodes
    from urllib import quote

from ansible_collections.intune.autopilot.plugins.module_utils._base._errors import AuthenticationError, scrub

# AADSTS codes that an administrator of the tenant fixes by consenting to the app:
# 700016 the app is not in the tenant yet, 65001 it has no consent for the permission.
CONSENT_CODES = (700016, 65001)


def admin_consent_url(authority_host, tenant, client_id):
    """``https://<login host>/<tenant>/adminconsent?client_id=<client id>`` for this tenant and cloud."""
    return "%s/%s/adminconsent?client_id=%s" % (
        authority_host.rstrip("/"), quote(tenant or "organizations", safe=""), quote(client_id or "", safe=""))


# AADSTS code -> what it means for the user and what to do next.
AADSTS_HINTS = {
    7000215: "the client secret is wrong. Use the secret's Value (not its Secret ID) in client_secret "
             "or AZURE_CLIENT_SECRET",
    7000222: "the client secret has expired. Create a new secret for the app registration",
    90002: "tenant %(tenant)s was not found. Check tenant_id and that cloud matches the tenant's cloud",
    900023: "tenant %(tenant)s is not a valid tenant identifier. Check tenant_id",
    700016: "application %(client)s was not found in tenant %(tenant)s. Check client_id, and that an "
            "administrator of this tenant has consented to the app",
    700027: "the certificate was rejected: it is not registered on the app, or it has expired. Upload the "
            "certificate's public part to the app registration, or renew it",
    700024: "the client assertion is outside its validity period. Check the clock of this host",
    70021: "no federated identity credential of the app matches the presented token. Check the "
           "credential's issuer, subject and audience (api://AzureADTokenExchange)",
    700213: "no federated identity credential of the app matches the presented token's subject",
    7000112: "application %(client)s is disabled",
    1002012: "the requested scope is invalid for this cloud. Check cloud and graph_endpoint",
    70011: "the requested scope is invalid for this cloud. Check cloud and graph_endpoint",
    500011: "Microsoft Graph is not available in tenant %(tenant)s from this cloud. Check cloud",
    53003: "a Conditional Access policy blocked the sign-in of the app",
    65001: "application %(client)s has no administrator consent in tenant %(tenant)s for the permissions "
           "it requests. An administrator of this tenant must grant admin consent",
}


def describe_entra_error(result, tenant=None, client_id=None, secrets=(), authority_host=None):
    """Turn an MSAL error result (a dict) into an AuthenticationError."""
    codes = [c for c in result.get("error_codes") or [] if isinstance(c, int)]
    description = result.get("error_description")
    description = description if isinstance(description, str) else ""
    match = re.search(r"AADSTS(\d+)", description)
    code = codes[0] if codes else (int(match.group(1)) if match else None)
    hint = AADSTS_HINTS.get(code)
    if hint:
        text = hint % {"tenant": tenant, "client": client_id}
        if code in CONSENT_CODES and authority_host:
            text = "%s (admin consent: %s)" % (text, admin_consent_url(authority_host, tenant, client_id))
    else:
        # Entra's first line says what happened; the rest is trace ids.
        text = re.split(r"\s*Trace ID:", description)[0].strip()
        text = re.sub(r"^AADSTS\d+:\s*", "", text) or str(result.get("error") or "unknown error")
    message = "Entra ID refused the token request%s: %s." % (
        " (AADSTS%s)" % code if code else "", text.rstrip("."))
    return AuthenticationError(
        scrub(message, secrets),
        code="AADSTS%s" % code if code else result.get("error"),
        error=result.get("error"),
        correlation_id=result.get("correlation_id"),
        trace_id=result.get("trace_id"),
        timestamp=result.get("timestamp"),
    )
