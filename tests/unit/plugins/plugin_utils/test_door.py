# -*- coding: utf-8 -*-
"""Which door a task takes (pure logic; the integration tests run both doors for real)."""

import pytest

from ansible_collections.intune.autopilot.plugins.plugin_utils._door import interpreter_setting, module_path_reason

LOCAL = dict(connection="local", async_val=0, become=False, in_process_allowed=True, libraries_missing=[],
             task_environment={}, environ={"HOME": "/root"})


def reason(**changes):
    return module_path_reason(**dict(LOCAL, **changes))


@pytest.mark.parametrize("connection", ["local", "ansible.builtin.local", "ansible.legacy.local"])
def test_a_plain_local_task_runs_in_the_controller(connection):
    assert reason(connection=connection) is None


@pytest.mark.parametrize("changes, words", [
    (dict(in_process_allowed=False), "intune_autopilot_in_process is false"),
    (dict(connection="ssh"), "connection ssh is not local"),
    (dict(connection="ansible.netcommon.httpapi"), "not local"),
    (dict(async_val=30), "async"),
    (dict(become=True), "become"),
    (dict(libraries_missing=["msal"]), "msal cannot be imported by the controller's Python"),
    (dict(task_environment={"HTTPS_PROXY": "http://proxy:3128"}), "HTTPS_PROXY"),
    (dict(task_environment={"REQUESTS_CA_BUNDLE": "/etc/ca.pem", "IDENTITY_ENDPOINT": "http://x"}),
     "IDENTITY_ENDPOINT, REQUESTS_CA_BUNDLE"),
])
def test_these_tasks_go_to_the_module(changes, words):
    assert words in reason(**changes)


def test_the_environment_may_carry_what_only_the_core_reads():
    """Credentials, cloud and cache settings reach the core through its environ argument."""
    names = ["AZURE_TENANT_ID", "AZURE_TENANT", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET", "AZURE_SECRET",
             "AZURE_CLIENT_CERTIFICATE_PATH", "AZURE_CLIENT_CERTIFICATE_PASSWORD", "AZURE_FEDERATED_TOKEN_FILE",
             "AZURE_AUTHORITY_HOST", "AZURE_CLOUD_ENVIRONMENT", "INTUNE_AUTOPILOT_TOKEN_CACHE",
             "INTUNE_AUTOPILOT_CACHE_PATH", "INTUNE_AUTOPILOT_GRAPH_ENDPOINT", "INTUNE_AUTOPILOT_CA_PATH",
             "XDG_CACHE_HOME", "AZURE_AD_USER", "AZURE_PASSWORD"]
    assert reason(task_environment=dict((name, "x") for name in names)) is None


def test_a_variable_set_to_the_value_the_controller_has_changes_nothing():
    assert reason(task_environment={"HOME": "/root"}) is None
    assert "HOME" in reason(task_environment={"HOME": "/elsewhere"})


@pytest.fixture
def pythons(tmp_path):
    """A venv-like layout: venv/bin/python3 -> the base interpreter, venv/bin/python -> python3,
    and a second venv linking to the same base file."""
    base = tmp_path / "base" / "bin" / "python3.11"
    base.parent.mkdir(parents=True)
    base.write_text("#!/bin/sh\n")
    base.chmod(0o755)
    layout = {"base": base}
    for venv in ("venv", "other"):
        bin_dir = tmp_path / venv / "bin"
        bin_dir.mkdir(parents=True)
        (bin_dir / "python3").symlink_to(base)
        (bin_dir / "python").symlink_to("python3")
        layout[venv] = bin_dir
    return layout


def test_the_controllers_own_python_under_another_name_of_its_bin_directory_runs_in_the_controller(pythons):
    own = str(pythons["venv"] / "python3")
    for interpreter in (own, str(pythons["venv"] / "python"), str(pythons["venv"] / ".." / "bin" / "python")):
        assert reason(interpreter=interpreter, own_python=own) is None, interpreter


@pytest.mark.parametrize("interpreter", [None, "", "auto", "auto_silent", "auto_legacy", "auto_legacy_silent"])
def test_an_unset_or_discovered_interpreter_runs_in_the_controller(pythons, interpreter):
    assert reason(interpreter=interpreter, own_python=str(pythons["venv"] / "python3")) is None


@pytest.mark.parametrize("which", ["base", "other venv", "missing", "with arguments"])
def test_another_python_runs_the_module_and_says_which(pythons, which):
    """The base interpreter and another venv are the same file as the controller's python, elsewhere."""
    own = str(pythons["venv"] / "python3")
    interpreter = {"base": str(pythons["base"]), "other venv": str(pythons["other"] / "python3"),
                   "missing": str(pythons["venv"] / "python2"), "with arguments": "/usr/bin/env python3"}[which]

    assert reason(interpreter=interpreter, own_python=own) == (
        "ansible_python_interpreter %s is not the controller's own Python (%s)" % (interpreter, own))


def test_a_bare_interpreter_name_is_found_on_path_as_the_shell_finds_it(pythons, monkeypatch):
    own = str(pythons["venv"] / "python3")
    monkeypatch.setenv("PATH", str(pythons["venv"]))
    assert reason(interpreter="python", own_python=own) is None
    monkeypatch.setenv("PATH", str(pythons["other"]))
    assert "python is not the controller's own Python" in reason(interpreter="python", own_python=own)


def test_the_message_names_where_the_interpreter_was_set(pythons):
    assert reason(interpreter=str(pythons["base"]), own_python=str(pythons["venv"] / "python3"),
                  interpreter_setting="ANSIBLE_PYTHON_INTERPRETER").startswith("ANSIBLE_PYTHON_INTERPRETER /")


def test_another_python_wins_over_missing_libraries(pythons):
    """The module door is taken for the interpreter: the controller's libraries do not matter then."""
    assert "not the controller's own Python" in reason(
        interpreter=str(pythons["base"]), own_python=str(pythons["venv"] / "python3"), libraries_missing=["msal"])


@pytest.mark.parametrize("origin, setting", [
    ("var: ansible_python_interpreter", "ansible_python_interpreter"),
    ("env: ANSIBLE_PYTHON_INTERPRETER", "ANSIBLE_PYTHON_INTERPRETER"),
    ("/etc/ansible/ansible.cfg", "interpreter_python in /etc/ansible/ansible.cfg"),
])
def test_where_the_interpreter_was_set_is_named_as_the_user_set_it(origin, setting):
    assert interpreter_setting(origin) == setting
