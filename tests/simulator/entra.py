"""Entra ID endpoints: OpenID discovery, the v2.0 token endpoint, App Service managed identity."""
import base64
import hmac
import urllib.parse

from .responses import Response, entra_error, msi_error
from .state import UnknownTenant
from .tokens import AssertionRejected

JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
_RESERVED_SCOPES = {"openid", "profile", "offline_access"}
_NO_STORE = {"Cache-Control": "no-store, no-cache", "Pragma": "no-cache"}


def _fail(call, status, code, text, error=None):
    return entra_error(status, code, text, call.request_id, call.client_request_id, error=error)


def _unknown_tenant(call):
    return _fail(call, 400, 90002, "Tenant '%s' not found. Check to make sure you have the "
                 "correct tenant ID and are signing into the correct cloud. Check with your "
                 "subscription administrator, this may happen if there are no active "
                 "subscriptions for the tenant." % call.path_tenant)


def resource_of(scope_or_resource):
    """'https://graph.microsoft.com/.default' -> 'https://graph.microsoft.com'."""
    value = scope_or_resource
    if value.endswith("/.default"):
        value = value[: -len("/.default")]
    return value.rstrip("/")


def discovery(sim, call):
    if call.tenant is None:
        return _unknown_tenant(call)
    base, tid = call.base_url, call.tenant
    info = sim.state.tenant_info(tid)
    doc = {
        "token_endpoint": "%s/%s/oauth2/v2.0/token" % (base, tid),
        "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt",
                                                  "client_secret_basic"],
        "jwks_uri": "%s/%s/discovery/v2.0/keys" % (base, tid),
        "response_modes_supported": ["query", "fragment", "form_post"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "issuer": "%s/%s/v2.0" % (base, tid),
        "request_uri_parameter_supported": False,
        "userinfo_endpoint": "%s/oidc/userinfo" % base,
        "authorization_endpoint": "%s/%s/oauth2/v2.0/authorize" % (base, tid),
        "device_authorization_endpoint": "%s/%s/oauth2/v2.0/devicecode" % (base, tid),
        "http_logout_supported": True,
        "frontchannel_logout_supported": True,
        "end_session_endpoint": "%s/%s/oauth2/v2.0/logout" % (base, tid),
        "claims_supported": ["sub", "iss", "aud", "exp", "iat", "auth_time", "acr", "nonce",
                             "tid", "ver", "at_hash", "c_hash", "email"],
        "kerberos_endpoint": "%s/%s/kerberos" % (base, tid),
        "tenant_region_scope": "EU" if info["domain"].endswith(".eu") else "NA",
        "cloud_instance_name": "microsoftonline.com",
        "cloud_graph_host_name": "graph.windows.net",
        "msgraph_host": "graph.microsoft.com",
        "rbac_url": "https://pas.windows.net",
    }
    return Response.json(200, doc)


def jwks(sim, call):
    if call.tenant is None:
        return _unknown_tenant(call)
    return Response.json(200, {"keys": []})  # the simulator signs nothing a client verifies


def token(sim, call):
    if call.method != "POST":
        return _fail(call, 405, 900561, "The endpoint only accepts POST requests. Received a "
                     "%s request." % call.method, error="invalid_request")
    if call.tenant is None:
        return _unknown_tenant(call)
    form = {k: v[0] for k, v in urllib.parse.parse_qs(
        call.body.decode("utf-8", "replace"), keep_blank_values=True).items()}
    basic_id, basic_secret = _basic_auth(call)
    client_id = form.get("client_id") or basic_id
    for name, value in (("grant_type", form.get("grant_type")), ("client_id", client_id),
                        ("scope", form.get("scope"))):
        if not value:
            return _fail(call, 400, 900144, "The request body must contain the following "
                         "parameter: '%s'." % name)
    if form["grant_type"] != "client_credentials":
        return _fail(call, 400, 70003, "The app requested an unsupported grant type '%s'."
                     % form["grant_type"])
    scopes = [s for s in form["scope"].split() if s not in _RESERVED_SCOPES]
    if len(scopes) != 1 or not scopes[0].endswith("/.default"):
        return _fail(call, 400, 1002012, "The provided value for scope %s is not valid. Client "
                     "credential flows must have a scope value with /.default suffixed to the "
                     "resource identifier (application ID URI)." % form["scope"])
    info = sim.state.tenant_info(call.tenant)
    app = sim.state.find_app(call.tenant, client_id)
    if app is None:
        return _fail(call, 400, 700016, "Application with identifier '%s' was not found in the "
                     "directory '%s'. This can happen if the application has not been installed "
                     "by the administrator of the tenant or consented to by any user in the "
                     "tenant. You may have sent your authentication request to the wrong tenant."
                     % (client_id, info["domain"]))
    secret = form.get("client_secret") or basic_secret
    assertion = form.get("client_assertion")
    if secret:
        if not app.secret or not hmac.compare_digest(secret.encode(), app.secret.encode()):
            return _fail(call, 401, 7000215, "Invalid client secret provided. Ensure the secret "
                         "being sent in the request is the client secret value, not the client "
                         "secret ID, for a secret added to app '%s'." % app.client_id)
    elif assertion:
        if form.get("client_assertion_type") != JWT_BEARER:
            return _fail(call, 400, 50027, "Invalid client_assertion_type; expected '%s'."
                         % JWT_BEARER, error="invalid_request")
        audiences = {"%s/%s/oauth2/v2.0/token" % (call.base_url, t)
                     for t in (call.tenant, call.path_tenant)}
        try:
            sim.tokens.verify_client_assertion(assertion, app, audiences)
        except AssertionRejected as err:
            return _fail(call, err.status, err.code, err.text)
    else:
        return _fail(call, 401, 7000216, "'client_assertion', 'client_secret' or 'request' is "
                     "required for the 'client_credentials' grant type.")
    access_token, _expires = sim.tokens.issue_access_token(
        call.tenant, app.client_id, app.roles, resource_of(scopes[0]))
    call.extra["client_id"] = app.client_id
    return Response.json(200, {"token_type": "Bearer", "expires_in": 3599,
                               "ext_expires_in": 3599, "access_token": access_token}, _NO_STORE)


def _basic_auth(call):
    header = call.headers.get("Authorization") or ""
    if not header.lower().startswith("basic "):
        return None, None
    try:
        user, _colon, password = base64.b64decode(header[6:]).decode().partition(":")
    except ValueError:
        return None, None
    return urllib.parse.unquote_plus(user), urllib.parse.unquote_plus(password)


def managed_identity(sim, call):
    if call.method != "GET":
        return msi_error(405, "The managed identity endpoint only accepts GET requests.")
    if call.tenant is None:
        return msi_error(404, "No managed identity endpoint for tenant '%s'." % call.path_tenant)
    presented = call.headers.get("X-IDENTITY-HEADER")
    if not presented:
        return msi_error(401, "Missing X-IDENTITY-HEADER header.")
    if not hmac.compare_digest(presented.encode(), sim.state.identity_header(call.tenant).encode()):
        return msi_error(403, "The X-IDENTITY-HEADER header value is not valid.")
    if call.query.get("api-version") != "2019-08-01":
        return msi_error(400, "Unsupported api-version '%s'; use 2019-08-01."
                         % call.query.get("api-version"))
    resource = call.query.get("resource")
    if not resource:
        return msi_error(400, "Required query parameter 'resource' is missing.")
    if call.query.get("mi_res_id") or call.query.get("object_id"):
        return msi_error(400, "The simulator identifies user-assigned identities by client_id only.")
    client_id = call.query.get("client_id")
    try:
        identity = sim.state.find_managed_identity(call.tenant, client_id)
    except UnknownTenant:
        identity = None
    if identity is None:
        return msi_error(400, "No managed identity found for client_id '%s'." % client_id
                         if client_id else "No system-assigned managed identity is enabled.")
    access_token, expires_on = sim.tokens.issue_access_token(
        call.tenant, identity.client_id, identity.roles, resource_of(resource), expires_in=86399)
    call.extra["client_id"] = identity.client_id
    return Response.json(200, {"access_token": access_token, "expires_on": str(expires_on),
                               "resource": resource, "token_type": "Bearer",
                               "client_id": identity.client_id})
