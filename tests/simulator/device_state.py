"""Windows Autopilot device identities and device imports: the per-tenant state machine.

Everything runs under the State lock and, like the sync, is evaluated lazily from the tenant's
Graph clock: lagged changes (``device_change_lag``) and import outcomes (``import_seconds``)
take effect in time order whenever the tenant is read or written.

* A device has a truth (what the control API shows, what writes check) and what Graph shows;
  they differ while a change lags. A write on a device whose deletion is accepted but not yet
  shown answers 404 although reads still list it.
* An import record goes ``unknown`` -> ``pending`` (half of ``import_seconds``) -> ``complete``
  or ``error`` (record i of a request ``i * import_stagger`` later). A
  completed import registers the serial at once (806/808 for later imports) but becomes a
  device identity only when a sync that started after the completion ends ``completed``
  (``on_sync_end``, called by State). Deleting an import record undoes nothing.
"""
import heapq
import itertools
import uuid
from collections import Counter

from .state import NEVER, UnknownTenant, format_graph_ticks, parse_graph_ticks, to_ticks

DEVICE_TYPE = "#microsoft.graph.windowsAutopilotDeviceIdentity"
IMPORT_TYPE = "#microsoft.graph.importedWindowsAutopilotDeviceIdentity"
IMPORT_STATE_TYPE = "microsoft.graph.importedWindowsAutopilotDeviceIdentityState"
ZERO_GUID = "00000000-0000-0000-0000-000000000000"
ENROLLMENT_STATES = ("unknown", "enrolled", "pendingReset", "failed", "notContacted", "blocked")
PROFILE_STATUSES = ("unknown", "assignedInSync", "assignedOutOfSync", "assignedUnkownSyncState",
                    "notAssigned", "pending", "failed")  # sic: Graph spells it "Unkown"
DETAILED_STATUSES = ("none", "hardwareRequirementsNotMet", "surfaceHubProfileNotSupported",
                     "holoLensProfileNotSupported", "windowsPcProfileNotSupported",
                     "surfaceHub2SProfileNotSupported", "unknownFutureValue")
_ENUMS = {"enrollmentState": ENROLLMENT_STATES + ("unknownFutureValue",),
          "deploymentProfileAssignmentStatus": PROFILE_STATUSES + ("unknownFutureValue",),
          "deploymentProfileAssignmentDetailedStatus": DETAILED_STATUSES}
DEVICE_PROPERTIES = (
    "id", "deploymentProfileAssignmentStatus", "deploymentProfileAssignmentDetailedStatus",
    "deploymentProfileAssignedDateTime", "groupTag", "purchaseOrderIdentifier", "serialNumber",
    "productKey", "manufacturer", "model", "enrollmentState", "lastContactedDateTime",
    "addressableUserName", "userPrincipalName", "resourceName", "skuNumber", "systemFamily",
    "azureActiveDirectoryDeviceId", "azureAdDeviceId", "managedDeviceId", "displayName")
UPDATABLE = ("groupTag", "displayName", "userPrincipalName", "addressableUserName")
IMPORT_PROPERTIES = ("id", "groupTag", "serialNumber", "productKey", "importId",
                     "hardwareIdentifier", "assignedUserPrincipalName", "state")
_TIMES = ("deploymentProfileAssignedDateTime", "lastContactedDateTime")
_HARDWARE = (("Dell Inc.", "Latitude 7440"), ("HP", "HP EliteBook 840 G10"),
             ("LENOVO", "21HD"), ("Microsoft Corporation", "Surface Laptop 5"))
ALREADY_ASSIGNED = (806, "ZtdDeviceAlreadyAssigned")
OTHER_TENANT = (808, "ZtdDeviceAssignedToOtherTenant")


def serial_key(serial):
    return str(serial).strip().upper()


def _count(value, low):
    value = int(value)
    if value < low:
        raise ValueError("must be %d or more" % low)
    return value


def _seconds(value):
    value = float(value)
    if value < 0:
        raise ValueError("must be 0 or more")
    return value


def _choice(*allowed):
    def check(value):
        if value not in allowed:
            raise ValueError("must be one of %s" % (allowed,))
        return value
    return check


def _import_errors(value):
    return {serial_key(serial): (int(code), str(name))
            for serial, (code, name) in dict(value).items()}


# Per-tenant knobs: name -> (convert/check, default).
KNOBS = {
    "device_page_size": (lambda v: _count(v, 1), 100),
    "device_change_lag": (_seconds, 0.0),
    "device_delete_status": (_choice(200, 204), 200),
    "device_write_limit": (lambda v: _count(v, 0), 0),
    "device_write_window": (_seconds, 20.0),
    "intune_retry_after": (bool, False),
    "import_seconds": (_seconds, 2.0),
    "import_stagger": (_seconds, 0.0),
    "import_max_batch": (lambda v: _count(v, 1), 500),
    "import_errors": (_import_errors, {}),
    "import_profile_status": (_choice(*PROFILE_STATUSES), "notAssigned"),
}


def check_knobs(knobs):
    """Converted copies of device knobs; ValueError names an unknown or bad one."""
    out = {}
    for name, value in knobs.items():
        if name not in KNOBS:
            raise ValueError("unknown tenant setting %r" % name)
        try:
            out[name] = KNOBS[name][0](value)
        except (TypeError, ValueError) as err:
            raise ValueError("%s: %s" % (name, err)) from None
    return out


def _camel(name):
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


class Device:
    __slots__ = ("id", "key", "truth", "shown", "deleted", "gone")

    def __init__(self, props):
        self.id, self.key = props["id"], serial_key(props["serialNumber"])
        self.truth = self.shown = props  # copy-on-write: never mutated once shared
        self.deleted = False  # accepted by Graph (truth)
        self.gone = False     # and shown


class ImportRecord:
    __slots__ = ("id", "fields", "key", "pending_at", "state")

    def __init__(self, fields, pending_at):
        self.id, self.fields = str(uuid.uuid4()), fields
        self.key = serial_key(fields["serialNumber"])
        self.pending_at = pending_at
        self.state = None  # the final state once processed

    def to_json(self, now, with_hash=False):
        state = self.state or {
            "deviceImportStatus": "pending" if now >= self.pending_at else "unknown",
            "deviceRegistrationId": "", "deviceErrorCode": 0, "deviceErrorName": ""}
        out = {"@odata.type": IMPORT_TYPE, "id": self.id}
        out.update(self.fields)
        if not with_hash:
            out["hardwareIdentifier"] = None  # Graph does not read the hardware hash back
        out["state"] = dict({"@odata.type": IMPORT_STATE_TYPE}, **state)
        return out


class TenantDevices:
    def __init__(self, tenant_id):
        self.tenant_id = tenant_id
        self.knobs = {name: default for name, (_check, default) in KNOBS.items()}
        self.devices = {}       # id -> Device, while shown
        self.order = []         # Devices in listing order (compacted lazily after deletions)
        self.compact = False
        self.listed = Counter()  # serial key -> devices shown
        self.owned = Counter()   # serial key -> devices in truth + completed, not yet listed
        self.changes = []        # heap: (effective ticks, seq, device id, updates | None=delete)
        self.imports = {}        # id -> ImportRecord
        self.unfinished = []     # heap: (finish ticks, seq, ImportRecord)
        self.registered = []     # (completed ticks, device props): waiting for a sync
        self.writes = []         # ticks of recent admitted writes (throttle window)
        self.stats = {"requests": 0, "records_created": 0, "refused": 0}


class DeviceState:
    def __init__(self, state):
        self.state = state
        self.lock = state.lock
        self._tenants = {}
        self._foreign = set()
        self._seq = itertools.count()
        self._serials = itertools.count(1)
        state.sync_listeners.append(self.on_sync_end)

    def reset(self):
        with self.lock:
            self._tenants.clear()
            self._foreign.clear()

    # --- tenants, knobs, seeding -----------------------------------------------------------
    def _td(self, tenant_id):
        tid = self.state.resolve(tenant_id)
        if tid is None:
            raise UnknownTenant(tenant_id)
        if tid not in self._tenants:
            self._tenants[tid] = TenantDevices(tid)
        return self._tenants[tid]

    def _settle(self, tenant_id):
        """Finish a due sync, apply what is due; -> (TenantDevices, now ticks)."""
        tid = self.state.advance(tenant_id)
        td = self._td(tid)
        now = to_ticks(self.state.graph_now(tid))
        self._run_until(td, now)
        return td, now

    def configure(self, tenant_id, **knobs):
        checked = check_knobs(knobs)
        with self.lock:
            self._td(tenant_id).knobs.update(checked)

    def set_foreign_serials(self, serials):
        with self.lock:
            self._foreign = {serial_key(s) for s in serials}

    def foreign_serials(self):
        with self.lock:
            return sorted(self._foreign)

    def add_devices(self, tenant_id, devices, defaults=None):
        """Seed devices (shown at once): a list of property dicts (camelCase or snake_case) or a
        count of synthetic ones; ``defaults`` apply to each. -> their ids."""
        defaults = self._properties(defaults or {})
        given = [{}] * int(devices) if isinstance(devices, int) else [self._properties(d)
                                                                      for d in devices]
        with self.lock:
            td, _now = self._settle(tenant_id)
            ids = []
            for props in given:
                props = dict(defaults, **props)
                if props.get("id") in td.devices:
                    raise ValueError("device id %s already exists" % props["id"])
                device = self._new_device(props)
                self._list(td, device)
                td.owned[device.key] += 1
                ids.append(device.id)
            return ids

    @staticmethod
    def _properties(raw):
        out = {}
        for key, value in raw.items():
            name = _camel(key)
            if name not in DEVICE_PROPERTIES:
                raise ValueError("unknown windowsAutopilotDeviceIdentity property %r" % key)
            if name in _TIMES:
                value = format_graph_ticks(parse_graph_ticks(value))
            elif name in _ENUMS and value not in _ENUMS[name]:
                raise ValueError("%s must be one of %s" % (name, _ENUMS[name]))
            else:
                value = "" if value is None else str(value)
            out[name] = value
        return out

    def _new_device(self, props):
        number = next(self._serials)
        manufacturer, model = _HARDWARE[number % len(_HARDWARE)]
        entra_id = str(uuid.uuid4())
        device = {
            "@odata.type": DEVICE_TYPE, "id": str(uuid.uuid4()),
            "deploymentProfileAssignmentStatus": "notAssigned",
            "deploymentProfileAssignmentDetailedStatus": "none",
            "deploymentProfileAssignedDateTime": NEVER, "groupTag": "",
            "purchaseOrderIdentifier": "", "serialNumber": "SIM%09d" % number, "productKey": "",
            "manufacturer": manufacturer, "model": model, "enrollmentState": "notContacted",
            "lastContactedDateTime": NEVER, "addressableUserName": "", "userPrincipalName": "",
            "resourceName": "", "skuNumber": "", "systemFamily": "",
            "azureActiveDirectoryDeviceId": entra_id, "azureAdDeviceId": entra_id,
            "managedDeviceId": ZERO_GUID, "displayName": ""}
        device.update(props)
        return Device(device)

    def _list(self, td, device):
        td.devices[device.id] = device
        td.order.append(device)
        td.listed[device.key] += 1

    # --- time: lagged changes, import outcomes, syncs --------------------------------------
    def _run_until(self, td, until):
        while True:
            change = td.changes[0][0] if td.changes else None
            finish = td.unfinished[0][0] if td.unfinished else None
            if change is not None and change <= until and (finish is None or change <= finish):
                _at, _seq, device_id, updates = heapq.heappop(td.changes)
                self._apply(td, device_id, updates)
            elif finish is not None and finish <= until:
                at, _seq, record = heapq.heappop(td.unfinished)
                self._finish(td, record, at)
            else:
                return

    @staticmethod
    def _apply(td, device_id, updates):
        device = td.devices.get(device_id)
        if device is None:
            return
        if updates is None:
            del td.devices[device_id]
            device.gone, td.compact = True, True
            td.listed[device.key] -= 1
        else:
            device.shown = dict(device.shown, **updates)

    def _finish(self, td, record, at):
        key = record.key
        outcome = td.knobs["import_errors"].get(key)
        if outcome is None and (td.owned[key] > 0 or td.listed[key] > 0):
            outcome = ALREADY_ASSIGNED
        if outcome is None and (key in self._foreign or any(
                other.owned[key] > 0 for other in self._tenants.values() if other is not td)):
            outcome = OTHER_TENANT
        if outcome is not None:
            record.state = {"deviceImportStatus": "error", "deviceRegistrationId": "",
                            "deviceErrorCode": outcome[0], "deviceErrorName": outcome[1]}
            return
        registration = str(uuid.uuid4())
        record.state = {"deviceImportStatus": "complete", "deviceRegistrationId": registration,
                        "deviceErrorCode": 0, "deviceErrorName": ""}
        fields = record.fields
        td.owned[key] += 1
        td.registered.append((at, {
            "id": registration, "serialNumber": fields["serialNumber"],
            "productKey": fields["productKey"], "groupTag": fields["groupTag"],
            "userPrincipalName": fields["assignedUserPrincipalName"],
            "deploymentProfileAssignmentStatus": td.knobs["import_profile_status"]}))

    def on_sync_end(self, tenant_id, started, ended, result):
        """State's hook: a completed sync lists the imports completed before it started."""
        td = self._tenants.get(tenant_id)
        if td is None or result != "completed" or started is None:
            return
        self._run_until(td, started)
        waiting = []
        for completed, props in td.registered:
            if completed <= started:
                self._list(td, self._new_device(props))
            else:
                waiting.append((completed, props))
        td.registered = waiting

    def _schedule(self, td, now, device, updates):
        """A write Graph accepted: truth now, shown after the lag."""
        if updates is None:
            device.deleted = True
            td.owned[device.key] -= 1
        else:
            device.truth = dict(device.truth, **updates)
        at = now + to_ticks(td.knobs["device_change_lag"])
        heapq.heappush(td.changes, (at, next(self._seq), device.id, updates))
        self._run_until(td, now)

    # --- what the Graph handlers call --------------------------------------------------------
    def knob(self, tenant_id, name):
        with self.lock:
            return self._td(tenant_id).knobs[name]

    def admit_write(self, tenant_id):
        """-> (True, None), or (False, Retry-After seconds or None) past device_write_limit."""
        with self.lock:
            td, now = self._settle(tenant_id)
            limit = td.knobs["device_write_limit"]
            if not limit:
                return True, None
            window = to_ticks(td.knobs["device_write_window"])
            td.writes = [t for t in td.writes if t > now - window]
            if len(td.writes) >= limit:
                wait = max(1, -(-(td.writes[0] + window - now) // to_ticks(1)))
                return False, (int(wait) if td.knobs["intune_retry_after"] else None)
            td.writes.append(now)
            return True, None

    def refused(self, tenant_id):
        """Count an import POST Intune refused (400 or 429)."""
        with self.lock:
            self._td(tenant_id).stats["refused"] += 1

    def device_page(self, tenant_id, predicate, offset, size):
        """-> (shown device dicts at offset, whether more follow)."""
        with self.lock:
            td, _now = self._settle(tenant_id)
            if td.compact:
                td.order, td.compact = [d for d in td.order if not d.gone], False
            items = td.order if predicate is None else [
                d for d in td.order if predicate(d.shown)]
            return [d.shown for d in items[offset:offset + size]], offset + size < len(items)

    def get_device(self, tenant_id, device_id):
        with self.lock:
            td, _now = self._settle(tenant_id)
            device = td.devices.get(device_id)
            return device.shown if device else None

    def update_device(self, tenant_id, device_id, updates):
        """Apply ``updates`` (or delete with None); False if the device is not there (truth)."""
        with self.lock:
            td, now = self._settle(tenant_id)
            device = td.devices.get(device_id)
            if device is None or device.deleted:
                return False
            self._schedule(td, now, device, updates)
            return True

    def import_devices(self, tenant_id, records, created=None):
        """Create import records from validated field dicts (only the first ``created`` when
        given: Graph failed part way); -> their JSON as the import answer shows it."""
        with self.lock:
            td, now = self._settle(tenant_id)
            batch_id = str(uuid.uuid4())
            seconds, stagger = td.knobs["import_seconds"], td.knobs["import_stagger"]
            answer = []
            for index, fields in enumerate(records[:created]):
                fields = dict(fields, importId=fields.get("importId") or batch_id)
                finishes = now + to_ticks(seconds + index * stagger)
                record = ImportRecord(fields, now + to_ticks(seconds / 2))  # pending together
                td.imports[record.id] = record
                heapq.heappush(td.unfinished, (finishes, next(self._seq), record))
                answer.append(record.to_json(now, with_hash=True))
            td.stats["requests"] += 1
            td.stats["records_created"] += len(answer)
            return answer

    def import_page(self, tenant_id, predicate, offset, size):
        with self.lock:
            td, now = self._settle(tenant_id)
            items = [r.to_json(now) for r in td.imports.values()]
            if predicate is not None:
                items = [item for item in items if predicate(item)]
            return items[offset:offset + size], offset + size < len(items)

    def get_import(self, tenant_id, record_id):
        with self.lock:
            td, now = self._settle(tenant_id)
            record = td.imports.get(record_id)
            return record.to_json(now) if record else None

    def delete_import(self, tenant_id, record_id):
        with self.lock:
            td, _now = self._settle(tenant_id)
            return td.imports.pop(record_id, None) is not None

    # --- the truth, for tests -------------------------------------------------------------
    def truth(self, tenant_id):
        with self.lock:
            td, _now = self._settle(tenant_id)
            return [dict(d.truth) for d in td.order if not (d.deleted or d.gone)]

    def import_truth(self, tenant_id):
        with self.lock:
            td, now = self._settle(tenant_id)
            return [r.to_json(now, with_hash=True) for r in td.imports.values()]

    def stats(self, tenant_id):
        with self.lock:
            td, _now = self._settle(tenant_id)
            return dict(td.stats, records=len(td.imports), waiting_for_sync=len(td.registered))
