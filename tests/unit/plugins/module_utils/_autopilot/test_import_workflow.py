# -*- coding: utf-8 -*-
"""Unit tests for the import outcomes and ImportWorkflow, with an in-memory Graph and a virtual clock."""

import datetime
import itertools

import pytest
from test_sync_workflow import T0, FakeClock

from ansible_collections.intune.autopilot.plugins.module_utils._autopilot._api import SyncAnswer
from ansible_collections.intune.autopilot.plugins.module_utils._autopilot._device_api import DeviceGraph
from ansible_collections.intune.autopilot.plugins.module_utils._autopilot._import_outcomes import (
    ALREADY_REGISTERED,
    FAILED,
    IMPORTED,
    RowOutcome,
    best_outcome,
    record_outcome,
)
from ansible_collections.intune.autopilot.plugins.module_utils._autopilot._import_rows import ImportRow
from ansible_collections.intune.autopilot.plugins.module_utils._autopilot._import_workflow import (
    ImportOptions,
    ImportWorkflow,
)
from ansible_collections.intune.autopilot.plugins.module_utils._autopilot._model import AutopilotSettings
from ansible_collections.intune.autopilot.plugins.module_utils._autopilot._waiting import LAST_READ_SECONDS
from ansible_collections.intune.autopilot.plugins.module_utils._base._errors import (
    GraphError,
    TransportError,
    WorkflowError,
)

HASH = "SGFyZHdhcmVIYXNo"


def state(status, code=0, name="", registration=""):
    return {"deviceImportStatus": status, "deviceErrorCode": code, "deviceErrorName": name,
            "deviceRegistrationId": registration}


# -- outcome mapping --------------------------------------------------------------------------------
@pytest.mark.parametrize("given, expected", [
    (state("complete", registration="dev-1"), (IMPORTED, "dev-1", None, None)),
    (state("error", 806, "ZtdDeviceAlreadyAssigned"), (ALREADY_REGISTERED, None, 806, "ZtdDeviceAlreadyAssigned")),
    (state("error", 808, "ZtdDeviceAssignedToOtherTenant"), (FAILED, None, 808, "ZtdDeviceAssignedToOtherTenant")),
    (state("error", "809", "ZtdDeviceDuplicated"), (FAILED, None, 809, "ZtdDeviceDuplicated")),
    (state("error", None, ""), (FAILED, None, None, None)),
])
def test_a_final_record_state_maps_to_an_outcome(given, expected):
    outcome = record_outcome(given)
    assert (outcome.outcome, outcome.device_id, outcome.error_code, outcome.error_name) == expected
    assert outcome.needs_sync == (expected[0] != FAILED)
    assert (outcome.error_message is None) == (expected[0] != FAILED)


@pytest.mark.parametrize("status", ["unknown", "pending", "partial", "unknownFutureValue", None])
def test_a_record_still_processed_has_no_outcome(status):
    assert record_outcome(state(status)) is None


def test_two_records_for_one_row_completed_wins_then_806():
    failed, known, done = (RowOutcome(FAILED, error_code=808), RowOutcome(ALREADY_REGISTERED, error_code=806),
                           RowOutcome(IMPORTED, device_id="d"))
    assert best_outcome([failed, known, done]) is done
    assert best_outcome([failed, known]) is known
    assert best_outcome([failed]) is failed


# -- an in-memory Graph ---------------------------------------------------------------------------------
class FakeGraph:
    """Imports finish ``import_seconds`` after they were created; ``errors`` {serial: (code, name)};
    a completed import is listed as a device once a sync started after it ends (sync_seconds)."""

    max_retries = 3
    settled_write = DeviceGraph.settled_write  # the real rule for lost answers

    def __init__(self, clock, listed=(), errors=None, import_seconds=5, sync_seconds=2):
        self.clock = clock
        self.devices = dict((s.upper(), {"id": "old-" + s, "serial_number": s}) for s in listed)
        self.errors = errors or {}
        self.import_seconds, self.sync_seconds = import_seconds, sync_seconds
        self.records = {}
        self.ids = itertools.count(1)
        self.posts, self.device_reads, self.record_reads, self.deleted = [], [], [], []
        self.post_faults, self.read_faults = [], []
        self.syncs = []  # start times
        self.completed = []  # import records that completed (deleting them undoes nothing)
        self.sync_running_until = None
        self.deadline = None

    def now(self):
        return self.clock.elapsed

    def limit_retries_to(self, deadline):
        self.deadline = deadline

    # -- devices
    def list_devices(self, odata_filter=None):
        self._run_syncs()
        self.device_reads.append(odata_filter)
        for key, device in list(self.devices.items()):
            if odata_filter is None or key in odata_filter.upper():
                yield device

    # -- imports
    def import_devices(self, records):
        self.posts.append([r["serialNumber"] for r in records])
        fault = self.post_faults.pop(0) if self.post_faults else None
        created = records if fault is None or fault[1] is None else records[:fault[1]]
        answer = [self._create(record) for record in (created if fault is None or fault[1] is not None else records)]
        if fault is not None:
            raise fault[0]
        return answer

    def _create(self, record):
        record_id = "rec-%d" % next(self.ids)
        self.records[record_id] = dict(id=record_id, serial_number=record["serialNumber"],
                                       import_id=record["importId"], created=self.now())
        return self._show(self.records[record_id])

    def _show(self, record):
        if self.now() < record["created"] + self.import_seconds:
            return dict(id=record["id"], serial_number=record["serial_number"], state=state("pending"))
        key = record["serial_number"].upper()
        if key in self.errors:
            return dict(record, state=state("error", *self.errors[key]))
        if key in self.devices:
            return dict(record, state=state("error", 806, "ZtdDeviceAlreadyAssigned"))
        if record not in self.completed:
            self.completed.append(record)
        return dict(record, state=state("complete", registration="new-" + record["serial_number"]))

    def list_imports(self, import_id):
        self.record_reads.append((self.now(), import_id))
        if self.read_faults:
            raise self.read_faults.pop(0)
        return [self._show(r) for r in self.records.values() if r["import_id"] == import_id]

    def delete_import(self, record_id):
        self.deleted.append(record_id)
        return self.records.pop(record_id, None) is not None

    # -- the sync
    def _run_syncs(self):
        for started in self.syncs:
            if self.now() >= started + self.sync_seconds:
                for record in self.completed:
                    if record["created"] + self.import_seconds <= started:
                        serial = record["serial_number"]
                        self.devices.setdefault(serial.upper(), {"id": "new-" + serial, "serial_number": serial})

    def _running(self):
        return self.sync_running_until is not None and self.now() < self.sync_running_until

    def request_sync(self):
        if self._running():
            return SyncAnswer("in_progress", None)
        self.syncs.append(self.now())
        return SyncAnswer("triggered", None)

    def read_settings(self):
        self._run_syncs()

        def at(seconds):
            return T0 + datetime.timedelta(seconds=seconds)

        if self._running():
            return AutopilotSettings("s", at(-3600), at(-3600), "inProgress")
        if not self.syncs:
            return AutopilotSettings("s", at(-3600), at(-3600), "completed")
        started = self.syncs[-1]
        done = self.now() >= started + self.sync_seconds
        return AutopilotSettings("s", at(started + self.sync_seconds) if done else at(-3600), at(started),
                                 "completed" if done else "inProgress")


def rows(*serials):
    return [ImportRow(i, "devices[%d]" % i, s, HASH) for i, s in enumerate(serials)]


def workflow(graph, given, **options):
    options = dict(dict(batch_size=100, sync=False, wait=False, wait_timeout=600, poll_interval=10), **options)
    ids = ("import-%d" % n for n in itertools.count(1))
    return ImportWorkflow(graph, given, ImportOptions(**options), graph.clock, new_import_id=lambda: next(ids))


def fixture():
    return FakeClock()


def rows_of(result):
    return [(r["serial_number"], r["outcome"], r["error_code"], r["error_name"]) for r in result["devices"]]


# -- the workflow -------------------------------------------------------------------------------------
def test_registered_serials_are_skipped_and_the_rest_imported_in_batches():
    graph = FakeGraph(fixture(), listed=["old1"])
    given = rows("OLD1", *["S%02d" % i for i in range(25)])
    result = workflow(graph, given, batch_size=10).run()

    assert [len(p) for p in graph.posts] == [10, 10, 5]
    assert rows_of(result)[0] == ("OLD1", ALREADY_REGISTERED, None, None)
    assert result["devices"][0]["device_id"] == "old-old1"
    assert result["counts"] == {"imported": 25, "already_registered": 1, "failed": 0}
    assert result["changed"] is True and result["sync"] is None
    assert graph.device_reads == [None]  # 26 rows: one listing, no filter per row
    assert sorted(graph.deleted) == sorted("rec-%d" % n for n in range(1, 26)) and not graph.records


def test_one_paged_read_per_batch_per_poll_until_done():
    graph = FakeGraph(fixture(), import_seconds=25)
    workflow(graph, rows(*["S%02d" % i for i in range(5)]), batch_size=2).run()

    polls = {}
    for moment, import_id in graph.record_reads:
        polls.setdefault(moment, []).append(import_id)
    assert sorted(polls) == [10.0, 20.0, 30.0]  # every poll_interval, from one interval after the import
    assert all(sorted(ids) == ["import-1", "import-2", "import-3"] for ids in polls.values())


def test_few_serials_are_looked_up_one_filter_each():
    graph = FakeGraph(fixture(), listed=["A"])
    workflow(graph, rows("a", "b'c")).run()
    assert graph.device_reads == ["contains(serialNumber,'a')", "contains(serialNumber,'b''c')"]


def test_806_is_already_registered_808_fails_after_every_row():
    graph = FakeGraph(fixture(), errors={"FOREIGN": (808, "ZtdDeviceAssignedToOtherTenant"),
                                         "TWICE": (806, "ZtdDeviceAlreadyAssigned")})
    with pytest.raises(WorkflowError) as raised:
        workflow(graph, rows("twice", "foreign", "new")).run()
    result = raised.value.result
    assert rows_of(result) == [("twice", ALREADY_REGISTERED, 806, "ZtdDeviceAlreadyAssigned"),
                               ("foreign", FAILED, 808, "ZtdDeviceAssignedToOtherTenant"),
                               ("new", IMPORTED, None, None)]
    assert raised.value.message.startswith("1 of 3 devices failed to import (every row was processed")
    assert "foreign: Intune refused the import: ZtdDeviceAssignedToOtherTenant (808)." in raised.value.message
    assert not graph.records  # cleaned up all the same


def test_a_lost_answer_after_some_records_sends_only_the_rest_again():
    graph = FakeGraph(fixture())
    graph.post_faults = [(GraphError("Graph answered 504", status=504), 2)]
    result = workflow(graph, rows("a", "b", "c")).run()

    assert graph.posts == [["a", "b", "c"], ["c"]]
    assert graph.record_reads[0] == (0.0, "import-1")  # read by importId before sending again
    assert result["counts"]["imported"] == 3 and len(graph.deleted) == 3


def test_a_lost_answer_after_every_record_sends_nothing_again():
    graph = FakeGraph(fixture())
    lost = TransportError("reset")
    lost.sent = True
    graph.post_faults = [(lost, None)]
    result = workflow(graph, rows("a", "b")).run()
    assert graph.posts == [["a", "b"]] and result["counts"]["imported"] == 2


def test_a_lost_answer_whose_records_cannot_be_read_fails_those_rows_only():
    graph = FakeGraph(fixture())
    graph.post_faults = [(GraphError("Graph answered 503", status=503), 0)]
    graph.read_faults = [GraphError("Graph answered 403 Forbidden", status=403)]
    with pytest.raises(WorkflowError) as raised:
        workflow(graph, rows("a", "b", "c"), batch_size=2).run()
    result = raised.value.result
    assert [r[1:3] for r in rows_of(result)] == [(FAILED, 403)] * 2 + [(IMPORTED, None)]
    message = result["devices"][0]["error_message"]
    assert "Could not tell whether Graph carried out the import of 2 devices (importId import-1)" in message
    assert "Check the device imports in Intune" in message
    assert graph.posts == [["a", "b"], ["c"]]


def test_throttled_imports_back_off_until_the_deadline_then_fail_those_rows():
    clock = fixture()
    graph = FakeGraph(clock)
    graph.post_faults = [(GraphError("Graph answered 429", status=429, code="TooManyRequests"), 0)] * 50
    with pytest.raises(WorkflowError) as raised:
        workflow(graph, rows("a"), wait_timeout=60).run()
    assert len(graph.posts) > 3  # more than max_retries: wait_timeout bounds it
    assert all(1 <= b <= 60 for b in clock.sleeps) and sum(clock.sleeps) < 60
    assert clock.sleeps[3] > clock.sleeps[0] * 2  # the pause grows
    row = raised.value.result["devices"][0]
    assert (row["outcome"], row["error_code"], row["error_name"]) == (FAILED, 429, "TooManyRequests")
    assert "throttled the import request until wait_timeout=60s ran out" in row["error_message"]


def test_an_import_not_processed_in_time_fails_and_keeps_its_record():
    graph = FakeGraph(fixture(), import_seconds=1000)
    with pytest.raises(WorkflowError) as raised:
        workflow(graph, rows("slow"), wait_timeout=30).run()
    row = raised.value.result["devices"][0]
    assert (row["outcome"], row["error_name"]) == (FAILED, "ImportNotFinished")
    assert "wait_timeout=30s" in row["error_message"] and graph.records and not graph.deleted
    assert graph.clock.elapsed == 30 - LAST_READ_SECONDS  # the last poll leaves itself time to end


def test_sync_and_wait_until_the_devices_are_listed():
    graph = FakeGraph(fixture())
    result = workflow(graph, rows("a", "b"), sync=True, wait=True).run()
    assert result["sync"]["outcome"] == "triggered" and result["sync"]["sync_status"] == "completed"
    assert [r["device_id"] for r in result["devices"]] == ["new-a", "new-b"]
    assert len(graph.syncs) == 1 and graph.syncs[0] >= 5  # after the imports completed


def test_a_sync_already_running_is_waited_for_then_ours_is_triggered():
    graph = FakeGraph(fixture())
    graph.sync_running_until = 40
    result = workflow(graph, rows("a"), sync=True, wait=True).run()
    assert result["sync"]["outcome"] == "triggered"
    assert graph.syncs and graph.syncs[0] >= 40
    assert result["devices"][0]["device_id"] == "new-a"


def test_nothing_to_import_sends_nothing_and_syncs_nothing():
    graph = FakeGraph(fixture(), listed=["a"])
    result = workflow(graph, rows("A"), sync=True, wait=True).run()
    assert result["changed"] is False and result["sync"] is None
    assert graph.posts == [] and graph.syncs == []


def test_check_mode_predicts_without_writing_and_predicts_the_403():
    graph = FakeGraph(fixture(), listed=["a"])
    flow = ImportWorkflow(graph, rows("a", "b"), ImportOptions(sync=False), graph.clock, check_mode=True)
    result = flow.run()
    assert rows_of(result) == [("a", ALREADY_REGISTERED, None, None), ("b", IMPORTED, None, None)]
    assert graph.posts == [] and result["changed"] is True
    forbidden = GraphError("Graph would answer 403 Forbidden", status=403)
    with pytest.raises(GraphError):
        ImportWorkflow(graph, rows("b"), ImportOptions(sync=False), graph.clock, check_mode=True,
                       forbidden=lambda roles, action: forbidden).run()
    assert ImportWorkflow(graph, rows("a"), ImportOptions(sync=False), graph.clock, check_mode=True,
                          forbidden=lambda roles, action: forbidden).run()["changed"] is False
