"""AWX / Automation Platform jobs, run through ansible-runner (the engine AWX uses).

The job environment holds exactly what an AWX credential injects, nothing
else: the built-in "Microsoft Azure Resource Manager" credential, and the
collection's custom credential type (docs/awx_credential_type.yml).
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import ansible_runner
import pytest
import yaml

from ansible_env import BIN, COLLECTIONS, FOREIGN_PREFIXES, ansible_environment
from helpers import documented_block

ROOT = Path(__file__).resolve().parents[2]

JOB = [{
    "name": "AWX job",
    "hosts": "localhost",
    "connection": "local",
    "gather_facts": False,
    # An AWX job template would not need these: they point the job at the simulator.
    "module_defaults": {"group/intune.autopilot.graph": {
        "authority_host": "{{ sim_url }}", "graph_endpoint": "{{ sim_url }}", "ca_path": "{{ sim_ca }}"}},
    "tasks": [
        {"name": "sync", "intune.autopilot.autopilot_sync": {}, "register": "sync"},
        {"name": "settings", "intune.autopilot.windows_autopilot_settings": {}, "register": "settings"},
    ],
}]


def run_job(tmp_path, sim, credential_env, monkeypatch):
    project = tmp_path / "project"
    project.mkdir(parents=True)
    (project / "job.yml").write_text(yaml.safe_dump(JOB, sort_keys=False))
    env = dict(credential_env)
    env.update({
        "ANSIBLE_COLLECTIONS_PATH": str(COLLECTIONS),
        "ANSIBLE_COLLECTIONS_SCAN_SYS_PATH": "false",
        "ANSIBLE_LOCALHOST_WARNING": "false",
        "ANSIBLE_INVENTORY_UNPARSED_WARNING": "false",
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
    })
    # Only the credential's variables may carry Azure settings into the job.
    for name in list(os.environ):
        if name.startswith(FOREIGN_PREFIXES):
            monkeypatch.delenv(name)
    monkeypatch.setenv("PATH", "%s:%s" % (BIN, os.environ.get("PATH", "")))
    runner = ansible_runner.run(
        private_data_dir=str(tmp_path), playbook="job.yml", envvars=env, quiet=True,
        extravars={"sim_url": sim.url, "sim_ca": sim.ca_path, "ansible_python_interpreter": sys.executable})
    results = {}
    for event in runner.events:
        data = event.get("event_data", {})
        if event.get("event") in ("runner_on_ok", "runner_on_failed"):
            results[data["task"]] = (event["event"], data["res"])
    return runner, results


def built_in_credential(tenant, **extra):
    """What AWX's Microsoft Azure Resource Manager credential injects."""
    env = {
        "AZURE_CLIENT_ID": tenant.client_id,
        "AZURE_TENANT": tenant.tenant_id,
        "AZURE_SECRET": tenant.secret,
        "AZURE_SUBSCRIPTION_ID": "2b3c4d5e-6f70-4182-93a4-b5c6d7e8f901",
    }
    env.update(extra)
    return env


@pytest.mark.parametrize("cloud", [None, "AzureCloud"], ids=["default-cloud", "AzureCloud"])
def test_built_in_azure_resource_manager_credential(tenant, tmp_path, monkeypatch, cloud):
    extra = {"AZURE_CLOUD_ENVIRONMENT": cloud} if cloud else {}
    runner, results = run_job(tmp_path, tenant.sim, built_in_credential(tenant, **extra), monkeypatch)

    assert runner.status == "successful", runner.stdout.read()
    assert results["sync"][0] == "runner_on_ok"
    assert results["sync"][1]["outcome"] == "triggered"
    assert results["settings"][1]["autopilot_settings"]["id"] == tenant.sim.get_settings(tenant.tenant_id)["id"]
    assert [e["status"] for e in tenant.requests("POST", "sync")] == [204]


def test_an_unknown_cloud_from_the_credential_is_named(tenant, tmp_path, monkeypatch):
    runner, results = run_job(tmp_path, tenant.sim, built_in_credential(tenant, AZURE_CLOUD_ENVIRONMENT="AzureGermanCloud"),
                              monkeypatch)

    assert runner.status == "failed"
    status, result = results["sync"]
    assert status == "runner_on_failed"
    assert "AZURE_CLOUD_ENVIRONMENT" in result["msg"] and "AzureGermanCloud" in result["msg"]
    assert tenant.log() == []


def test_username_password_only_credential_is_refused_clearly(tenant, tmp_path, monkeypatch):
    env = {"AZURE_AD_USER": "admin@contoso.onmicrosoft.com", "AZURE_PASSWORD": "hunter2-password",
           "AZURE_SUBSCRIPTION_ID": "2b3c4d5e-6f70-4182-93a4-b5c6d7e8f901"}
    runner, results = run_job(tmp_path, tenant.sim, env, monkeypatch)

    assert runner.status == "failed"
    msg = results["sync"][1]["msg"]
    assert "AZURE_AD_USER" in msg and "app registration" in msg
    assert "hunter2-password" not in runner.stdout.read()


def test_custom_credential_type_injectors(tenant, tmp_path, monkeypatch):
    """The collection's custom credential type, as AWX would inject it."""
    credential_type = yaml.safe_load((ROOT / "docs" / "awx_credential_type.yml").read_text())
    injected = credential_type["injectors"]["env"]
    inputs = {"tenant_id": tenant.tenant_id, "client_id": tenant.client_id, "client_secret": tenant.secret}
    # AWX injects every variable; those whose inputs are empty arrive as "".
    env = {name: _render(template, inputs) for name, template in injected.items()}
    assert {"AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET"} <= {k for k, v in env.items() if v}
    assert env["AZURE_CLIENT_CERTIFICATE_PATH"] == "" and env["AZURE_CLOUD_ENVIRONMENT"] == ""

    runner, results = run_job(tmp_path, tenant.sim, env, monkeypatch)
    assert runner.status == "successful", runner.stdout.read()
    assert results["sync"][1]["outcome"] == "triggered"


def _render(template, inputs):
    """AWX renders injectors with Jinja; ours are plain substitutions or empty."""
    for name, value in inputs.items():
        template = template.replace("{{ %s }}" % name, value)
    return "" if "{" in template else template


def test_the_documented_credential_type_playbook_reads_the_file_copied_beside_it(tmp_path):
    """awx.rst's playbook that creates the credential type, run as the page says: its file lookup finds
    docs/awx_credential_type.yml only once the file is copied beside the playbook."""
    play = yaml.safe_load(documented_block("awx.rst", "# create_credential_type.yml"))
    task = play[0]["tasks"][0]
    # AWX's own collection is not installed here: a debug task shows the arguments it would get.
    task["ansible.builtin.debug"] = {"msg": task.pop("awx.awx.credential_type")}
    playbook = tmp_path / "create_credential_type.yml"
    playbook.write_text(yaml.safe_dump(play, sort_keys=False))
    record = tmp_path / "results.jsonl"

    def run():
        return subprocess.run([str(BIN / "ansible-playbook"), str(playbook)], capture_output=True, text=True,
                              env=ansible_environment(RECORD_RESULTS_FILE=str(record)), check=False)

    missing = run()
    assert missing.returncode != 0
    assert "awx_credential_type.yml" in missing.stdout + missing.stderr

    shutil.copy(str(ROOT / "docs" / "awx_credential_type.yml"), str(tmp_path))
    copied = run()
    assert copied.returncode == 0, copied.stdout + copied.stderr
    shipped = yaml.safe_load((ROOT / "docs" / "awx_credential_type.yml").read_text())
    arguments = [json.loads(line) for line in record.read_text().splitlines()][-1]["result"]["msg"]
    expected = dict((key, shipped[key]) for key in ("name", "description", "kind", "inputs", "injectors"))
    assert arguments == dict(expected, state="present")
