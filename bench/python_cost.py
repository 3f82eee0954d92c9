"""Section 3: the Python cost of one settings read outside Ansible.

Each probe is a fresh interpreter doing one read against the simulator:
the collection's module run as a plain script (with an args file, the way
Ansible's module debugging works), the same read written by hand with msal +
requests, and with msgraph-beta-sdk + azure-identity. Wall and CPU time and
peak RSS come from wait4(); import time from ``python -X importtime``.
"""
import json
import os
import subprocess

from . import importtime, playbooks
from .paths import COLLECTIONS, PROBES, PYTHON
from .runner import measure
from .stats import summary
from .tenants import tenant

MODULE = "ansible_collections.intune.autopilot.plugins.modules.windows_autopilot_settings"


def _sdk_available():
    probe = "import msgraph_beta, azure.identity, kiota_authentication_azure"
    return subprocess.call([str(PYTHON), "-c", probe], stderr=subprocess.DEVNULL) == 0


def _probes(bench):
    sim, probes = bench.sim, []

    def args_file(name, document):
        path = bench.path("python_cost", name + ".json")
        with open(path, "w") as handle:
            json.dump(document, handle)
        return path

    probes.append(("interpreter", "python -c pass (interpreter start-up)", [str(PYTHON), "-c", "pass"], None))
    for key, label, extra in (("module", "collection module, discovery cached", {}),
                              ("module_token_cache", "collection module, token_cache", {"token_cache": True})):
        t = tenant("py-" + key)
        cache = os.path.join(bench.work, "caches", "py-" + key)
        path = args_file(key, {"ANSIBLE_MODULE_ARGS": playbooks.connection(t, sim, cache, **extra)})
        probes.append((key, label, [str(PYTHON), "-m", MODULE, path], t))
    t = tenant("py-msal-requests")
    simple = {"tenant_id": t.tenant_id, "client_id": t.client_id, "client_secret": t.client_secret,
              "url": sim.url, "ca_path": sim.ca_path}
    probes.append(("msal_requests", "hand-written msal + requests",
                   [str(PYTHON), str(PROBES / "msal_requests_read.py"), args_file("msal_requests", simple)], t))
    if _sdk_available():
        t = tenant("py-sdk")
        simple = dict(simple, tenant_id=t.tenant_id, client_id=t.client_id, client_secret=t.client_secret)
        probes.append(("sdk", "msgraph-beta-sdk + azure-identity",
                       [str(PYTHON), str(PROBES / "sdk_read.py"), args_file("sdk", simple)], t))
    return probes


def _json_line(text):
    for line in reversed(text.splitlines()):
        if line.startswith("{"):
            try:
                return json.loads(line)
            except ValueError:
                return None
    return None


def run(bench):
    env = dict(os.environ, PYTHONPATH=str(COLLECTIONS))
    for name in [k for k in env if k.startswith(("ANSIBLE_", "AZURE_"))]:
        del env[name]
    cwd = os.path.dirname(bench.path("python_cost", "x"))
    probes = _probes(bench)
    reps = bench.options.python_reps
    samples = {key: [] for key, _label, _command, _t in probes}
    round_trips = {}
    bench.log("python cost: warm-up run of every probe (bytecode, caches)")
    for key, _label, command, t in probes:
        first = measure(command, env, cwd=cwd)
        if first.rc != 0:
            raise RuntimeError("probe %s failed:\n%s" % (key, first.output[-3000:]))
        if t is not None:  # the next run is the counted one
            bench.sim.clear_log()
            measured = measure(command, env, cwd=cwd)
            round_trips[key] = bench.sim.count(tenant=t.tenant_id)
    for rep in range(reps):
        for key, _label, command, _t in probes[rep % len(probes):] + probes[:rep % len(probes)]:
            measured = measure(command, env, cwd=cwd)
            inner = _json_line(measured.output) or {}
            samples[key].append((measured, inner))
    results = {}
    for key, label, command, _t in probes:
        imports = measure([command[0], "-X", "importtime"] + command[1:], env, cwd=cwd)
        items = samples[key]
        results[key] = {
            "label": label,
            "wall_s": summary([m.wall for m, _inner in items]),
            "cpu_s": summary([m.cpu for m, _inner in items]),
            "maxrss_mb": summary([m.maxrss_mb for m, _inner in items], 1),
            "inner_import_s": summary([i.get("import_s") for _m, i in items]),
            "inner_read_s": summary([i.get("read_s") for _m, i in items]),
            "importtime": importtime.parse(imports.output),
            "round_trips": round_trips.get(key),
        }
        bench.log("python cost: %-20s wall %.3fs cpu %.3fs rss %.0f MB imports %.0f ms"
                  % (key, results[key]["wall_s"]["median"], results[key]["cpu_s"]["median"],
                     results[key]["maxrss_mb"]["median"], results[key]["importtime"]["total_ms"]))
    notes = [] if "sdk" in results else ["msgraph-beta-sdk / azure-identity are not importable: SDK probe skipped"]
    return {"repetitions": reps, "probes": results, "notes": notes}
