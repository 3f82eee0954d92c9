"""Response value object and the error body shapes (Graph, Intune through Graph, Entra ID,
App Service MSI).

Handlers build a ``Response`` instead of writing to the socket, so faults can
replace or mangle an answer before it is sent.
"""
import json
import re
import time
import uuid
from dataclasses import dataclass, field


@dataclass
class Response:
    status: int
    body: bytes = b""
    headers: dict = field(default_factory=dict)
    # Set by the control API only: such answers skip Graph/Entra id headers.
    internal: bool = False

    @classmethod
    def json(cls, status, payload, headers=None):
        hdrs = {"Content-Type": "application/json; charset=utf-8"}
        hdrs.update(headers or {})
        return cls(status, json.dumps(payload).encode(), hdrs)

    @classmethod
    def empty(cls, status=204, headers=None):
        return cls(status, b"", dict(headers or {}))


def graph_error(status, code, message, request_id, client_request_id, headers=None):
    """Graph's error envelope: {"error": {"code", "message", "innerError": {...}}}."""
    payload = {
        "error": {
            "code": code,
            "message": message,
            "innerError": {
                "date": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()),
                "request-id": request_id,
                "client-request-id": client_request_id,
            },
        }
    }
    return Response.json(status, payload, headers)


# Where Intune's own front end says it failed (its error messages quote an internal URL).
INTUNE_FRONT_END = ("https://fef.msub05.manage.microsoft.com/DeviceEnrollmentFE/"
                    "StatelessDeviceEnrollmentFEService")
INTUNE_API_VERSION = "5023-06-28"
NO_OPERATION_ID = "00000000-0000-0000-0000-000000000000"


def intune_error(status, code, request_id, client_request_id, path, text="An error has occurred",
                 headers=None):
    """An Intune-originated error as Graph relays it: the Graph envelope whose ``message`` is
    itself JSON (``_version`` 3, ``Message`` with the operation id, the activity id = the
    client-request-id, and Intune's internal URL; ``RetryAfter`` null), CRLF-indented."""
    resource = re.sub(r"^/(beta|v1\.0)(?=/)", "", path or "", flags=re.I)
    inner = {
        "_version": 3,
        "Message": "%s - Operation ID (for customer support): %s - Activity ID: %s - Url: %s%s"
                   "?api-version=%s" % (text, NO_OPERATION_ID, client_request_id,
                                        INTUNE_FRONT_END, resource, INTUNE_API_VERSION),
        "CustomApiErrorPhrase": "",
        "RetryAfter": None,
        "ErrorSourceService": "",
        "HttpHeaders": "{}",
    }
    message = json.dumps(inner, indent=2).replace("\n", "\r\n")
    return graph_error(status, code, message, request_id, client_request_id, headers)


# error name per AADSTS code, so callers only pass the code and the text.
_ENTRA_ERROR_NAMES = {
    90002: "invalid_tenant",
    900144: "invalid_request",
    70003: "unsupported_grant_type",
    1002012: "invalid_scope",
    700016: "unauthorized_client",
    7000215: "invalid_client",
    7000216: "invalid_client",
    700027: "invalid_client",
    700024: "invalid_client",
    700021: "invalid_client",
    50027: "invalid_request",
    50013: "invalid_client",
    70021: "invalid_request",
    700212: "invalid_request",
    90033: "temporarily_unavailable",
}


def entra_error(status, code, text, request_id, client_request_id, error=None, headers=None):
    """Entra ID's OAuth error body, with the trace/correlation footer real AADSTS texts carry."""
    stamp = time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime())
    description = "AADSTS%d: %s Trace ID: %s Correlation ID: %s Timestamp: %s" % (
        code, text, request_id, client_request_id, stamp)
    payload = {
        "error": error or _ENTRA_ERROR_NAMES.get(code, "invalid_request"),
        "error_description": description,
        "error_codes": [code],
        "timestamp": stamp,
        "trace_id": request_id,
        "correlation_id": client_request_id,
        "error_uri": "https://login.microsoftonline.com/error?code=%d" % code,
    }
    return Response.json(status, payload, headers)


def msi_error(status, message, headers=None):
    """App Service's managed identity endpoint answers {"statusCode", "message"}."""
    return Response.json(status, {"statusCode": status, "message": message}, headers)


def new_id():
    return str(uuid.uuid4())
