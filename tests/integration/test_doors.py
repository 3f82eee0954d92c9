"""The two doors onto one core: the same task gives the same result in the controller and as a module.

Each parity test runs every task twice in one playbook, once on the default
in-process door and once forced onto the module with the documented switch
(the task variable ``intune_autopilot_in_process: false``), and compares the
two results without the fields that differ between any two runs (request ids,
dates). The module files Ansible keeps (ANSIBLE_KEEP_REMOTE_FILES) show which
door ran.
"""

import re
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from ansible_env import BIN

SETTINGS = "intune.autopilot.windows_autopilot_settings"
SYNC = "intune.autopilot.autopilot_sync"
# Differ between any two runs, whichever the door.
PER_RUN = ("request_id", "client_request_id", "date", "correlation_id", "trace_id", "timestamp")
# Measured per run: Graph's Date has one-second resolution, so two runs may differ by a second.
PER_RUN_RESULT = ("graph_clock_offset",)
# Ansible's own bookkeeping, not the module's result.
pytestmark = pytest.mark.in_process_only


def both_doors(task):
    """The task twice: ``<name> in_process`` and ``<name> module``."""
    name = task.pop("name")
    in_process = dict(task, name=name + " in_process")
    module = dict(task, name=name + " module", vars=dict(task.get("vars", {}), intune_autopilot_in_process=False))
    return [in_process, module]


def comparable(result):
    result = {k: v for k, v in result.items() if not k.startswith("_ansible") and k not in PER_RUN_RESULT}
    if isinstance(result.get("error"), dict):
        result["error"] = {k: v for k, v in result["error"].items() if k not in PER_RUN}
    return result


def run_both(run_playbook, tasks, **kwargs):
    doubled = [t for task in tasks for t in both_doors(dict(task, ignore_errors=True))]
    run = run_playbook(doubled, expect_door="mixed", **kwargs)
    assert len(run.module_runs) == len(tasks), run.module_runs  # one module run per task, on the module door only
    return run


def assert_parity(run, name):
    in_process, module = run.result(name + " in_process"), run.result(name + " module")
    assert in_process["status"] == module["status"], (in_process, module)
    assert comparable(in_process["result"]) == comparable(module["result"])
    return in_process


def test_reads_checks_and_failures_are_the_same_on_both_doors(tenant, run_playbook, tmp_path):
    missing_certificate = str(tmp_path / "missing.pem")
    tasks = [
        {"name": "read", SETTINGS: {}},
        {"name": "sync predicted", SYNC: {"skip_if_synced_within": 60}, "check_mode": True},
        {"name": "bad choice", SYNC: {"if_throttled": "later"}},
        {"name": "bad type", SYNC: {"wait_timeout": "soon"}},
        {"name": "unknown option", SETTINGS: {"tenant": "x"}},
        {"name": "own rule", SYNC: {"poll_interval": 0}},
        {"name": "connection rule",
         SETTINGS: {"client_certificate_path": missing_certificate, "client_secret": None,
                    "auth_method": "client_certificate"}},
        {"name": "wrong secret", SETTINGS: {"client_secret": "not-the-secret"}},
        {"name": "no certificate check", SETTINGS: {"validate_certs": False}},
    ]
    run = run_both(run_playbook, tasks, module_defaults=tenant.connection)

    read = assert_parity(run, "read")
    assert read["status"] == "ok" and read["result"]["autopilot_settings"]["id"]
    # Validation notes only what the options give it cause to (the collection has no alias, nothing deprecated).
    assert "warnings" not in read["result"] and "deprecations" not in read["result"], read["result"]
    predicted = assert_parity(run, "sync predicted")
    assert predicted["result"]["outcome"] == "triggered" and predicted["result"]["changed"] is True
    assert tenant.requests("POST", "sync") == []  # check mode on both doors
    for name, words in (("bad choice", "if_throttled"), ("bad type", "wait_timeout"),
                        ("unknown option", "Unsupported parameters"), ("own rule", "poll_interval"),
                        ("connection rule", "client_certificate_path"), ("wrong secret", "client secret")):
        failed = assert_parity(run, name)
        assert failed["status"] == "failed" and words in failed["result"]["msg"], (name, failed["result"]["msg"])
    insecure = assert_parity(run, "no certificate check")
    assert any("validate_certs=false" in w for w in insecure["result"]["warnings"])
    # Secrets are masked alike in the invocation both doors report.
    assert read["result"]["invocation"]["module_args"]["client_secret"] == "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"


def test_environment_keyword_feeds_the_fallbacks_on_both_doors(tenant, run_playbook):
    """Credentials from the task's ``environment:`` (as AWX or a play would set them), not from options."""
    connection = {k: v for k, v in tenant.connection.items() if k not in ("tenant_id", "client_id", "client_secret")}
    environment = {"AZURE_TENANT": tenant.tenant_id, "AZURE_CLIENT_ID": tenant.client_id,
                   "AZURE_SECRET": tenant.secret, "AZURE_CLIENT_SECRET": ""}
    run = run_both(run_playbook, [{"name": "read", SETTINGS: {}, "environment": environment}],
                   module_defaults=connection)

    read = assert_parity(run, "read")
    assert read["status"] == "ok", read
    assert read["result"]["invocation"]["module_args"]["tenant_id"] == tenant.tenant_id
    assert [e["status"] for e in tenant.log("token")] == [200, 200]


def test_a_sync_gives_the_same_result_on_both_doors(make_tenant, run_playbook):
    """Two tenants in the same state, one synced through each door."""
    tenants = [make_tenant(sync_seconds=60), make_tenant(sync_seconds=60)]
    tasks = []
    for tenant, in_process in zip(tenants, (True, False)):
        tasks.append({"name": "sync %s" % ("in_process" if in_process else "module"), SYNC: {},
                      "module_defaults": {"group/intune.autopilot.graph": tenant.connection},
                      "vars": {"intune_autopilot_in_process": in_process}})
    run = run_playbook(tasks, expect_door="mixed")

    assert run.module_runs == ["AnsiballZ_autopilot_sync.py"]
    in_process, module = run.result("sync in_process")["result"], run.result("sync module")["result"]
    assert in_process["outcome"] == module["outcome"] == "triggered"
    # Two tenants: the invocations differ in their ids only.
    assert set(in_process.pop("invocation")["module_args"]) == set(module.pop("invocation")["module_args"])
    for result, tenant in zip((in_process, module), tenants):
        assert result.pop("tenant") == result.pop("tenant_id") == tenant.tenant_id
    assert comparable(in_process) == comparable(module)
    assert [len(t.requests("POST", "sync")) for t in tenants] == [1, 1]


@pytest.mark.parametrize("why, task", [
    ("async", {"async": 60, "poll": 1}),
    ("an environment variable requests reads", {"environment": {"HTTPS_PROXY": ""}}),
    ("the switch as a play variable", {}),
])
def test_these_tasks_go_to_the_module(tenant, run_playbook, why, task):
    play_vars = {"intune_autopilot_in_process": "{{ 'no' }}"} if why.startswith("the switch") else None
    run = run_playbook([dict(task, name="read", **{SETTINGS: {}})], module_defaults=tenant.connection,
                       play_vars=play_vars, expect_door="module", extra_args=["-vvv"])

    assert run.result("read")["status"] == "ok", run.stdout[-3000:]
    assert "runs as a module" in run.stdout


def test_the_in_process_door_says_so_at_vvv(tenant, run_playbook):
    run = run_playbook([{"name": "read", SETTINGS: {}}], module_defaults=tenant.connection, extra_args=["-vvv"])

    assert run.result("read")["status"] == "ok"
    assert "intune.autopilot.windows_autopilot_settings runs in the controller" in run.stdout


def test_a_python_without_the_libraries_is_named_with_its_pip_command(tenant, run_playbook, tmp_path):
    """The module door in an interpreter that lacks requests: the message names it and how to install."""
    bare = tmp_path / "bare"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(bare)], check=True, timeout=120)
    python = bare / "bin" / "python"
    task = {"name": "read", SETTINGS: {},
            "vars": {"ansible_python_interpreter": str(python), "intune_autopilot_in_process": False}}
    run = run_playbook([task], module_defaults=tenant.connection, expect_door="module")

    failed = run.result("read")
    assert failed["status"] == "failed"
    assert "Failed to import the required Python library (requests)" in failed["result"]["msg"]
    assert "%s -m pip install requests" % python in failed["result"]["msg"]
    assert tenant.log() == []  # nothing was sent


def task_output(stdout, name):
    """What ansible-playbook printed for the task ``name`` (up to the next task or the recap)."""
    section = stdout.split("TASK [%s]" % name, 1)[1]
    return re.split(r"\n(?:TASK \[|PLAY RECAP)", section, 1)[0]


def make_venv(path, with_controller_libraries):
    """A venv of this Python's base interpreter: its python is the same file as ours, in another bin."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(path)], check=True, timeout=120)
    if with_controller_libraries:  # requests, msal and cryptography through a .pth, as from a system install
        site = subprocess.run([str(path / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                              check=True, capture_output=True, text=True, timeout=60).stdout.strip()
        Path(site, "controller.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return path / "bin" / "python"


@pytest.mark.smoke  # the interpreter setting is read and templated as each ansible-core release does
def test_the_hosts_python_interpreter_decides_the_door(tenant, run_playbook, tmp_path):
    """The controller's own Python (by any name of its bin directory, or {{ ansible_playbook_python }}),
    an unset or discovered interpreter: in the controller. Another Python, even one that links to the same
    file as ours: the module, run by that interpreter."""
    playbook_python = (BIN / "ansible-playbook").read_text().splitlines()[0][2:]
    sibling = next(str(BIN / name) for name in ("python", "python3") if str(BIN / name) != playbook_python)
    other = str(make_venv(tmp_path / "other", with_controller_libraries=True))
    bare = str(make_venv(tmp_path / "bare", with_controller_libraries=False))
    # localhost of an inventory, not the implicit one (which sets ansible_python_interpreter itself).
    inventory = tmp_path / "hosts.ini"
    inventory.write_text("localhost ansible_connection=local\n")
    interpreters = {"unset": None, "discovered": "auto_silent", "playbook python": "{{ ansible_playbook_python }}",
                    "sibling": sibling, "other venv": other, "bare venv": bare}
    tasks = [dict({"name": name, SETTINGS: {}, "ignore_errors": True},
                  **({"vars": {"ansible_python_interpreter": value}} if value else {}))
             for name, value in interpreters.items()]
    run = run_playbook(tasks, module_defaults=tenant.connection, expect_door="mixed",
                       extra_args=["-i", str(inventory), "-vvv"])

    for name in ("unset", "discovered", "playbook python", "sibling"):
        assert run.result(name)["status"] == "ok", run.result(name)
        assert "%s runs in the controller" % SETTINGS in task_output(run.stdout, name), name
    assert run.module_runs == ["AnsiballZ_windows_autopilot_settings.py"] * 2
    for name, python in (("other venv", other), ("bare venv", bare)):
        printed = task_output(run.stdout, name)
        assert ("%s runs as a module: ansible_python_interpreter %s is not the controller's own Python (%s)"
                % (SETTINGS, python, playbook_python)) in printed, printed
        assert re.search(r"EXEC /bin/sh -c '%s \S+AnsiballZ_windows_autopilot_settings\.py" % re.escape(python),
                         printed), printed
    assert run.result("other venv")["status"] == "ok", run.result("other venv")
    failed = run.result("bare venv")["result"]["msg"]
    assert "Failed to import the required Python library" in failed and "%s -m pip install" % bare in failed, failed
    assert len(tenant.log("settings")) == 5  # every task but the bare venv's read the settings
