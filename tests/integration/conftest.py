"""Integration fixtures: a simulator over real HTTPS and real ansible-playbook runs.

Every test gets its own simulated tenant, so tests never see each other's
state and can run in parallel workers.
"""

import json
import subprocess
import time

import pytest
import yaml

from ansible_env import BIN, COLLECTIONS, ansible_environment
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


class PlaybookRun:
    def __init__(self, process, results, elapsed):
        self.rc = process.returncode
        self.stdout = process.stdout
        self.stderr = process.stderr
        self.results = results
        self.elapsed = elapsed

    def result(self, task_name):
        """The (last) recorded result of the task with this name."""
        matches = [r for r in self.results if r["task"] == task_name]
        assert matches, "task %r has no result; rc=%s\n%s\n%s" % (task_name, self.rc, self.stdout, self.stderr)
        return matches[-1]


@pytest.fixture
def run_playbook(tmp_path):
    """Run tasks (a list of task dicts) in one play on localhost; return a PlaybookRun."""

    def run(tasks, module_defaults=None, check=False, env=None, extra_args=(), play_vars=None):
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
        environment = ansible_environment()
        environment["XDG_CACHE_HOME"] = str(tmp_path / "cache")  # this test's own caches
        environment["RECORD_RESULTS_FILE"] = str(record)
        environment.update(env or {})
        command = [str(BIN / "ansible-playbook"), str(playbook)] + list(extra_args)
        if check:
            command.append("--check")
        started = time.monotonic()
        process = subprocess.run(command, env=environment, capture_output=True, text=True, timeout=300,
                                 check=False)
        elapsed = time.monotonic() - started
        results = [json.loads(line) for line in record.read_text().splitlines()] if record.exists() else []
        return PlaybookRun(process, results, elapsed)

    return run
