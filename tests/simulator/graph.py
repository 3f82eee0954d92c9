"""Microsoft Graph: /beta/deviceManagement/windowsAutopilotSettings (GET, PATCH) and /sync;
also the checks and answer helpers every Graph endpoint shares (``authorize``, ``error``,
``odata_json``, ``read_json_object``, ``method_not_allowed``, ``not_found``)."""
import json

from .responses import Response, graph_error, intune_error
from .state import SETTINGS_PROPERTIES
from .tokens import TokenRejected

READ_ROLES = ("DeviceManagementServiceConfig.Read.All",
              "DeviceManagementServiceConfig.ReadWrite.All",
              "DeviceManagementConfiguration.ReadWrite.All")
WRITE_ROLES = ("DeviceManagementServiceConfig.ReadWrite.All",
               "DeviceManagementConfiguration.ReadWrite.All")
GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"
# Audiences Graph accepts besides the simulator's own URLs (national clouds too).
KNOWN_GRAPH_AUDIENCES = {"https://graph.microsoft.com", "https://graph.microsoft.us",
                         "https://dod-graph.microsoft.us", "https://microsoftgraph.chinacloudapi.cn",
                         GRAPH_APP_ID}


def error(call, status, code, message, headers=None):
    """A Graph error envelope answering this call (request ids filled in)."""
    return graph_error(status, code, message, call.request_id, call.client_request_id, headers)


def odata_json(status, payload):
    """A Graph JSON answer (OData headers)."""
    return Response.json(status, payload, {"OData-Version": "4.0"})


def read_json_object(call):
    """-> (the JSON object of the body, None); an empty body is {}; else (None, 400 answer)."""
    try:
        payload = json.loads(call.body or b"{}")
    except ValueError:
        return None, error(call, 400, "BadRequest", "Unable to read JSON request payload. Please "
                           "ensure Content-Type header is set and payload is of valid JSON format.")
    if not isinstance(payload, dict):
        return None, error(call, 400, "BadRequest", "The request payload must be a JSON object.")
    return payload, None


def _unauthorized(call, message):
    challenge = ('Bearer realm="", authorization_uri="%s/common/oauth2/authorize", '
                 'client_id="%s"' % (call.base_url, GRAPH_APP_ID))
    return error(call, 401, "InvalidAuthenticationToken", message,
                 {"WWW-Authenticate": challenge})


def authorize(sim, call, roles):
    """-> (tenant_id, None) when the bearer token may do this, else (None, error Response)."""
    header = call.headers.get("Authorization") or ""
    scheme, _space, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return None, _unauthorized(call, "Access token is empty.")
    try:
        claims = sim.tokens.decode_access_token(token)
    except TokenRejected as err:
        return None, _unauthorized(call, str(err))
    call.extra["client_id"] = claims.get("appid")  # for the log: which app's token this call carried
    if (call.fault is not None and call.fault.kind == "expired_token") \
            or claims.get("exp", 0) <= sim.clock.now():
        return None, _unauthorized(call, "Lifetime validation failed, the token is expired.")
    if str(claims.get("aud", "")).rstrip("/").lower() not in sim.graph_audiences():
        return None, _unauthorized(call, "Access token validation failure. Invalid audience.")
    tenant_id = sim.state.resolve(claims.get("tid"))
    if tenant_id is None:
        return None, _unauthorized(call, "Access token validation failure. The tenant of the "
                                   "token does not exist.")
    if not _audience_of_this_cloud(claims.get("aud"), sim.state.tenant_info(tenant_id)):
        # graph.microsoft.com refuses a token for graph.microsoft.us and the other way round.
        return None, _unauthorized(call, "Access token validation failure. Invalid audience.")
    if not set(claims.get("roles") or ()) & set(roles):
        return None, error(call, 403, "Forbidden", "Application is not authorized to perform "
                           "this operation. Application must have one of the following "
                           "scopes: %s" % ", ".join(roles))
    if not sim.state.tenant_info(tenant_id)["intune"]:
        return None, error(call, 404, "ResourceNotFound", "Tenant %s has no active Intune "
                           "license: the Intune service is not provisioned for this tenant."
                           % tenant_id)
    return tenant_id, None


def _audience_of_this_cloud(audience, tenant):
    """A Graph resource of another cloud than the tenant's is refused; the rest was checked before."""
    audience = str(audience or "").rstrip("/").lower()
    other_clouds = {a.lower() for a in KNOWN_GRAPH_AUDIENCES} - {tenant["graph_resource"], GRAPH_APP_ID}
    return audience not in other_clouds


def settings(sim, call):
    if call.method == "GET":
        tenant_id, denied = authorize(sim, call, READ_ROLES)
        if denied:
            return denied
        body = {"@odata.context": "%s/beta/$metadata#deviceManagement/"
                                  "windowsAutopilotSettings/$entity" % call.base_url,
                "@odata.type": "#microsoft.graph.windowsAutopilotSettings"}
        body.update(sim.state.settings(tenant_id))
        return odata_json(200, body)
    if call.method == "PATCH":
        return _patch(sim, call)
    return method_not_allowed(call)


def _patch(sim, call):
    tenant_id, denied = authorize(sim, call, WRITE_ROLES)
    if denied:
        return denied
    payload, bad = read_json_object(call)
    if bad:
        return bad
    for name in payload:
        if name.startswith("@odata."):
            continue
        if name in SETTINGS_PROPERTIES:
            return error(call, 400, "BadRequest", "The property '%s' is read-only and cannot "
                         "be set on 'microsoft.graph.windowsAutopilotSettings'." % name)
        return error(call, 400, "BadRequest", "The property '%s' does not exist on type "
                     "'microsoft.graph.windowsAutopilotSettings'. Make sure to only use "
                     "property names that are defined by the type." % name)
    return Response.empty(204)


def sync(sim, call):
    if call.method != "POST":
        return method_not_allowed(call)
    tenant_id, denied = authorize(sim, call, WRITE_ROLES)
    if denied:
        return denied
    outcome, retry_after = sim.state.trigger_sync(tenant_id)
    if outcome == "started":
        return Response.empty(204)
    # Intune refuses the sync itself: its envelope, and no Retry-After unless sync_retry_after.
    if outcome == "in_progress":
        return intune_error(409, "Conflict", call.request_id, call.client_request_id, call.path,
                            "An Autopilot sync is already in progress for this tenant. Wait until it "
                            "completes before requesting another one.")
    headers = {"Retry-After": str(retry_after)} if retry_after else None
    return intune_error(429, "TooManyRequests", call.request_id, call.client_request_id, call.path,
                        "Autopilot sync was requested too recently. Only one manual sync is allowed "
                        "every 10 minutes.", headers)


def v1(sim, call):
    """windowsAutopilotSettings exists only in beta; v1.0 answers like real Graph."""
    _claims, denied = authorize(sim, call, READ_ROLES + WRITE_ROLES)
    if denied and denied.status == 401:
        return denied
    return error(call, 400, "BadRequest",
                 "Resource not found for the segment 'windowsAutopilotSettings'.")


def not_found(sim, call):
    return error(call, 404, "ResourceNotFound", "Resource not found for the request path "
                 "'%s'." % call.path)


def method_not_allowed(call):
    return error(call, 405, "MethodNotAllowed", "The HTTP method '%s' is not allowed for the "
                 "request path '%s'." % (call.method, call.path))
