"""Access tokens the simulator issues and Graph accepts, federated tokens, client assertions.

Access tokens and federated tokens are HS256 JWTs under two random keys that
live only as long as the simulator; nobody outside can forge or reuse them.
"""
import base64
import secrets
import time
import uuid

import jwt

FEDERATED_AUDIENCE = "api://AzureADTokenExchange"
_ASSERTION_ALGORITHMS = ["PS256", "RS256"]


class TokenRejected(Exception):
    """An access token Graph must refuse; str() is the Graph error message."""


class AssertionRejected(Exception):
    """A client assertion Entra refuses: HTTP status, AADSTS code, text."""

    def __init__(self, status, code, text):
        super().__init__(text)
        self.status, self.code, self.text = status, code, text


def _b64url_decode(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _stamp(ts):
    return time.strftime("%m/%d/%Y %H:%M:%S", time.gmtime(ts))


class TokenService:
    def __init__(self, clock):
        self.clock = clock
        self._access_key = secrets.token_bytes(32)
        self._issuer_key = secrets.token_bytes(32)

    # --- access tokens -------------------------------------------------------------
    def issue_access_token(self, tenant_id, client_id, roles, audience, expires_in=3599):
        now = int(self.clock.now())
        claims = {
            "aud": audience, "iss": "https://sts.windows.net/%s/" % tenant_id,
            "iat": now, "nbf": now, "exp": now + int(expires_in),
            "tid": tenant_id, "appid": client_id, "azp": client_id,
            "oid": str(uuid.uuid5(uuid.NAMESPACE_URL, tenant_id + "/" + client_id)),
            "sub": client_id, "idtyp": "app", "ver": "1.0", "uti": secrets.token_urlsafe(16),
        }
        if roles:
            claims["roles"] = list(roles)  # Entra omits the claim when no role is granted
        return jwt.encode(claims, self._access_key, algorithm="HS256"), claims["exp"]

    def decode_access_token(self, token):
        """Verified claims; expiry and audience are left to the caller (simulated clock)."""
        try:
            return jwt.decode(token, self._access_key, algorithms=["HS256"],
                              options={"verify_exp": False, "verify_nbf": False,
                                       "verify_iat": False, "verify_aud": False})
        except jwt.InvalidSignatureError:
            raise TokenRejected("Access token validation failure. Invalid signature.")
        except jwt.PyJWTError:
            raise TokenRejected("IDX14100: JWT is not well formed, there are no dots (.).")

    @staticmethod
    def unverified_tenant(token):
        """tid of a bearer token without checking it (to route faults and log lines)."""
        try:
            return jwt.decode(token, options={"verify_signature": False}).get("tid")
        except jwt.PyJWTError:
            return None

    # --- federated (workload identity) tokens ------------------------------------------
    def mint_federated_token(self, subject, issuer, audience=FEDERATED_AUDIENCE, expires_in=600):
        now = int(self.clock.now())
        claims = {"iss": issuer, "sub": subject, "aud": audience,
                  "iat": now, "nbf": now, "exp": now + int(expires_in)}
        return jwt.encode(claims, self._issuer_key, algorithm="HS256")

    # --- client assertions at the token endpoint -------------------------------------
    def verify_client_assertion(self, assertion, app, audiences):
        """Raise AssertionRejected unless the assertion proves the app's identity."""
        try:
            header = jwt.get_unverified_header(assertion)
        except jwt.PyJWTError:
            raise AssertionRejected(400, 50027, "JWT token is invalid or malformed.")
        if "x5t#S256" in header or "x5t" in header:
            self._verify_certificate_assertion(assertion, header, app, audiences)
        else:
            self._verify_federated_assertion(assertion, app)

    def _verify_certificate_assertion(self, assertion, header, app, audiences):
        try:
            if "x5t#S256" in header:
                thumb = _b64url_decode(header["x5t#S256"])
                registered = next((c for c in app.certificates if c.sha256 == thumb), None)
            else:
                thumb = _b64url_decode(header["x5t"])
                registered = next((c for c in app.certificates if c.sha1 == thumb), None)
        except (ValueError, TypeError):
            raise AssertionRejected(400, 50027, "JWT token is invalid or malformed.")
        tail = ("Thumbprint of key used by client: '%s', Please visit the Azure Portal, Graph "
                "Explorer or directly use MS Graph to see configured keys for app Id '%s'."
                % (thumb.hex().upper(), app.client_id))
        if registered is None:
            raise AssertionRejected(401, 700027, "Client assertion contains an invalid "
                                    "signature. [Reason - The key was not found., %s]" % tail)
        now = self.clock.now()
        if registered.expired_at <= now:
            raise AssertionRejected(401, 700027, "Client assertion failed signature "
                                    "validation. [Reason - The key used is expired., %s]" % tail)
        try:
            claims = jwt.decode(assertion, registered.cert.public_key(),
                                algorithms=_ASSERTION_ALGORITHMS,
                                options={"verify_exp": False, "verify_nbf": False,
                                         "verify_iat": False, "verify_aud": False})
        except jwt.InvalidSignatureError:
            raise AssertionRejected(401, 700027, "Client assertion contains an invalid signature. "
                                    "[Reason - The provided signature value did not match the "
                                    "expected signature value., %s]" % tail)
        except jwt.PyJWTError:
            raise AssertionRejected(400, 50027, "JWT token is invalid or malformed.")
        if claims.get("aud") not in audiences:
            raise AssertionRejected(400, 50027, "Invalid JWT token. The audience claim 'aud' "
                                    "is '%s'; it must be the token endpoint %s."
                                    % (claims.get("aud"), sorted(audiences)[0]))
        if claims.get("iss") != app.client_id or claims.get("sub") != app.client_id:
            raise AssertionRejected(401, 700021, "Client assertion application identifier "
                                    "doesn't match 'client_id' parameter.")
        self._check_lifetime(claims, now)

    def _verify_federated_assertion(self, assertion, app):
        try:
            claims = jwt.decode(assertion, self._issuer_key, algorithms=["HS256"],
                                options={"verify_exp": False, "verify_nbf": False,
                                         "verify_iat": False, "verify_aud": False})
        except jwt.PyJWTError:
            raise AssertionRejected(401, 50013, "Assertion failed signature validation. "
                                    "[Reason - The key was not found.]")
        if claims.get("aud") != FEDERATED_AUDIENCE:
            raise AssertionRejected(400, 700212, "No matching federated identity record found "
                                    "for presented assertion audience '%s'." % claims.get("aud"))
        if not app.federated_subject or claims.get("sub") != app.federated_subject:
            raise AssertionRejected(400, 70021, "No matching federated identity record found for "
                                    "presented assertion. Assertion Issuer: '%s'. Assertion "
                                    "Subject: '%s'. Assertion Audience: '%s'."
                                    % (claims.get("iss"), claims.get("sub"), claims.get("aud")))
        self._check_lifetime(claims, self.clock.now())

    @staticmethod
    def _check_lifetime(claims, now):
        exp, nbf = claims.get("exp"), claims.get("nbf", claims.get("iat"))
        if not isinstance(exp, (int, float)) or exp <= now or (
                isinstance(nbf, (int, float)) and nbf > now + 1):
            raise AssertionRejected(400, 700024, "Client assertion is not within its valid time "
                                    "range. Current time: %s, assertion valid from %s, expiry "
                                    "time of assertion %s." % (
                                        _stamp(now), _stamp(nbf) if isinstance(nbf, (int, float))
                                        else "-", _stamp(exp) if isinstance(exp, (int, float))
                                        else "-"))
