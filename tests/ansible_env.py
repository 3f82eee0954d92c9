"""Where the installed collection is, and the environment every ansible-* run of the tests gets."""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COLLECTIONS = Path(os.environ.get("ANSIBLE_COLLECTIONS_PATH", ROOT / ".tmp" / "collections"))
CALLBACKS = ROOT / "tests" / "integration" / "callback_plugins"
BIN = Path(sys.executable).parent
# Variables of the test runner's own shell that must not reach a run under test: real Azure
# credentials, Ansible settings, and the collection's own (a shell that sourced
# .tmp/simulator/env has INTUNE_AUTOPILOT_GRAPH_ENDPOINT, say).
FOREIGN_PREFIXES = ("AZURE_", "IDENTITY_", "MSI_", "ANSIBLE_", "INTUNE_AUTOPILOT_")


def ansible_environment(**extra):
    """This process's environment without real Azure credentials, Ansible or collection settings,
    pointed at the installed collection, recording results with the test callback."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(FOREIGN_PREFIXES)}
    env.update({
        "PATH": "%s:%s" % (BIN, env.get("PATH", "")),
        "ANSIBLE_COLLECTIONS_PATH": str(COLLECTIONS),
        "ANSIBLE_COLLECTIONS_SCAN_SYS_PATH": "false",
        "ANSIBLE_CALLBACK_PLUGINS": str(CALLBACKS),
        "ANSIBLE_CALLBACKS_ENABLED": "record_results",
        "ANSIBLE_LOCALHOST_WARNING": "false",
        "ANSIBLE_INVENTORY_UNPARSED_WARNING": "false",
        "ANSIBLE_NOCOLOR": "true",
        "ANSIBLE_RETRY_FILES_ENABLED": "false",
    })
    env.update(extra)
    return env
