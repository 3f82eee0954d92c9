"""Microsoft Graph (beta and v1.0): Windows Autopilot device identities, their actions, and
device imports. Authorization, envelopes and headers are graph.py's; state is device_state.py's;
query options and paging are odata.py's. Intune answers its own errors (intune_error); query
option errors come from Graph's OData layer (plain Graph envelope).
"""
import base64
import binascii
import urllib.parse

from . import odata
from .device_state import DEVICE_PROPERTIES, IMPORT_PROPERTIES, UPDATABLE
from .faults import ACTED_KINDS
from .graph import READ_ROLES, authorize, error, method_not_allowed, odata_json, read_json_object
from .responses import Response, intune_error

# Writes on devices and imports: the one application permission Microsoft documents for them.
WRITE_ROLES = ("DeviceManagementServiceConfig.ReadWrite.All",)
_CODES = {400: "BadRequest", 404: "ResourceNotFound", 429: "TooManyRequests"}
_DEVICE_FILTERS = {"contains": ("serialNumber",), "eq": ("groupTag",)}
_IMPORT_FILTERS = {"contains": ("serialNumber",), "eq": ("importId",)}
_DEVICE_TYPE = "windowsAutopilotDeviceIdentity"
_IMPORT_TYPE = "importedWindowsAutopilotDeviceIdentity"
_DEVICES = "deviceManagement/windowsAutopilotDeviceIdentities"
_IMPORTS = "deviceManagement/importedWindowsAutopilotDeviceIdentities"
# Fields of an import record, in Graph's order; the client may also send these, which are ignored.
_IMPORT_FIELDS = ("groupTag", "serialNumber", "productKey", "importId", "hardwareIdentifier",
                  "assignedUserPrincipalName")
_IMPORT_IGNORED = ("id", "state")


def _intune(call, status, text, headers=None):
    return intune_error(status, _CODES[status], call.request_id, call.client_request_id,
                        call.path, text, headers)


def _context(call, suffix):
    return "%s/%s/$metadata#%s" % (call.base_url, call.path_args[0], suffix)


def _key(call):
    return urllib.parse.unquote(call.path_args[1])


def _begin(sim, call, write=False, import_post=False):
    """401/403/404 like every Graph endpoint, then Intune's write throttle -> (tenant, None)."""
    tenant_id, denied = authorize(sim, call, WRITE_ROLES if write else READ_ROLES)
    if denied:
        return None, denied
    if write:
        admitted, retry_after = sim.device_state.admit_write(tenant_id)
        if not admitted:
            if import_post:
                sim.device_state.refused(tenant_id)
            headers = {"Retry-After": str(retry_after)} if retry_after else None
            return None, _intune(call, 429, "An error has occurred", headers)
    return tenant_id, None


def _query(call, filters=None, type_name=_DEVICE_TYPE, properties=DEVICE_PROPERTIES):
    """-> (odata.Query, None) or (None, Graph's 400)."""
    try:
        return odata.parse(call.query, filters or {}, type_name, properties), None
    except odata.QueryError as err:
        return None, error(call, 400, "BadRequest", str(err))


def _page(sim, call, tenant_id, page_of, filters, type_name, properties, collection):
    query, bad = _query(call, filters, type_name, properties)
    if bad:
        return bad
    size = sim.device_state.knob(tenant_id, "device_page_size")
    size = min(size, query.top) if query.top else size
    items, more = page_of(tenant_id, query.predicate, query.offset, size)
    body = {"@odata.context": _context(call, collection)}
    if more:
        body["@odata.nextLink"] = odata.next_link(call, query.offset + size)
    body["value"] = [odata.select(item, query.select) for item in items]
    return odata_json(200, body)


def _entity(call, collection, item, type_name, properties):
    query, bad = _query(call, type_name=type_name, properties=properties)
    if bad:
        return bad
    body = {"@odata.context": _context(call, collection + "/$entity")}
    body.update(odata.select(item, query.select))
    return odata_json(200, body)


def _not_found(call, kind):
    return _intune(call, 404, "No %s with id '%s' in this tenant." % (kind, _key(call)))


# --- windowsAutopilotDeviceIdentities ----------------------------------------------------------
def device_list(sim, call):
    if call.method != "GET":
        return method_not_allowed(call)
    tenant_id, denied = _begin(sim, call)
    if denied:
        return denied
    return _page(sim, call, tenant_id, sim.device_state.device_page, _DEVICE_FILTERS,
                 _DEVICE_TYPE, DEVICE_PROPERTIES, _DEVICES)


def _get_or_delete(sim, call, find, delete, collection, odata_type, properties):
    """GET one entity (``find``) or DELETE it (``delete``, False when unknown): the two calls every
    single-entity path of these APIs takes."""
    if call.method not in ("GET", "DELETE"):
        return method_not_allowed(call)
    tenant_id, denied = _begin(sim, call, write=call.method == "DELETE")
    if denied:
        return denied
    if call.method == "GET":
        shown = find(tenant_id, _key(call))
        if shown is None:
            return _not_found(call, odata_type)
        return _entity(call, collection, shown, odata_type, properties)
    if not delete(tenant_id, _key(call)):
        return _not_found(call, odata_type)
    return Response.empty(sim.device_state.knob(tenant_id, "device_delete_status"))


def device(sim, call):
    state = sim.device_state
    return _get_or_delete(sim, call, state.get_device, lambda tid, key: state.update_device(tid, key, None),
                          _DEVICES, _DEVICE_TYPE, DEVICE_PROPERTIES)


def _unknown_parameter(payload, allowed, action):
    for name in payload:
        if not name.startswith("@odata.") and name not in allowed:
            return ("The parameter '%s' in the request payload is not a valid parameter for the "
                    "operation '%s'." % (name, action))
    for name in allowed:
        if payload.get(name) is not None and not isinstance(payload[name], str):
            return "The parameter '%s' of the operation '%s' must be a string." % (name, action)
    return None


def _update_properties(payload):
    problem = _unknown_parameter(payload, UPDATABLE, "updateDeviceProperties")
    return {n: payload[n] or "" for n in UPDATABLE if n in payload}, problem


def _assign_user(payload):
    names = ("userPrincipalName", "addressableUserName")
    problem = _unknown_parameter(payload, names, "assignUserToDevice")
    if not problem and "@" not in (payload.get("userPrincipalName") or ""):
        problem = "userPrincipalName is required: the UPN of a user of this tenant."
    return {n: payload.get(n) or "" for n in names}, problem


def _unassign_user(payload):
    problem = _unknown_parameter(payload, (), "unassignUserFromDevice")
    return {"userPrincipalName": "", "addressableUserName": ""}, problem


_ACTIONS = {"updatedeviceproperties": _update_properties, "assignusertodevice": _assign_user,
            "unassignuserfromdevice": _unassign_user}


def device_action(sim, call):
    if call.method != "POST":
        return method_not_allowed(call)
    tenant_id, denied = _begin(sim, call, write=True)
    if denied:
        return denied
    payload, bad = read_json_object(call)
    if bad:
        return bad
    updates, problem = _ACTIONS[call.path_args[2].lower()](payload)
    if problem:
        return _intune(call, 400, problem)
    if not sim.device_state.update_device(tenant_id, _key(call), updates):
        return _not_found(call, _DEVICE_TYPE)
    return Response.empty(204)


# --- importedWindowsAutopilotDeviceIdentities ----------------------------------------------------
def _import_fields(records):
    """Validated field dicts of import records -> (list, None), or (None, Intune's 400 text)."""
    out, missing, bad_hash = [], 0, 0
    for record in records:
        if not isinstance(record, dict):
            return None, "Each import record must be a JSON object."
        for name, value in record.items():
            if name.startswith("@odata.") or name in _IMPORT_IGNORED:
                continue
            if name not in _IMPORT_FIELDS:
                return None, ("The property '%s' does not exist on type 'microsoft.graph.%s'."
                              % (name, _IMPORT_TYPE))
            if value is not None and not isinstance(value, str):
                return None, "The property '%s' must be a string." % name
        fields = {name: record.get(name) or "" for name in _IMPORT_FIELDS}
        fields["importId"] = record.get("importId") or None
        if not fields["serialNumber"].strip() or not fields["hardwareIdentifier"]:
            missing += 1
        else:
            try:
                if not base64.b64decode(fields["hardwareIdentifier"], validate=True):
                    bad_hash += 1
            except (binascii.Error, ValueError):
                bad_hash += 1
        out.append(fields)
    if missing:
        return None, ("serialNumber and hardwareIdentifier are required: missing for %d import "
                      "records!" % missing)
    if bad_hash:
        return None, ("Invalid hardwareIdentifier (not base64) found for %d import records!"
                      % bad_hash)
    return out, None


def _create(sim, call, tenant_id, records, max_batch):
    """Validate and create -> (record JSONs, None) or (None, 400); a refused POST is counted."""
    problem = None
    if len(records) > max_batch:
        problem = ("Too many import records: %d in one request, at most %d are allowed."
                   % (len(records), max_batch))
    fields, problem = (None, problem) if problem else _import_fields(records)
    if problem:
        sim.device_state.refused(tenant_id)
        return None, _intune(call, 400, problem)
    acted = call.fault is not None and call.fault.kind in ACTED_KINDS
    created = call.fault.params.get("acted_records") if acted else None
    return sim.device_state.import_devices(tenant_id, fields, created), None


def import_action(sim, call):
    if call.method != "POST":
        return method_not_allowed(call)
    tenant_id, denied = _begin(sim, call, write=True, import_post=True)
    if denied:
        return denied
    payload, bad = read_json_object(call)
    records = (payload or {}).get("importedWindowsAutopilotDeviceIdentities")
    problem = _unknown_parameter({k: v for k, v in (payload or {}).items()
                                  if k != "importedWindowsAutopilotDeviceIdentities"}, (), "import")
    if bad or problem or not isinstance(records, list) or not records:
        sim.device_state.refused(tenant_id)
        return bad or _intune(call, 400, problem or "The request body must carry a non-empty "
                              "importedWindowsAutopilotDeviceIdentities list.")
    value, refused = _create(sim, call, tenant_id, records,
                             sim.device_state.knob(tenant_id, "import_max_batch"))
    if refused:
        return refused
    return odata_json(200, {"@odata.context": _context(
        call, "Collection(microsoft.graph.%s)" % _IMPORT_TYPE), "value": value})


def import_list(sim, call):
    if call.method not in ("GET", "POST"):
        return method_not_allowed(call)
    tenant_id, denied = _begin(sim, call, write=call.method == "POST",
                               import_post=call.method == "POST")
    if denied:
        return denied
    if call.method == "GET":
        return _page(sim, call, tenant_id, sim.device_state.import_page, _IMPORT_FILTERS,
                     _IMPORT_TYPE, IMPORT_PROPERTIES, _IMPORTS)
    payload, bad = read_json_object(call)  # create one record: POST to the collection
    if bad:
        sim.device_state.refused(tenant_id)
        return bad
    value, refused = _create(sim, call, tenant_id, [payload], 1)
    if refused:
        return refused
    return odata_json(201, dict({"@odata.context": _context(call, _IMPORTS + "/$entity")},
                                **value[0]))


def import_record(sim, call):
    state = sim.device_state
    return _get_or_delete(sim, call, state.get_import, state.delete_import, _IMPORTS, _IMPORT_TYPE,
                          IMPORT_PROPERTIES)


_V = r"^/(beta|v1\.0)/deviceManagement/"
# (pattern, endpoint name for faults and the log, handler); server.py compiles them (re.I).
ROUTES = [
    (_V + r"windowsAutopilotDeviceIdentities/?$", "devices", device_list),
    (_V + r"windowsAutopilotDeviceIdentities/([^/]+)/(updateDeviceProperties|assignUserToDevice|"
          r"unassignUserFromDevice)/?$", "device_action", device_action),
    (_V + r"windowsAutopilotDeviceIdentities/([^/]+)/?$", "device", device),
    (_V + r"importedWindowsAutopilotDeviceIdentities/import/?$", "import", import_action),
    (_V + r"importedWindowsAutopilotDeviceIdentities/?$", "imports", import_list),
    (_V + r"importedWindowsAutopilotDeviceIdentities/([^/]+)/?$", "import_record", import_record),
]
