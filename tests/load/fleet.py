"""A fleet of simulated tenants and one ansible-playbook run over all of them.

Used by test_fleet.py; also runnable on its own for a quick figure:

    .venv/bin/python tests/load/fleet.py --tenants 200 --forks 50

One inventory host per tenant (``ansible_connection: local``), credentials in
host variables, as the autopilot_sync documentation recommends for MSPs. The
run's wall time and memory are measured from outside: the peak of the summed
proportional set size (PSS) of the whole ansible-playbook process tree,
sampled, and the largest single process's maximum RSS (GNU time's figure).
"""

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/, also when run as a script
from ansible_env import BIN, ansible_environment  # noqa: E402 pylint: disable=wrong-import-position


PLAYBOOK = [{
    "name": "Autopilot sync across the fleet",
    "hosts": "tenants",
    "gather_facts": False,
    "module_defaults": {"group/intune.autopilot.graph": {
        "tenant_id": "{{ intune_tenant_id }}",
        "client_id": "{{ intune_client_id }}",
        "client_secret": "{{ intune_client_secret }}",
        "authority_host": "{{ intune_endpoint }}",
        "graph_endpoint": "{{ intune_endpoint }}",
        "ca_path": "{{ intune_ca_path }}",
    }},
    "tasks": [
        {"name": "sync", "intune.autopilot.autopilot_sync": {}, "register": "sync"},
        {"name": "settings", "intune.autopilot.windows_autopilot_settings": {}, "register": "settings"},
    ],
}]


class Fleet:
    """``count`` tenants in ``sim``, each with an app and a client secret, and their inventory."""

    def __init__(self, sim, count, directory):
        self.sim = sim
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.hosts = {}
        for number in range(count):
            tenant_id = sim.add_tenant()
            secret = "fleet-secret-%03d-%s" % (number, tenant_id[:8])
            client_id = sim.add_app(tenant_id, secret=secret)
            self.hosts["tenant%03d" % number] = {
                "intune_tenant_id": tenant_id,
                "intune_client_id": client_id,
                "intune_client_secret": secret,
            }
        self.inventory = self.directory / "inventory.yml"
        self.inventory.write_text(yaml.safe_dump({"tenants": {
            "hosts": self.hosts,
            "vars": {
                "ansible_connection": "local",
                "ansible_python_interpreter": sys.executable,
                "intune_endpoint": sim.url,
                "intune_ca_path": sim.ca_path,
            },
        }}, sort_keys=False))
        self.playbook = self.directory / "fleet.yml"
        self.playbook.write_text(yaml.safe_dump(PLAYBOOK, sort_keys=False))

    def tenant_ids(self):
        return [h["intune_tenant_id"] for h in self.hosts.values()]

    def run(self, forks, label):
        """Run the playbook once; return (results by (host, task), figures)."""
        record = self.directory / ("results-%s.jsonl" % label)
        if record.exists():
            record.unlink()
        remote_tmp = self.directory / ("remote-tmp-%s" % label)
        env = ansible_environment(
            ANSIBLE_HOST_KEY_CHECKING="false",
            ANSIBLE_LOCAL_TEMP=str(self.directory / "ansible-tmp"),
            # Kept module files show which door ran: none on the in-process door.
            ANSIBLE_REMOTE_TMP=str(remote_tmp),
            ANSIBLE_KEEP_REMOTE_FILES="true",
            RECORD_RESULTS_FILE=str(record),
        )
        command = [str(BIN / "ansible-playbook"), "-i", str(self.inventory), "-f", str(forks),
                   str(self.playbook)]
        time_report = self.directory / ("time-%s.txt" % label)
        if os.path.exists("/usr/bin/time"):
            command = ["/usr/bin/time", "-v", "-o", str(time_report)] + command
        started = time.monotonic()
        process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        sampler = PssSampler(process.pid)
        sampler.start()
        stdout, stderr = process.communicate(timeout=1800)
        wall = time.monotonic() - started
        sampler.stop()
        results = {}
        for line in record.read_text().splitlines() if record.exists() else []:
            entry = json.loads(line)
            results[(entry["host"], entry["task"])] = entry
        figures = {
            "label": label,
            "tenants": len(self.hosts),
            "forks": forks,
            "rc": process.returncode,
            "wall_seconds": round(wall, 1),
            "peak_tree_pss_mb": round(sampler.peak_kb / 1024.0, 1),
            "peak_processes": sampler.peak_processes,
            "max_single_rss_mb": _max_rss_mb(time_report),
            "module_runs": len(list(remote_tmp.rglob("AnsiballZ_*.py"))),
        }
        return Run(process.returncode, stdout, stderr, results, figures)


class Run:
    def __init__(self, rc, stdout, stderr, results, figures):
        self.rc, self.stdout, self.stderr, self.results, self.figures = rc, stdout, stderr, results, figures


def _max_rss_mb(time_report):
    try:
        for line in Path(time_report).read_text().splitlines():
            if "Maximum resident set size" in line:
                return round(int(line.rsplit(":", 1)[1]) / 1024.0, 1)
    except (OSError, ValueError):
        pass
    return None


def _children():
    """parent pid -> [child pids], from /proc."""
    tree = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % name) as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
            tree.setdefault(int(fields[1]), []).append(int(name))
        except (OSError, IndexError, ValueError):
            continue
    return tree


def _pss_kb(pid):
    try:
        with open("/proc/%d/smaps_rollup" % pid) as handle:
            for line in handle:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


class PssSampler(threading.Thread):
    """Samples the summed PSS of a process and all its descendants every ``interval`` seconds."""

    def __init__(self, root, interval=0.5):
        super().__init__(daemon=True)
        self.root, self.interval = root, interval
        self.peak_kb = 0
        self.peak_processes = 0
        self._halt = threading.Event()

    def run(self):
        while not self._halt.is_set():
            tree = _children()
            pids, todo = [], [self.root]
            while todo:
                pid = todo.pop()
                pids.append(pid)
                todo.extend(tree.get(pid, ()))
            total = sum(_pss_kb(pid) for pid in pids)
            self.peak_kb = max(self.peak_kb, total)
            self.peak_processes = max(self.peak_processes, len(pids))
            self._halt.wait(self.interval)

    def stop(self):
        self._halt.set()
        self.join(timeout=5)


def main(argv=None):
    import argparse
    import tempfile

    from simulator import Simulator

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tenants", type=int, default=200)
    parser.add_argument("--forks", type=int, default=50)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as directory:
        with Simulator(Path(directory) / "sim", sync_seconds=3600) as sim:
            fleet = Fleet(sim, args.tenants, Path(directory) / "fleet")
            for label in ("first", "second"):
                print(json.dumps(fleet.run(args.forks, label).figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
