"""The ansible-* commands the tests run are the release under test, with the collection under test.

`make test-matrix` runs the smoke tests once per ansible-core release, each leg from its own venv
and collections path, and names the release in MATRIX_ANSIBLE_CORE; this proves the leg really ran
that release and not whatever ansible-playbook came first on PATH.
"""

import json
import os
import re
import subprocess

import pytest
from ansible.release import __version__ as imported_version

from ansible_env import BIN, COLLECTIONS, ansible_environment


def run(*command):
    process = subprocess.run([str(BIN / command[0])] + list(command[1:]), env=ansible_environment(),
                             capture_output=True, text=True, timeout=120, check=False)
    assert process.returncode == 0, process.stdout + process.stderr
    return process.stdout


@pytest.mark.smoke
def test_the_commands_are_the_release_under_test():
    for command in ("ansible", "ansible-playbook", "ansible-galaxy"):
        reported = re.match(r"\S+ \[core ([^\]]+)\]", run(command, "--version")).group(1)
        assert reported == imported_version, command
    wanted = os.environ.get("MATRIX_ANSIBLE_CORE")
    if wanted:
        assert imported_version.startswith(wanted + "."), (imported_version, wanted)


@pytest.mark.smoke
def test_the_collection_comes_from_the_collections_path_under_test():
    listed = json.loads(run("ansible-galaxy", "collection", "list", "intune.autopilot", "--format", "json"))
    assert list(listed) == [str(COLLECTIONS / "ansible_collections")]
    assert list(listed[str(COLLECTIONS / "ansible_collections")]) == ["intune.autopilot"]
