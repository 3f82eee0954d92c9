#!/usr/bin/env python
"""`make demo`: run the collection's main playbook (intune.autopilot.sync).

Against a real tenant when credentials are in the environment (AZURE_TENANT_ID
or AZURE_TENANT with a secret, certificate, federated token or managed
identity); otherwise against the Entra ID + Graph simulator, which this
script starts and stops.
"""

import os
import subprocess
import sys
from pathlib import Path

from run_simulator import DEMO_TENANT, start_simulator

ROOT = Path(__file__).resolve().parents[1]
STATE_DIR = ROOT / ".tmp" / "demo-simulator"
CREDENTIAL_VARIABLES = ("AZURE_CLIENT_SECRET", "AZURE_SECRET", "AZURE_CLIENT_CERTIFICATE_PATH",
                        "AZURE_FEDERATED_TOKEN_FILE", "IDENTITY_ENDPOINT", "MSI_ENDPOINT")


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


def main():
    if real_tenant_configured(os.environ):
        graph = os.environ.get("INTUNE_AUTOPILOT_GRAPH_ENDPOINT")
        print("Running against the tenant named by AZURE_TENANT_ID / AZURE_TENANT%s."
              % (", Graph at %s (INTUNE_AUTOPILOT_GRAPH_ENDPOINT)" % graph if graph else ""))
        return playbook({}, os.environ)
    print("No tenant credentials in the environment: running against the Entra ID + Graph simulator.")
    process, info = start_simulator(STATE_DIR, ["--sync-seconds", "20"])
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
