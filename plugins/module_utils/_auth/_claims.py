# -*- coding: utf-8 -*-
# Copyright: intune.autopilot contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# FOR INTERNAL COLLECTION USE ONLY: the interfaces may change in any release.
"""What an access token says about itself, read WITHOUT verifying its signature.

Only to label results and to predict a 403 in check mode: Graph verifies the
token. A token that is not a readable JWT (Entra may encrypt or change its
format at any time) gives None, never an error; the token is never logged.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import json


def unverified_claims(token):
    """The payload of a JWT as a dict, or None when ``token`` is not a readable JWT."""
    if not isinstance(token, str) or token.count(".") != 2:
        return None
    payload = token.split(".")[1]
    try:
        data = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
        claims = json.loads(data.decode("utf-8"))
    except (ValueError, TypeError):  # binascii.Error and UnicodeDecodeError are ValueErrors
        return None
    return claims if isinstance(claims, dict) else None


def token_roles(claims):
    """The application roles of an app-only token; None when unknown.

    A delegated token (``scp``) is judged by the user's rights as well, which
    a claim cannot show, so it counts as unknown. An app-only token without
    ``roles`` has none: Entra omits the claim when no role is granted.
    """
    if not isinstance(claims, dict) or "scp" in claims:
        return None
    roles = claims.get("roles", [])
    if not isinstance(roles, list) or not all(isinstance(role, str) for role in roles):
        return None
    return sorted(roles)
