#!/usr/bin/env python
"""`make demo`: run the collection's main playbook (intune.autopilot.sync).

Against a real tenant when credentials are in the environment (AZURE_TENANT_ID
or AZURE_TENANT with a secret, certificate, federated token or managed
identity); otherwise against the Entra ID + Graph simulator, which this
script starts and stops.
"""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STATE_DIR = ROOT / ".tmp" / "demo-simulator"
CREDENTIAL_VARIABLES = ("AZURE_CLIENT_SECRET", "AZURE_SECRET", "AZURE_CLIENT_CERTIFICATE_PATH",
                        "AZURE_FEDERATED_TOKEN_FILE", "IDENTITY_ENDPOINT", "MSI_ENDPOINT")
# The simulator's documented demo tenant (tests/simulator/README.md).
DEMO_TENANT = {
    "AZURE_TENANT_ID": "8f4b2e1a-3c5d-4e6f-9a0b-1c2d3e4f5a6b",
    "AZURE_CLIENT_ID": "5e7d9c1b-2a3f-4b6c-8d9e-0f1a2b3c4d5e",
    "AZURE_CLIENT_SECRET": "demo-only-secret-not-for-production",
}


def real_tenant_configured(environ):
    return bool(environ.get("AZURE_TENANT_ID") or environ.get("AZURE_TENANT")) and any(
        environ.get(name) for name in CREDENTIAL_VARIABLES)


def playbook(extra_vars, env):
    command = [str(Path(sys.executable).parent / "ansible-playbook"), "intune.autopilot.sync"]
    # The demo's one host (localhost) is meant to reach the tenant of the AZURE_* environment.
    extra_vars = dict(extra_vars, intune_tenant_from_environment="true")
    for key, value in extra_vars.items():
        command += ["-e", "%s=%s" % (key, value)]
    env = dict(env, ANSIBLE_LOCALHOST_WARNING="false", ANSIBLE_INVENTORY_UNPARSED_WARNING="false")
    return subprocess.call(command, env=env)


def start_simulator():
    ready = STATE_DIR / "ready.json"
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "tests" / "simulator" / "server.py"), "--state-dir", str(STATE_DIR),
         "--sync-seconds", "20"], stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while not ready.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            sys.exit("The simulator did not start; run it by hand to see why: "
                     "python tests/simulator/server.py --state-dir .tmp/demo-simulator")
        time.sleep(0.1)
    return process, json.loads(ready.read_text())


def main():
    if real_tenant_configured(os.environ):
        print("Running against the real tenant named by AZURE_TENANT_ID / AZURE_TENANT.")
        return playbook({}, os.environ)
    print("No tenant credentials in the environment: running against the Entra ID + Graph simulator.")
    process, info = start_simulator()
    try:
        env = dict((k, v) for k, v in os.environ.items() if not k.startswith("AZURE_"))
        env.update(DEMO_TENANT)
        return playbook({"autopilot_authority_host": info["url"], "autopilot_graph_endpoint": info["url"],
                         "autopilot_ca_path": info["ca_path"]}, env)
    finally:
        process.terminate()
        process.wait(timeout=10)


if __name__ == "__main__":
    sys.exit(main())
