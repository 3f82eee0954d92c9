"""Integration fixtures: a simulator over real HTTPS and real ansible-playbook runs.

Every test gets its own simulated tenant, so tests never see each other's
state and can run in parallel workers.
"""

import json
import shutil
import subprocess
import time

import pytest
import yaml

from ansible_env import BIN, COLLECTIONS, ansible_environment
from helpers import FORCE_MODULE
from simulator import Simulator


@pytest.fixture(scope="session")
def sim(tmp_path_factory):
    if not (COLLECTIONS / "ansible_collections" / "intune" / "autopilot" / "MANIFEST.json").exists():
        pytest.fail("The collection is not installed in %s: run the tests with `make test`." % COLLECTIONS)
    # Short sync so waits stay fast; the 10-minute window keeps its real length
    # and tests move the last trigger into the past instead.
    simulator = Simulator(tmp_path_factory.mktemp("sim"), sync_seconds=1.5)
    simulator.start()
    yield simulator
    simulator.stop()


class Tenant:
    """A fresh simulated tenant with one app registration using a client secret."""

    def __init__(self, sim, **tenant_options):
        self.sim = sim
        self.tenant_id = sim.add_tenant(**tenant_options)
        self.secret = "s3cret-%s" % self.tenant_id[:8]
        self.client_id = sim.add_app(self.tenant_id, secret=self.secret)

    @property
    def connection(self):
        """Connection options for module_defaults."""
        return {
            "tenant_id": self.tenant_id,
            "client_id": self.client_id,
            "client_secret": self.secret,
            "authority_host": self.sim.url,
            "graph_endpoint": self.sim.url,
            "ca_path": self.sim.ca_path,
        }

    def log(self, endpoint=None):
        return self.sim.log(tenant=self.tenant_id, endpoint=endpoint)

    def requests(self, method, endpoint):
        return [e for e in self.log(endpoint) if e["method"] == method]


@pytest.fixture
def tenant(sim):
    return Tenant(sim)


@pytest.fixture
def make_tenant(sim):
    return lambda **options: Tenant(sim, **options)


# The two doors onto the same core: the action plugin's in-process run (the
# default for a local connection) and the module, forced with the documented switch.
DOORS = ("in_process", "module")
COLLECTION_ACTIONS = ("windows_autopilot_settings", "autopilot_sync", "autopilot_device_info", "autopilot_device",
                      "autopilot_device_import")


class PlaybookRun:
    def __init__(self, process, results, elapsed, module_runs):
        self.rc = process.returncode
        self.stdout = process.stdout
        self.stderr = process.stderr
        self.results = results
        self.elapsed = elapsed
        self.module_runs = module_runs

    def result(self, task_name):
        """The (last) recorded result of the task with this name."""
        matches = [r for r in self.results if r["task"] == task_name]
        assert matches, "task %r has no result; rc=%s\n%s\n%s" % (task_name, self.rc, self.stdout, self.stderr)
        return matches[-1]

    def collection_results(self):
        return [r for r in self.results if r.get("action", "").rsplit(".", 1)[-1] in COLLECTION_ACTIONS
                and r["status"] != "skipped"]

    def assert_door(self, door):
        """The door that ran is the one asked for: seen by the module files Ansible left behind.

        ANSIBLE_KEEP_REMOTE_FILES keeps every AnsiballZ_<module>.py that a module run
        executed; the in-process door executes none.
        """
        if door == "in_process":
            assert self.module_runs == [], "a module ran on the in-process door: %s" % self.module_runs
        elif door == "module" and self.collection_results():
            assert self.module_runs, "no module ran on the module door\n%s" % self.stdout[-2000:]


def module_runs(remote_tmp):
    """The collection's modules that ran, one entry per execution (AnsiballZ files kept)."""
    names = ["AnsiballZ_%s.py" % name for name in COLLECTION_ACTIONS]
    return sorted(path.name for path in remote_tmp.rglob("AnsiballZ_*.py") if path.name in names)


def pytest_configure(config):
    config.addinivalue_line("markers", "in_process_only: run on the in-process door only, not also as the module")


def pytest_collection_modifyitems(config, items):
    """Tests marked in_process_only are not run again through the module door."""
    deselected = [item for item in items if item.get_closest_marker("in_process_only")
                  and getattr(item, "callspec", None) and item.callspec.params.get("door") == "module"]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = [item for item in items if item not in deselected]


@pytest.fixture(params=DOORS)
def door(request):
    """Which door the collection's tasks take."""
    return request.param


@pytest.fixture
def run_playbook(tmp_path, door):
    """Run tasks (a list of task dicts) in one play on localhost; return a PlaybookRun.

    Runs once per door (see ``door``); ``expect_door`` names the door a run must
    take when the test itself makes the choice (a remote connection, become...).
    """

    def run(tasks, module_defaults=None, check=False, env=None, extra_args=(), play_vars=None,
            expect_door=None):
        play = {"name": "integration", "hosts": "localhost", "gather_facts": False, "tasks": tasks}
        if module_defaults:
            play["module_defaults"] = {"group/intune.autopilot.graph": module_defaults}
        if play_vars:
            play["vars"] = play_vars
        playbook = tmp_path / "playbook.yml"
        playbook.write_text(yaml.safe_dump([play], sort_keys=False))
        record = tmp_path / "results.jsonl"
        if record.exists():
            record.unlink()
        remote_tmp = tmp_path / "remote_tmp"
        shutil.rmtree(str(remote_tmp), ignore_errors=True)
        environment = ansible_environment()
        environment["XDG_CACHE_HOME"] = str(tmp_path / "cache")  # this test's own caches
        environment["RECORD_RESULTS_FILE"] = str(record)
        environment["ANSIBLE_REMOTE_TMP"] = str(remote_tmp)
        environment["ANSIBLE_KEEP_REMOTE_FILES"] = "true"
        environment.update(env or {})
        command = [str(BIN / "ansible-playbook"), str(playbook)] + list(extra_args)
        if door == "module":
            command += FORCE_MODULE
        if check:
            command.append("--check")
        started = time.monotonic()
        process = subprocess.run(command, env=environment, capture_output=True, text=True, timeout=300,
                                 check=False)
        elapsed = time.monotonic() - started
        results = [json.loads(line) for line in record.read_text().splitlines()] if record.exists() else []
        playbook_run = PlaybookRun(process, results, elapsed, module_runs(remote_tmp))
        playbook_run.assert_door(expect_door or door)
        return playbook_run

    return run
