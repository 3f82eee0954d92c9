"""200 tenants, forks 50, one simulator: one trigger per tenant, nothing fails, the rerun changes nothing.

Run with ``make test-load`` (``INTUNE_LOAD_TEST=1``). Prints a one-line summary and
writes the figures to tests/load/last_run.json (git-ignored).
"""

import json
import os
from pathlib import Path

import pytest

from ansible_env import COLLECTIONS
from fleet import Fleet
from simulator import Simulator

TENANTS = int(os.environ.get("FLEET_TENANTS", "200"))
FORKS = int(os.environ.get("FLEET_FORKS", "50"))
LAST_RUN = Path(__file__).resolve().parent / "last_run.json"


@pytest.fixture(scope="module")
def sim(tmp_path_factory):
    if not (COLLECTIONS / "ansible_collections" / "intune" / "autopilot" / "MANIFEST.json").exists():
        pytest.fail("The collection is not installed in %s: run `make collection` first." % COLLECTIONS)
    # A sync runs for an hour: the second run finds every one still in progress.
    with Simulator(tmp_path_factory.mktemp("sim"), sync_seconds=3600) as simulator:
        yield simulator


def sync_statuses(sim, tenant_id):
    return [e["status"] for e in sim.log(tenant=tenant_id, endpoint="sync") if e["method"] == "POST"]


def assert_every_host(run, fleet, sync_outcome, sync_changed):
    problems = []
    for host in fleet.hosts:
        sync, settings = run.results.get((host, "sync")), run.results.get((host, "settings"))
        if not sync or not settings:
            problems.append("%s: missing result" % host)
            continue
        if sync["status"] != "ok" or settings["status"] != "ok":
            problems.append("%s: %s / %s: %s" % (host, sync["status"], settings["status"],
                                                 sync["result"].get("msg") or settings["result"].get("msg")))
            continue
        if (sync["result"]["outcome"], sync["result"]["changed"]) != (sync_outcome, sync_changed):
            problems.append("%s: sync %s changed=%s" % (host, sync["result"]["outcome"], sync["result"]["changed"]))
        if settings["result"]["changed"] is not False or settings["result"]["sync_in_progress"] is not True:
            problems.append("%s: settings %s" % (host, settings["result"]))
        # Each host read its own tenant (no mix-up between forks).
        if settings["result"]["autopilot_settings"]["id"] != fleet.sim.get_settings(
                fleet.hosts[host]["intune_tenant_id"])["id"]:
            problems.append("%s: read another tenant's settings" % host)
    assert problems == [], "%d problems, first ones:\n%s" % (len(problems), "\n".join(problems[:20]))


def test_fleet_sync_is_exactly_once_and_idempotent(sim, tmp_path):
    fleet = Fleet(sim, TENANTS, tmp_path / "fleet")

    first = fleet.run(FORKS, "first")
    assert first.rc == 0, first.stdout[-3000:] + first.stderr[-3000:]
    assert "failed=0" in first.stdout and "unreachable=0" in first.stdout
    assert_every_host(first, fleet, "triggered", True)
    assert first.figures["module_runs"] == 0  # the in-process door: no module process ran
    for tenant_id in fleet.tenant_ids():
        assert sync_statuses(sim, tenant_id) == [204], tenant_id  # exactly one trigger, no retry
    triggers = sum(sync_statuses(sim, t).count(204) for t in fleet.tenant_ids())
    assert triggers == TENANTS
    assert first.stdout.count("changed=1") == TENANTS  # recap: one change per host

    second = fleet.run(FORKS, "second")
    assert second.rc == 0, second.stdout[-3000:] + second.stderr[-3000:]
    assert_every_host(second, fleet, "in_progress", False)
    for tenant_id in fleet.tenant_ids():
        assert sync_statuses(sim, tenant_id) == [204, 409], tenant_id  # no new trigger
    assert second.stdout.count("changed=0") == TENANTS
    # Every request of the whole test got an answer (no resets, no 5xx under load).
    statuses = [e["status"] for e in sim.log()]
    assert all(status is not None and status < 500 for status in statuses)

    figures = {"first": first.figures, "second": second.figures, "requests": len(statuses),
               "sync_triggers": triggers}
    LAST_RUN.write_text(json.dumps(figures, indent=2) + "\n")
    print("\nfleet: %d tenants, forks %d: first run %.1fs (peak tree PSS %.0f MB, largest process %s MB), "
          "second run %.1fs (peak tree PSS %.0f MB); %d requests, %d sync triggers -> %s"
          % (TENANTS, FORKS, first.figures["wall_seconds"], first.figures["peak_tree_pss_mb"],
             first.figures["max_single_rss_mb"], second.figures["wall_seconds"],
             second.figures["peak_tree_pss_mb"], len(statuses), triggers, LAST_RUN.name))
