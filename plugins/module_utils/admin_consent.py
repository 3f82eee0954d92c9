# -*- coding: utf-8 -*-
# Copyright: intune.autopilot contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where a tenant's administrator grants the app its permissions (onboarding a tenant)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

try:
    from urllib.parse import quote
except ImportError:  # Python 2 managed nodes
    from urllib import quote

# AADSTS codes that an administrator of the tenant fixes by consenting to the app:
# 700016 the app is not in the tenant yet, 65001 it has no consent for the permission.
CONSENT_CODES = (700016, 65001)


def admin_consent_url(authority_host, tenant, client_id):
    """``https://<login host>/<tenant>/adminconsent?client_id=<client id>`` for this tenant and cloud."""
    return "%s/%s/adminconsent?client_id=%s" % (
        authority_host.rstrip("/"), quote(tenant or "organizations", safe=""), quote(client_id or "", safe=""))
