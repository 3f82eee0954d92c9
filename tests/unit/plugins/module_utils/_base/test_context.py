# -*- coding: utf-8 -*-
"""run_core, the one exception boundary of both doors, and what the task context keeps for it."""

import pytest

from ansible_collections.intune.autopilot.plugins.module_utils._base._context import TaskContext, run_core
from ansible_collections.intune.autopilot.plugins.module_utils._base._errors import GraphError, WorkflowError


class Core:
    """Keeps what ``kept`` gives, then returns ``result`` or raises ``error``."""

    def __init__(self, result=None, error=None, kept=()):
        self.result, self.error, self.kept = result, error, kept

    def run(self, context):
        for values in self.kept:
            context.keep(values)
        if self.error is not None:
            raise self.error
        return dict(self.result)


def boundary(core, secrets=()):
    warnings = []
    context = TaskContext({}, {}, False, warnings.append, set(secrets))
    return run_core(core, context, "intune.autopilot.autopilot_sync"), warnings


TRIGGERED = {"outcome": "triggered", "changed": True, "sync_status": "inProgress", "warnings": ["last sync failed"]}


@pytest.mark.parametrize("error", [ZeroDivisionError("boom"), OverflowError("date value out of range"),
                                   KeyError("x"), RecursionError("deep")])
def test_an_unforeseen_exception_keeps_what_the_task_had_done(error):
    result, warnings = boundary(Core(error=error, kept=[lambda: dict(TRIGGERED), lambda: {"tenant": "t"}]))
    assert result["failed"] is True
    assert result["msg"].startswith("intune.autopilot.autopilot_sync failed unexpectedly: %s: "
                                    % type(error).__name__)
    assert (result["outcome"], result["changed"], result["tenant"]) == ("triggered", True, "t")
    assert "warnings" not in result and warnings == ["last sync failed"]


def test_the_collections_own_error_keeps_it_too_and_its_own_values_win():
    error = WorkflowError("Gave up.", changed=False, outcome=None, sync_status="completed")
    result, _warnings = boundary(Core(error=error, kept=[lambda: dict(TRIGGERED)]))
    assert (result["msg"], result["changed"], result["sync_status"]) == ("Gave up.", False, "completed")
    graph_error = GraphError("Graph answered 403.", status=403, code="Forbidden")
    result, _warnings = boundary(Core(error=graph_error, kept=[lambda: dict(TRIGGERED)]))
    assert (result["outcome"], result["changed"], result["error"]["code"]) == ("triggered", True, "Forbidden")


def test_a_kept_value_that_fails_itself_does_not_hide_the_failure():
    result, _warnings = boundary(Core(error=ValueError("odd"), kept=[lambda: 1 / 0, lambda: {"tenant": "t"}]))
    assert result["failed"] is True and "ValueError: odd" in result["msg"]
    assert result["tenant"] == "t"


def test_nothing_kept_claims_nothing_and_a_secret_in_the_text_is_masked():
    result, _warnings = boundary(Core(error=RuntimeError("token s3cret-value leaked")), secrets=["s3cret-value"])
    assert "changed" not in result and "outcome" not in result
    assert "s3cret-value" not in result["msg"] and "********" in result["msg"]


def test_a_success_hands_its_warnings_to_the_door():
    result, warnings = boundary(Core(result={"changed": False, "warnings": ["w1", "w2"]}))
    assert result == {"changed": False}
    assert warnings == ["w1", "w2"]
