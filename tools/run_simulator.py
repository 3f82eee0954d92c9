#!/usr/bin/env python
"""`make simulator`: the Entra ID + Graph simulator for your own playbooks, in the foreground.

Starts tests/simulator/server.py with its demo tenant, writes everything a playbook needs as
shell `export` lines to <state dir>/env, prints how to use them, and runs until Ctrl-C (or
SIGTERM), which stops the simulator and removes the env file. The modules read every one of these
variables themselves (AZURE_* for the credentials and the login host, INTUNE_AUTOPILOT_GRAPH_ENDPOINT
and INTUNE_AUTOPILOT_CA_PATH for Graph and its CA), so any playbook runs against the simulator
unedited. The port changes on every start: source the env file again after a restart.
"""

import argparse
import json
import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from simulator.config import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_DOMAIN, DEMO_TENANT_ID  # noqa: E402

SERVER = ROOT / "tests" / "simulator" / "server.py"
DEFAULT_STATE_DIR = ROOT / ".tmp" / "simulator"
# The simulator's documented demo tenant (tests/simulator/README.md), as the modules read it.
DEMO_TENANT = {
    "AZURE_TENANT_ID": DEMO_TENANT_ID,
    "AZURE_CLIENT_ID": DEMO_CLIENT_ID,
    "AZURE_CLIENT_SECRET": DEMO_CLIENT_SECRET,
}
# Other credential and cloud variables the modules read: left set, they would mix a real
# credential or cloud into the simulator's demo tenant (a certificate next to the secret is
# ambiguous, another cloud's token audience is refused).
UNSET = ("AZURE_TENANT", "AZURE_SECRET", "AZURE_CLIENT_CERTIFICATE_PATH", "AZURE_CLIENT_CERTIFICATE_PASSWORD",
         "AZURE_FEDERATED_TOKEN_FILE", "AZURE_CLOUD_ENVIRONMENT")
START_TIMEOUT = 30


def start_simulator(state_dir, server_args=(), stdout=subprocess.DEVNULL):
    """Start server.py with its demo tenant; return (process, the ready.json it wrote)."""
    ready = Path(state_dir) / "ready.json"
    process = subprocess.Popen([sys.executable, str(SERVER), "--state-dir", str(state_dir)] + list(server_args),
                               stdout=stdout)
    deadline = time.monotonic() + START_TIMEOUT
    try:
        while not ready.exists():
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("The simulator did not start; run it by hand to see why: %s %s --state-dir %s"
                                 % (sys.executable, SERVER.relative_to(ROOT), state_dir))
            time.sleep(0.1)
        return process, json.loads(ready.read_text())
    except BaseException:  # including Ctrl-C while it starts: never leave it running
        process.kill()
        process.wait()
        raise


def playbook_environment(info, collections_path):
    """The variables that aim ansible-playbook and ansible at the running simulator."""
    variables = dict(DEMO_TENANT)
    variables.update({
        "AZURE_AUTHORITY_HOST": info["url"],
        "INTUNE_AUTOPILOT_GRAPH_ENDPOINT": info["url"],
        "INTUNE_AUTOPILOT_CA_PATH": info["ca_path"],
        "ANSIBLE_COLLECTIONS_PATH": str(collections_path),
    })
    return variables


def env_file_text(info, variables, bin_dir):
    lines = ["# intune.autopilot simulator at %s (pid %s), by tools/run_simulator.py." % (info["url"], info["pid"]),
             "# Valid while it runs: source this file again after every start (the port changes).",
             "unset %s" % " ".join(UNSET)]
    lines += ["export %s=%s" % (name, shlex.quote(value)) for name, value in variables.items()]
    # The project's ansible-core, msal and requests first: the ones the collection was tested with.
    lines.append('export PATH=%s:"$PATH"' % shlex.quote(str(bin_dir)))
    return "\n".join(lines) + "\n"


def write_atomically(path, text):
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(text)
    os.replace(str(temporary), str(path))


def instructions(info, env_file, env_text, collections_path):
    installed = (Path(collections_path) / "ansible_collections" / "intune" / "autopilot" / "MANIFEST.json").exists()
    lines = ["The Entra ID + Graph simulator runs at %s, with the demo tenant %s (%s)."
             % (info["url"], DEMO_DOMAIN, DEMO_TENANT_ID),
             "Everything a playbook needs, written to %s:" % env_file, "", env_text,
             "In another shell, aim any playbook or ad hoc command at it, unedited:", "",
             "    source %s" % shlex.quote(str(env_file)),
             "    ansible-playbook your-playbook.yml",
             "    ansible localhost -m intune.autopilot.windows_autopilot_settings", ""]
    if not installed:
        lines.append("The collection is not installed in %s yet: run `make collection`." % collections_path)
    lines.append("Ctrl-C stops the simulator (and removes %s)." % env_file.name)
    return "\n".join(lines)


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--state-dir", type=Path, default=DEFAULT_STATE_DIR,
                        help="where the simulator keeps its CA, ready.json and the env file (default: .tmp/simulator)")
    parser.add_argument("--port", type=int, default=0, help="HTTPS port (default: a free one)")
    parser.add_argument("--sync-seconds", type=float, default=30, help="how long a triggered sync runs")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    state_dir = args.state_dir.resolve()
    state_dir.mkdir(parents=True, exist_ok=True)
    env_file = state_dir / "env"
    if env_file.exists():
        env_file.unlink()  # a stale file must not aim playbooks at a simulator that is gone
    # Ctrl-C and SIGTERM end the run through the finally below, without a traceback (and SIGINT
    # even where the starting shell ignored it, as it does for a job started with &).
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: sys.exit(0))
    process, info = start_simulator(state_dir, ["--port", str(args.port), "--sync-seconds", str(args.sync_seconds)])
    try:
        collections_path = os.environ.get("ANSIBLE_COLLECTIONS_PATH") or str(ROOT / ".tmp" / "collections")
        env_text = env_file_text(info, playbook_environment(info, collections_path), Path(sys.executable).parent)
        write_atomically(env_file, env_text)
        print(instructions(info, env_file, env_text, collections_path), flush=True)
        return process.wait()
    finally:
        if env_file.exists():
            env_file.unlink()
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=10)
        print("The simulator stopped.", flush=True)


if __name__ == "__main__":
    sys.exit(main())
