"""The recipe for aiming your own playbook at the simulator: `make simulator`, then `source` its env file.

The simulator is started the documented way (tools/run_simulator.py, the script `make simulator`
runs), its env file is sourced by bash, and the playbook is the modules' documented EXAMPLES that
take their credentials from the environment, as `ansible-doc` shows them, with nothing edited.
"""

import json
import subprocess
import sys
import time
from functools import lru_cache

import pytest
import requests
import yaml

from ansible_env import BIN, ROOT, ansible_environment
from simulator.config import DEMO_TENANT_ID

RUN_SIMULATOR = ROOT / "tools" / "run_simulator.py"
FROM_THE_ENVIRONMENT = "(credentials from AZURE_* environment variables)"
# A shell with a real tenant's leftovers: the env file must unset them, or they would mix in.
LEFTOVERS = {"AZURE_SECRET": "a-real-secret", "AZURE_CLIENT_CERTIFICATE_PATH": "/etc/pki/real.pem",
             "AZURE_CLOUD_ENVIRONMENT": "AzureUSGovernment"}
SHELL_ONLY = ("PWD", "OLDPWD", "SHLVL", "_")


@lru_cache(maxsize=None)
def documented_examples(module):
    """The module's EXAMPLES as `ansible-doc` shows them to a user."""
    process = subprocess.run([str(BIN / "ansible-doc"), "--json", module], env=ansible_environment(),
                             capture_output=True, text=True, timeout=120, check=True)
    return json.loads(process.stdout)[module]["examples"]


def example_from_the_environment(module):
    """The example task that takes its credentials from the environment and the ansible.builtin
    tasks after it that use its result, verbatim."""
    tasks = yaml.safe_load(documented_examples(module))
    start = next(i for i, task in enumerate(tasks) if task.get("name", "").endswith(FROM_THE_ENVIRONMENT))
    example = [tasks[start]]
    for task in tasks[start + 1:]:
        if not any(key.startswith("ansible.builtin.") for key in task):
            break
        example.append(task)
    return example


def sourced(env_file):
    """The environment of a shell with LEFTOVERS after `source env_file`."""
    shell = ansible_environment(**LEFTOVERS)
    process = subprocess.run(["bash", "-c", 'source "$1" && env -0', "bash", str(env_file)], env=shell,
                             capture_output=True, text=True, timeout=30, check=True)
    entries = (entry.split("=", 1) for entry in process.stdout.split("\0") if entry)
    return {name: value for name, value in entries if name not in SHELL_ONLY}


@pytest.fixture
def make_simulator(tmp_path):
    """tools/run_simulator.py in the foreground, as `make simulator` runs it; yields its state dir."""
    state = tmp_path / "simulator"
    process = subprocess.Popen([sys.executable, str(RUN_SIMULATOR), "--state-dir", str(state)],
                               env=ansible_environment(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True)
    deadline = time.monotonic() + 30
    while not (state / "env").exists():
        assert process.poll() is None and time.monotonic() < deadline, process.communicate()[0]
        time.sleep(0.1)
    yield state
    process.terminate()  # Ctrl-C's counterpart: the script handles SIGTERM and SIGINT alike
    output = process.communicate(timeout=20)[0]
    assert process.returncode == 0, output
    assert "source %s" % (state / "env") in output
    assert not (state / "env").exists(), "stopping must remove the env file"


def simulator_log(state):
    """The requests the simulator answered for the demo tenant (its control API)."""
    ready = json.loads((state / "ready.json").read_text())
    answer = requests.get(ready["url"] + "/_sim/log", params={"tenant": DEMO_TENANT_ID}, verify=ready["ca_path"],
                          timeout=10)
    answer.raise_for_status()
    return [(entry["method"], entry["endpoint"], entry["status"]) for entry in answer.json()["entries"]]


def test_documented_examples_run_unedited_against_make_simulator(make_simulator, run_playbook):
    settings_example = example_from_the_environment("intune.autopilot.windows_autopilot_settings")
    sync_example = example_from_the_environment("intune.autopilot.autopilot_sync")
    # The read with its debug and assert; the sync with its debug.
    assert [len(settings_example), len(sync_example)] == [3, 2]
    environment = sourced(make_simulator / "env")
    for name in LEFTOVERS:
        assert name not in environment, name
    assert environment["INTUNE_AUTOPILOT_GRAPH_ENDPOINT"].startswith("https://127.0.0.1:")

    run = run_playbook(settings_example + sync_example, env=environment)

    assert run.rc == 0, run.stdout[-3000:] + run.stderr[-2000:]
    read = run.result(settings_example[0]["name"])["result"]
    sync = run.result(sync_example[0]["name"])["result"]
    assert read["tenant_id"] == sync["tenant_id"] == DEMO_TENANT_ID
    assert read["sync_status"] == "completed" and sync["outcome"] == "triggered"
    assert run.result(settings_example[-1]["name"])["status"] == "ok"  # the example's own assert passed
    graph = [call for call in simulator_log(make_simulator) if call[1] in ("settings", "sync")]
    assert graph == [("GET", "settings", 200), ("POST", "sync", 204)]
