# -*- coding: utf-8 -*-
"""Unit tests for SyncWorkflow with a scripted fake Graph and a virtual clock."""

import datetime

import pytest

from ansible_collections.intune.autopilot.plugins.module_utils._autopilot._model import (
    IN_PROGRESS,
    RECENTLY_SYNCED,
    THROTTLED,
    TRIGGERED,
    AutopilotSettings,
)
from ansible_collections.intune.autopilot.plugins.module_utils._autopilot._api import SyncAnswer
from ansible_collections.intune.autopilot.plugins.module_utils._autopilot._waiting import LAST_READ_SECONDS
from ansible_collections.intune.autopilot.plugins.module_utils._base._context import TaskContext, run_core
from ansible_collections.intune.autopilot.plugins.module_utils._base._errors import GraphError, TransportError, WorkflowError
from ansible_collections.intune.autopilot.plugins.module_utils._autopilot._sync_workflow import (
    THROTTLE_MARGIN,
    SyncOptions,
    SyncWorkflow,
)

UTC = datetime.timezone.utc
T0 = datetime.datetime(2026, 11, 23, 9, 20, 0, tzinfo=UTC)


def ts(offset):
    """T0 + offset seconds, formatted as the module returns it."""
    return (T0 + datetime.timedelta(seconds=offset)).strftime("%Y-%m-%dT%H:%M:%SZ")


def at(offset):
    return T0 + datetime.timedelta(seconds=offset)


class FakeClock:
    def __init__(self):
        self.elapsed = 0.0
        self.sleeps = []

    def now(self):
        return T0 + datetime.timedelta(seconds=self.elapsed)

    def monotonic(self):
        return 5000.0 + self.elapsed

    def at(self, monotonic_moment):
        return T0 + datetime.timedelta(seconds=monotonic_moment - 5000.0)

    @staticmethod
    def offset_seconds():
        return 0

    def sleep(self, seconds):
        assert seconds >= 0
        self.sleeps.append(seconds)
        self.elapsed += seconds


class FakeGraph:
    """Scripts: each read/request takes the next entry; the last one repeats.

    A settings entry may be a callable taking the clock, for state that depends on time.
    """

    max_retries = 3

    def __init__(self, clock, settings=(), answers=()):
        self.clock = clock
        self.deadline = None
        self.settings_script = list(settings)
        self.answers = list(answers)
        self.reads = 0
        self.requests = 0
        self.request_times = []
        self.read_times = []

    @staticmethod
    def _next(script, count):
        assert script, "unexpected call"
        return script[min(count, len(script) - 1)]

    def read_settings(self):
        entry = self._next(self.settings_script, self.reads)
        self.reads += 1
        self.read_times.append(self.clock.elapsed)
        if isinstance(entry, Exception):
            raise entry
        return entry(self.clock) if callable(entry) else entry

    def limit_retries_to(self, deadline):
        self.deadline = deadline

    def request_sync(self):
        """An entry is (outcome, Retry-After[, refusal]), or an exception to raise (the answer was lost)."""
        entry = self._next(self.answers, self.requests)
        self.requests += 1
        self.request_times.append(self.clock.elapsed)
        if isinstance(entry, Exception):
            raise entry
        return SyncAnswer(*entry)


def settings(status="completed", last_sync=None, last_trigger=None):
    return AutopilotSettings(id="sid", last_sync=last_sync, last_manual_trigger=last_trigger,
                             sync_status=status)


def run(answers=(), reads=(), check_mode=False, **options):
    clock = FakeClock()
    graph = FakeGraph(clock, reads, answers)
    workflow = SyncWorkflow(graph, SyncOptions(**options), clock, check_mode=check_mode)
    result = workflow.run()
    assert result.pop("graph_clock_offset") == 0
    return result, graph, clock


def run_fails(answers=(), reads=(), check_mode=False, **options):
    clock = FakeClock()
    graph = FakeGraph(clock, reads, answers)
    workflow = SyncWorkflow(graph, SyncOptions(**options), clock, check_mode=check_mode)
    with pytest.raises(WorkflowError) as info:
        workflow.run()
    assert info.value.result.pop("graph_clock_offset") == 0
    return info.value, graph, clock


class WorkflowCore:
    """A core around one workflow, kept by the context as _sync_core keeps it."""

    def __init__(self, workflow):
        self.workflow = workflow

    def run(self, context):
        context.keep(self.workflow.kept)
        return self.workflow.run()


def run_at_the_boundary(answers=(), reads=(), **options):
    """The workflow behind the one exception boundary both doors use: (result, graph, warnings)."""
    clock = FakeClock()
    graph = FakeGraph(clock, reads, answers)
    workflow = SyncWorkflow(graph, SyncOptions(**options), clock)
    warnings = []
    context = TaskContext({}, {}, False, warnings.append, set())
    result = run_core(WorkflowCore(workflow), context, "intune.autopilot.autopilot_sync")
    return result, graph, warnings


# -- 204 -------------------------------------------------------------------------------

def test_204_triggers_and_changes_without_reading():
    result, graph, clock = run(answers=[(TRIGGERED, None)])
    assert result == {"changed": True, "outcome": "triggered", "sync_status": "inProgress"}
    assert (graph.requests, graph.reads, clock.sleeps) == (1, 0, [])


# -- 409 -------------------------------------------------------------------------------

def test_409_skip():
    result, graph, clock = run(answers=[(IN_PROGRESS, None)])
    assert result == {"changed": False, "outcome": "in_progress", "sync_status": "inProgress"}
    assert (graph.requests, graph.reads, clock.sleeps) == (1, 0, [])


def test_409_fail():
    error, graph, _clock = run_fails(answers=[(IN_PROGRESS, None)], if_in_progress="fail")
    assert error.message == "An Autopilot sync is already in progress."
    assert error.result == {"changed": False, "outcome": "in_progress", "sync_status": "inProgress"}
    assert graph.requests == 1


def test_409_wait_polls_until_the_running_sync_ends_and_does_not_trigger():
    reads = [settings("inProgress"), settings("inProgress"), settings("completed", last_sync=at(20))]
    result, graph, clock = run(answers=[(IN_PROGRESS, None)], reads=reads, if_in_progress="wait",
                               poll_interval=10)
    assert result["changed"] is False
    assert result["outcome"] == "in_progress"
    assert result["sync_status"] == "completed"
    assert result["autopilot_settings"]["sync_status"] == "completed"
    assert result["autopilot_settings"]["last_sync_date_time"] == ts(20)
    assert clock.sleeps == [10, 10]
    assert (graph.requests, graph.reads) == (1, 3)


def test_409_wait_and_the_running_sync_fails():
    reads = [settings("inProgress"), settings("failed")]
    error, _graph, _clock = run_fails(answers=[(IN_PROGRESS, None)], reads=reads, if_in_progress="wait")
    assert "finished with status 'failed'" in error.message
    assert error.result["outcome"] == "in_progress"
    assert error.result["changed"] is False
    assert error.result["sync_status"] == "failed"


def test_409_wait_times_out_with_last_status():
    error, graph, clock = run_fails(answers=[(IN_PROGRESS, None)], reads=[settings("inProgress")],
                                    if_in_progress="wait", wait_timeout=35, poll_interval=10)
    assert error.message == ("Gave up after wait_timeout=35s waiting for the running sync to end; "
                             "the last sync status seen was inProgress. Set wait_timeout higher to wait longer, "
                             "or if_in_progress: skip to report a running sync without waiting for it.")
    assert clock.sleeps == [10, 10, 10, 4]  # the last read starts a second before the deadline
    assert sum(clock.sleeps) <= 35
    assert graph.reads == 5
    assert error.result["outcome"] == "in_progress"
    assert error.result["changed"] is False


# -- 429 -------------------------------------------------------------------------------

def test_429_skip_reports_the_window_of_the_settings_whatever_retry_after_says():
    """The time windows_autopilot_settings reports (trigger + 10 minutes, a whole second rounded up),
    not "now + Retry-After", which moves with every call."""
    reads = [settings("completed", last_trigger=at(-240.4))]
    result, graph, clock = run(answers=[(THROTTLED, 120.0)], reads=reads)
    assert result["outcome"] == "throttled" and result["changed"] is False
    assert result["manual_sync_allowed_at"] == ts(360) == reads[0].state_result(T0)["manual_sync_allowed_at"]
    assert (graph.requests, graph.reads, clock.sleeps) == (1, 1, [])


def test_429_skip_takes_retry_after_when_the_settings_show_no_open_window():
    """Graph refused for a trigger it has not stamped yet: Retry-After is all there is."""
    result, graph, _clock = run(answers=[(THROTTLED, 119.2)], reads=[settings("completed", last_trigger=at(-700))])
    assert result["manual_sync_allowed_at"] == ts(120)  # rounded up: never early
    assert (graph.requests, graph.reads) == (1, 1)


def test_429_skip_without_retry_after_reads_the_window():
    reads = [settings("completed", last_trigger=at(-240))]
    result, graph, clock = run(answers=[(THROTTLED, None)], reads=reads)
    assert result["changed"] is False
    assert result["outcome"] == "throttled"
    assert result["manual_sync_allowed_at"] == ts(360)
    assert result["sync_status"] == "completed"
    assert result["autopilot_settings"]["last_manual_sync_trigger_date_time"] == ts(-240)
    assert (graph.requests, graph.reads, clock.sleeps) == (1, 1, [])


def intune_refusal(status):
    """What GraphClient makes of Intune's 409/429: its inner Message, the ids, no Retry-After."""
    return GraphError("Graph answered %d." % status, status=status, code="TooManyRequests" if status == 429
                      else "Conflict", graph_message="Autopilot sync was requested too recently. - Activity ID: "
                      "crid", request_id="rid-%d" % status, client_request_id="crid")


@pytest.mark.parametrize("outcome, status, option", [(THROTTLED, 429, "if_throttled"),
                                                     (IN_PROGRESS, 409, "if_in_progress")])
def test_a_refusal_asked_to_fail_shows_graphs_own_message_and_ids(outcome, status, option):
    reads = [settings("completed", last_trigger=at(-60))]
    error, _graph, _clock = run_fails(answers=[(outcome, None, intune_refusal(status))], reads=reads,
                                      **{option: "fail"})
    assert error.message.endswith(" Graph said: Autopilot sync was requested too recently. - Activity ID: crid")
    assert "_version" not in error.message
    assert (error.result["error"]["status"], error.result["error"]["request_id"]) == (status, "rid-%d" % status)
    assert error.result["outcome"] == outcome


def test_429_fail_says_when():
    error, graph, clock = run_fails(answers=[(THROTTLED, 90.0)], reads=[settings("completed")], if_throttled="fail")
    assert "less than 10 minutes ago" in error.message
    assert ts(90) in error.message
    assert error.result["outcome"] == "throttled"
    assert error.result["changed"] is False
    assert error.result["manual_sync_allowed_at"] == ts(90)
    assert (graph.requests, clock.sleeps) == (1, [])


def test_429_fail_without_any_known_time():
    error, _graph, _clock = run_fails(answers=[(THROTTLED, None)], reads=[settings("completed")],
                                      if_throttled="fail")
    assert "in a few minutes" in error.message
    assert error.result["manual_sync_allowed_at"] is None


def test_429_wait_without_retry_after_sleeps_until_window_end_plus_margin_only():
    reads = [settings("completed", last_trigger=at(-240))]
    result, graph, clock = run(answers=[(THROTTLED, None), (TRIGGERED, None)], reads=reads,
                               if_throttled="wait")
    assert clock.sleeps == [pytest.approx(360 + THROTTLE_MARGIN)]
    assert THROTTLE_MARGIN <= 5
    assert graph.request_times == [0.0, pytest.approx(360 + THROTTLE_MARGIN)]
    assert result["changed"] is True
    assert result["outcome"] == "triggered"
    assert result["sync_status"] == "inProgress"
    assert "manual_sync_allowed_at" not in result


def test_429_wait_with_retry_after():
    result, graph, clock = run(answers=[(THROTTLED, 30.0), (TRIGGERED, None)], reads=[settings("completed")],
                               if_throttled="wait")
    assert clock.sleeps == [pytest.approx(30 + THROTTLE_MARGIN)]
    assert graph.reads == 1
    assert graph.requests == 2
    assert (result["changed"], result["outcome"], result["sync_status"]) == (True, "triggered", "inProgress")


def test_429_wait_window_longer_than_wait_timeout_fails_without_sleeping():
    error, graph, clock = run_fails(answers=[(THROTTLED, 500.0)], reads=[settings("completed")], if_throttled="wait",
                                    wait_timeout=300)
    assert clock.sleeps == []
    assert graph.requests == 1
    assert error.message == ("The next manual sync is allowed at %s (Graph's clock), 502 seconds from now; "
                             "wait_timeout=300s cannot reach it, so the task did not wait. Set wait_timeout "
                             "to at least 502 to wait for it." % ts(500))
    assert error.result["outcome"] == "throttled"
    assert error.result["manual_sync_allowed_at"] == ts(500)
    assert error.result["changed"] is False


def test_429_wait_when_window_already_over_polls():
    # Graph says 429 but the settings show no open window (clock skew): ask again after poll_interval.
    reads = [settings("completed", last_trigger=at(-700))]
    result, graph, clock = run(answers=[(THROTTLED, None), (TRIGGERED, None)], reads=reads,
                               if_throttled="wait", poll_interval=7)
    assert clock.sleeps == [7]
    assert result["outcome"] == "triggered"


def test_429_wait_twice_uses_the_new_window():
    def state(clock):
        # someone else triggered a sync at T0+361, just before our second request
        if clock.elapsed < 361:
            return settings("completed", last_trigger=at(-240))
        return settings("inProgress", last_trigger=at(361))

    result, graph, clock = run(answers=[(THROTTLED, None), (THROTTLED, None), (TRIGGERED, None)],
                               reads=[state], if_throttled="wait", wait_timeout=1800)
    assert clock.sleeps[0] == pytest.approx(362)
    assert clock.sleeps[1] == pytest.approx(961 + THROTTLE_MARGIN - 362)
    assert graph.requests == 3
    assert result["outcome"] == "triggered"


# -- skip_if_synced_within --------------------------------------------------------------

def test_recently_synced_skips_the_request():
    reads = [settings("completed", last_sync=at(-1800), last_trigger=at(-1900))]
    result, graph, _clock = run(answers=[(TRIGGERED, None)], reads=reads, skip_if_synced_within=3600)
    assert result["changed"] is False
    assert result["outcome"] == "recently_synced"
    assert result["sync_status"] == "completed"
    assert result["autopilot_settings"]["last_sync_date_time"] == ts(-1800)
    assert graph.requests == 0


def test_old_sync_is_not_skipped_and_settings_are_reported():
    reads = [settings("completed", last_sync=at(-7200))]
    result, graph, _clock = run(answers=[(TRIGGERED, None)], reads=reads, skip_if_synced_within=3600)
    assert result["changed"] is True
    assert result["outcome"] == "triggered"
    assert result["sync_status"] == "inProgress"
    assert result["autopilot_settings"]["sync_status"] == "completed"
    assert (graph.reads, graph.requests) == (1, 1)


def test_never_synced_is_not_skipped():
    result, graph, _clock = run(answers=[(TRIGGERED, None)], reads=[settings("unknown")],
                                skip_if_synced_within=3600)
    assert result["outcome"] == "triggered"
    assert graph.requests == 1


# -- wait=true ------------------------------------------------------------------------------

def test_wait_until_triggered_sync_completes():
    reads = [
        settings("completed", last_sync=at(-7200), last_trigger=at(-7300)),  # not updated yet
        settings("inProgress", last_sync=at(-7200), last_trigger=at(0)),
        settings("completed", last_sync=at(25), last_trigger=at(0)),
    ]
    result, graph, clock = run(answers=[(TRIGGERED, None)], reads=reads, wait=True, poll_interval=10)
    assert result["changed"] is True
    assert result["outcome"] == "triggered"
    assert result["sync_status"] == "completed"
    assert result["autopilot_settings"]["last_sync_date_time"] == ts(25)
    assert clock.sleeps == [10]  # the first read is before the request: the status before it
    assert (graph.requests, graph.reads) == (1, 3)


def test_wait_ends_failed_fails_the_task():
    reads = [settings("inProgress", last_trigger=at(0)), settings("failed", last_trigger=at(0))]
    error, graph, _clock = run_fails(answers=[(TRIGGERED, None)], reads=reads, wait=True)
    assert "finished with status 'failed'" in error.message
    assert error.result["changed"] is True
    assert error.result["outcome"] == "triggered"
    assert error.result["sync_status"] == "failed"
    assert error.result["autopilot_settings"]["sync_status"] == "failed"
    assert graph.requests == 1


def test_wait_times_out_with_last_status_in_message():
    reads = [settings("inProgress", last_trigger=at(0))]
    error, graph, clock = run_fails(answers=[(TRIGGERED, None)], reads=reads, wait=True,
                                    wait_timeout=25, poll_interval=10)
    assert error.message == ("Gave up after wait_timeout=25s waiting for the triggered sync to finish; "
                             "the last sync status seen was inProgress. The sync goes on in Intune: read its "
                             "state later with intune.autopilot.windows_autopilot_settings, or set wait_timeout "
                             "higher to wait for it (a sync usually takes a few minutes).")
    assert clock.sleeps == [10, 10, 4]  # the last read starts a second before the deadline
    assert error.result["changed"] is True
    assert error.result["outcome"] == "triggered"
    assert error.result["sync_status"] == "inProgress"
    assert graph.requests == 1


def test_one_deadline_bounds_all_waits():
    reads = [
        settings("completed", last_trigger=at(-240)),
        settings("completed", last_trigger=at(-240)),
        lambda clock: settings("inProgress", last_trigger=at(362)),
    ]
    error, graph, clock = run_fails(answers=[(THROTTLED, None), (TRIGGERED, None)], reads=reads,
                                    if_throttled="wait", wait=True, wait_timeout=400, poll_interval=10)
    assert sum(clock.sleeps) <= 400
    assert clock.sleeps[0] == pytest.approx(362)
    assert clock.sleeps[1:] == [10, 10, 10, 7]
    assert "wait_timeout=400s" in error.message
    assert error.result["changed"] is True
    assert graph.requests == 2


# -- check mode ---------------------------------------------------------------------------------

@pytest.mark.parametrize("options", [{}, {"if_throttled": "wait"}, {"wait": True}])
def test_check_mode_predicts_triggered(options):
    reads = [settings("completed", last_sync=at(-3600), last_trigger=at(-3700))]
    result, graph, clock = run(answers=[(TRIGGERED, None)], reads=reads, check_mode=True, **options)
    assert result["changed"] is True
    assert result["outcome"] == "triggered"
    assert result["sync_status"] == "completed"
    assert "autopilot_settings" in result
    assert (graph.requests, graph.reads, clock.sleeps) == (0, 1, [])


@pytest.mark.parametrize("if_in_progress", ["skip", "wait"])
def test_check_mode_predicts_in_progress(if_in_progress):
    result, graph, _clock = run(answers=[(TRIGGERED, None)], reads=[settings("inProgress")],
                                check_mode=True, if_in_progress=if_in_progress)
    assert result["changed"] is False
    assert result["outcome"] == "in_progress"
    assert graph.requests == 0


def test_check_mode_in_progress_fail():
    error, graph, _clock = run_fails(answers=[(TRIGGERED, None)], reads=[settings("inProgress")],
                                     check_mode=True, if_in_progress="fail")
    assert error.message == "An Autopilot sync is already in progress."
    assert error.result["outcome"] == "in_progress"
    assert graph.requests == 0


def test_check_mode_throttled_skip():
    reads = [settings("completed", last_trigger=at(-60))]
    result, graph, clock = run(answers=[(TRIGGERED, None)], reads=reads, check_mode=True)
    assert result["changed"] is False
    assert result["outcome"] == "throttled"
    assert result["manual_sync_allowed_at"] == ts(540)
    assert (graph.requests, clock.sleeps) == (0, [])


def test_check_mode_throttled_wait_would_trigger():
    reads = [settings("completed", last_trigger=at(-60))]
    result, graph, clock = run(answers=[(TRIGGERED, None)], reads=reads, check_mode=True,
                               if_throttled="wait")
    assert result["changed"] is True
    assert (graph.requests, clock.sleeps) == (0, [])


def test_check_mode_throttled_wait_predicts_the_real_outcome():
    reads = [settings("completed", last_trigger=at(-60))]
    predicted, _graph, _clock = run(answers=[(TRIGGERED, None)], reads=reads, check_mode=True,
                                    if_throttled="wait")
    real, _graph, _clock = run(answers=[(THROTTLED, None), (TRIGGERED, None)], reads=reads,
                               if_throttled="wait")
    assert (predicted["outcome"], predicted["changed"]) == (real["outcome"], real["changed"])
    assert predicted["outcome"] == "triggered"


def test_check_mode_throttled_wait_beyond_wait_timeout_predicts_the_failure():
    reads = [settings("completed", last_trigger=at(-60))]  # window ends in 540 s
    real_error, _graph, _clock = run_fails(answers=[(THROTTLED, None)], reads=reads,
                                           if_throttled="wait", wait_timeout=300)
    assert real_error.result["changed"] is False
    error, graph, _clock = run_fails(answers=[(TRIGGERED, None)], reads=reads, check_mode=True,
                                     if_throttled="wait", wait_timeout=300)
    assert "wait_timeout=300s" in error.message
    assert error.result["changed"] is False
    assert graph.requests == 0


def test_check_mode_throttled_fail():
    reads = [settings("completed", last_trigger=at(-60))]
    error, graph, _clock = run_fails(answers=[(TRIGGERED, None)], reads=reads, check_mode=True,
                                     if_throttled="fail")
    assert ts(540) in error.message
    assert error.result["outcome"] == "throttled"
    assert error.result["changed"] is False
    assert graph.requests == 0


def test_check_mode_recently_synced():
    reads = [settings("completed", last_sync=at(-60), last_trigger=at(-3600))]
    result, graph, _clock = run(answers=[(TRIGGERED, None)], reads=reads, check_mode=True,
                                skip_if_synced_within=600)
    assert result["changed"] is False
    assert result["outcome"] == "recently_synced"
    assert graph.requests == 0


def test_outcomes_are_the_documented_strings():
    assert {TRIGGERED, IN_PROGRESS, THROTTLED, RECENTLY_SYNCED} == {
        "triggered", "in_progress", "throttled", "recently_synced"}


# -- a lost answer is decided by reading -----------------------------------------------------------

def gateway(status=503):
    return GraphError("Graph answered %d." % status, status=status, code="ServiceUnavailable", request_id="rid")


def reset():
    error = TransportError("Could not complete the request to graph after 1 attempt(s): reset.", attempts=1)
    error.sent = True
    return error


def ours(status="inProgress"):
    """Settings that show a trigger at T0 (when the first request was sent)."""
    return settings(status, last_sync=at(-7200), last_trigger=at(0))


NOT_OURS = settings("completed", last_sync=at(-7200), last_trigger=at(-7300))


@pytest.mark.parametrize("lost", [gateway(503), gateway(504), reset()], ids=["503", "504", "reset"])
@pytest.mark.parametrize("options", [{}, {"if_throttled": "wait", "if_in_progress": "wait"},
                                     {"if_throttled": "fail", "if_in_progress": "fail"}])
def test_a_lost_answer_after_graph_acted_is_ours_and_never_sent_again(lost, options):
    result, graph, clock = run(answers=[lost, (THROTTLED, 600.0)], reads=[ours()], **options)
    assert (result["outcome"], result["changed"], result["sync_status"]) == ("triggered", True, "inProgress")
    assert (graph.requests, graph.reads, clock.sleeps) == (1, 1, [])


def test_a_lost_answer_with_wait_waits_for_our_sync():
    reads = [NOT_OURS, ours(), ours(), settings("completed", last_sync=at(25), last_trigger=at(0))]
    result, graph, clock = run(answers=[gateway()], reads=reads, wait=True, poll_interval=10)
    assert (result["outcome"], result["changed"], result["sync_status"]) == ("triggered", True, "completed")
    assert (graph.requests, graph.reads) == (1, 4)  # before, the deciding read, two polls
    assert clock.sleeps == [10]


def test_a_lost_answer_without_our_trigger_is_sent_again_after_backoff():
    result, graph, clock = run(answers=[gateway(), (TRIGGERED, None)], reads=[NOT_OURS])
    assert (result["outcome"], result["changed"]) == ("triggered", True)
    assert graph.requests == 2
    assert len(clock.sleeps) == 1 and 0 < clock.sleeps[0] <= 0.5


def test_a_refusal_after_a_lost_answer_is_decided_by_reading():
    # The first request reached Graph late (slow, then acted): the read right after shows nothing,
    # the second request meets the sync the first one started, and a second read shows it.
    reads = [NOT_OURS, lambda clock: ours()]
    result, graph, _clock = run(answers=[reset(), (IN_PROGRESS, None)], reads=reads, if_in_progress="fail")
    assert (result["outcome"], result["changed"]) == ("triggered", True)
    assert (graph.requests, graph.reads) == (2, 2)


def test_a_refusal_after_a_lost_answer_without_our_trigger_is_a_normal_outcome():
    reads = [NOT_OURS, settings("inProgress", last_trigger=at(-5))]
    result, graph, _clock = run(answers=[reset(), (IN_PROGRESS, None)], reads=reads)
    assert (result["outcome"], result["changed"]) == ("in_progress", False)


def test_lost_answers_are_sent_again_at_most_max_retries_times():
    error, graph, _clock = run_fails(answers=[gateway()], reads=[NOT_OURS])
    assert graph.requests == 4  # 1 + max_retries (3)
    assert error.message.startswith("Gave up after 4 sync requests, and the settings show no sync started "
                                    "by this task (last manual trigger %s)." % ts(-7300))
    assert error.result["error"]["attempts"] == 4
    assert error.result["error"]["request_id"] == "rid"
    assert "outcome" not in error.result
    assert error.result["changed"] is False


def test_a_lost_answer_and_an_unreadable_state_fail_without_guessing():
    error, graph, _clock = run_fails(answers=[reset()], reads=[gateway(503)])
    assert error.message.startswith("Could not tell whether Graph started a sync: the answer to the sync "
                                    "request was lost (Could not complete")
    assert "A sync may have started: check with intune.autopilot.windows_autopilot_settings" in error.message
    assert "outcome" not in error.result
    assert error.result["changed"] is True  # it may have: never "nothing changed"
    assert graph.requests == 1


# -- a refusal after a lost answer: the trigger Graph stamps late ----------------------------------------

def lagging_trigger(shows_after):
    """Graph stamps our trigger (sent at T0) in its back end: the settings show it only after a while."""
    return lambda clock: ours() if clock.elapsed >= shows_after else NOT_OURS


REFUSALS = {"409": (IN_PROGRESS, None), "429": (THROTTLED, None)}
OPTIONS = {"skip/skip": {}, "wait/wait": {"if_throttled": "wait", "if_in_progress": "wait"},
           "fail/fail": {"if_throttled": "fail", "if_in_progress": "fail"},
           "wait/wait/wait": {"if_throttled": "wait", "if_in_progress": "wait", "wait": True}}


@pytest.mark.parametrize("options", list(OPTIONS))
@pytest.mark.parametrize("refusal", list(REFUSALS))
@pytest.mark.parametrize("lost", [gateway(503), reset()], ids=["503", "reset"])
def test_a_refusal_after_a_lost_answer_is_read_until_graph_shows_our_late_trigger(lost, refusal, options):
    # A third request would be a second sync once the window is over: it must never be sent.
    answers = [lost, REFUSALS[refusal], (TRIGGERED, None)]
    reads = [NOT_OURS, lagging_trigger(shows_after=5)]
    if OPTIONS[options].get("wait"):
        reads = [NOT_OURS, NOT_OURS, lagging_trigger(5), lambda clock: settings(
            "completed" if clock.elapsed >= 20 else "inProgress", last_sync=at(19), last_trigger=at(0))]
    result, graph, clock = run(answers=answers, reads=reads, poll_interval=10, **OPTIONS[options])
    assert (result["outcome"], result["changed"]) == ("triggered", True)
    assert graph.requests == 2
    assert result["sync_status"] == ("completed" if OPTIONS[options].get("wait") else "inProgress")
    assert result["autopilot_settings"]["last_manual_sync_trigger_date_time"] == ts(0)
    # read at once after the refusal, then backing off up to poll_interval: told soon after the stamp
    deciding = [t for t in graph.read_times if t >= graph.request_times[1]]
    assert deciding[0] == graph.request_times[1]
    told = min(t for t in deciding if t >= 5)
    assert told < 5 + 8.5
    pauses = [b - a for a, b in zip(deciding, deciding[1:]) if b <= told]
    assert pauses[0] <= 0.5 and all(p <= 10 for p in pauses)


@pytest.mark.parametrize("refusal", list(REFUSALS))
def test_a_refusal_after_a_lost_answer_that_never_tells_fails_saying_a_sync_may_have_started(refusal):
    error, graph, clock = run_fails(answers=[gateway(), REFUSALS[refusal], (TRIGGERED, None)], reads=[NOT_OURS],
                                    if_throttled="wait", if_in_progress="wait", wait_timeout=60, poll_interval=10)
    assert error.message.startswith(
        "Could not tell whether Graph started a sync: the answer to an earlier sync request was lost (Graph "
        "answered 503), Graph refused the next one as %s, and within wait_timeout=60s the settings showed "
        "neither this task's trigger nor an earlier one that explains the refusal (the last manual trigger they "
        "show is %s). A sync may have started" % (REFUSALS[refusal][0].replace("_", " "), ts(-7300)))
    assert (error.result["changed"], "outcome" in error.result) == (True, False)
    assert graph.requests == 2  # never a second POST
    assert sum(clock.sleeps) == pytest.approx(60 - LAST_READ_SECONDS)  # the last read ends inside the deadline
    assert max(clock.sleeps) <= 10
    assert graph.reads >= 9


def test_a_throttled_refusal_explained_by_an_earlier_trigger_waits_out_its_window():
    # The trigger Graph shows is 100 s old: its window covered the lost request, so Graph refused that
    # one too; waiting out the window and asking again starts the only sync.
    reads = [NOT_OURS, settings("completed", last_sync=at(-90), last_trigger=at(-100))]
    result, graph, clock = run(answers=[gateway(), (THROTTLED, None), (TRIGGERED, None)], reads=reads,
                               if_throttled="wait")
    assert (result["outcome"], result["changed"]) == ("triggered", True)
    assert graph.requests == 3
    assert graph.request_times[2] == pytest.approx(500 + THROTTLE_MARGIN)


def test_a_throttled_read_while_deciding_a_refusal_is_read_again():
    result, graph, _clock = run(answers=[reset(), (IN_PROGRESS, None)], reads=[NOT_OURS, throttled_read(), ours()])
    assert (result["outcome"], result["changed"], graph.requests, graph.reads) == ("triggered", True, 2, 3)


def test_a_failed_read_while_deciding_a_refusal_fails_without_guessing():
    forbidden = GraphError("Graph answered 403.", status=403, code="Forbidden")
    error, graph, _clock = run_fails(answers=[reset(), (IN_PROGRESS, None)], reads=[NOT_OURS, forbidden])
    assert "Graph refused the next one as in progress, and reading the settings failed: Graph answered 403" \
        in error.message
    assert (error.result["changed"], error.result["error"]["code"], graph.requests) == (True, "Forbidden", 2)


def test_a_refused_sync_request_is_not_decided_by_reading():
    forbidden = GraphError("Graph answered 403.", status=403)
    with pytest.raises(GraphError):
        run(answers=[forbidden], reads=[NOT_OURS])


# -- one deadline, failures after the trigger ---------------------------------------------------------

def throttled_read():
    error = GraphError("Graph answered 429 TooManyRequests.", status=429, code="TooManyRequests")
    error.retry_after = 60.0
    return error


def test_throttled_reads_while_waiting_stay_inside_wait_timeout():
    reads = [NOT_OURS, throttled_read()]
    error, graph, clock = run_fails(answers=[(TRIGGERED, None)], reads=reads, wait=True, wait_timeout=15,
                                    poll_interval=5)
    assert clock.sleeps == [14]  # Retry-After 60 capped by the time left; the last read a second before
    assert graph.reads == 3
    assert graph.deadline == 5015.0
    assert error.message.startswith("Gave up after wait_timeout=15s waiting for the triggered sync to finish; "
                                    "the last read failed: Graph answered 429")
    assert (error.result["outcome"], error.result["changed"], error.result["sync_status"]) == (
        "triggered", True, "inProgress")
    assert error.result["autopilot_settings"]["last_manual_sync_trigger_date_time"] == ts(-7300)
    assert error.result["error"]["status"] == 429


def test_any_failure_after_the_trigger_still_says_triggered():
    forbidden = GraphError("Graph answered 403.", status=403, code="Forbidden")
    result, _graph, _warnings = run_at_the_boundary(answers=[(TRIGGERED, None)], reads=[NOT_OURS, forbidden],
                                                    wait=True)
    assert (result["failed"], result["msg"]) == (True, "Graph answered 403.")
    assert (result["outcome"], result["changed"], result["sync_status"]) == ("triggered", True, "inProgress")
    assert result["error"]["code"] == "Forbidden"


def test_an_unforeseen_exception_after_the_trigger_still_says_triggered():
    failed_before = settings("failed", last_sync=at(-7200), last_trigger=at(-7300))
    result, graph, warnings = run_at_the_boundary(answers=[(TRIGGERED, None)],
                                                  reads=[failed_before, ZeroDivisionError("boom")], wait=True)
    assert result["failed"] is True
    assert result["msg"].startswith("intune.autopilot.autopilot_sync failed unexpectedly: ZeroDivisionError: boom.")
    assert (result["outcome"], result["changed"], result["sync_status"]) == ("triggered", True, "inProgress")
    assert result["autopilot_settings"]["sync_status"] == "failed"
    assert graph.requests == 1
    assert "warnings" not in result  # handed to the door instead
    assert [w for w in warnings if "last Windows Autopilot sync of this tenant failed" in w]


def test_an_unforeseen_exception_after_a_lost_answer_says_a_sync_may_have_started():
    result, _graph, _warnings = run_at_the_boundary(answers=[gateway()], reads=[RuntimeError("odd")])
    assert (result["failed"], result["changed"], "outcome" in result) == (True, True, False)
    assert "RuntimeError: odd" in result["msg"]


def test_an_unforeseen_exception_before_any_request_claims_nothing():
    result, graph, _warnings = run_at_the_boundary(answers=[(TRIGGERED, None)], reads=[ValueError("odd")],
                                                   wait=True)
    assert result["failed"] is True
    assert "changed" not in result and "outcome" not in result
    assert graph.requests == 0


def test_a_stale_completed_after_our_trigger_is_not_finished():
    stale = settings("completed", last_sync=at(-7200), last_trigger=at(0))
    done = settings("completed", last_sync=at(31), last_trigger=at(0))
    result, graph, clock = run(answers=[(TRIGGERED, None)], reads=[NOT_OURS, stale, stale, stale, done],
                               wait=True, poll_interval=10)
    assert result["sync_status"] == "completed"
    assert clock.sleeps == [10, 10, 10]


def test_nothing_read_is_null_and_says_so():
    error, _graph, _clock = run_fails(answers=[(IN_PROGRESS, None)], reads=[throttled_read()],
                                      if_in_progress="wait", wait_timeout=5)
    assert "the last read failed" in error.message
    assert "unknown" not in error.message
