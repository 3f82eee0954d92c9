"""What one HTTP request looks like to the endpoint handlers."""
from dataclasses import dataclass, field


@dataclass
class Call:
    method: str
    path: str                 # without the query string
    query: dict               # name -> first value
    headers: object           # http.client.HTTPMessage (case-insensitive .get)
    body: bytes
    base_url: str             # of the listener that received the request
    request_id: str
    client_request_id: str
    endpoint: str = "other"   # one of faults.ENDPOINTS
    path_tenant: str = None   # tenant segment of an Entra path, as sent
    path_args: tuple = ()     # the other groups of the route's pattern (Graph), as sent
    tenant: str = None        # tenant GUID when known, for faults and the log
    fault: object = None      # the Fault taken for this request, if any
    extra: dict = field(default_factory=dict)
