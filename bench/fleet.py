"""Section 2: many tenants, one inventory host per tenant, one settings read per host.

Every host has ``ansible_connection: local`` and the benchmark's Python as
interpreter. The discovery cache is filled for every tenant before the timed
runs (as on a controller that ran the play before), so each task makes a
token request and the Graph read; the request counts of each run are kept to
show that.
"""
import os

from . import playbooks
from .memory import TreeSampler
from .paths import PYTHON
from .runner import run_playbook
from .stats import summary
from .tenants import fleet


def write_inventory(bench, tenants):
    hosts = {t.name: {"tenant_id": t.tenant_id, "client_id": t.client_id, "client_secret": t.client_secret}
             for t in tenants}
    document = {"all": {"hosts": hosts, "vars": {"ansible_connection": "local",
                                                 "ansible_python_interpreter": str(PYTHON)}}}
    return playbooks.write(bench.path("fleet", "inventory-%d.yml" % len(tenants)), document)


def write_play(bench, cache):
    defaults = {"tenant_id": "{{ tenant_id }}", "client_id": "{{ client_id }}",
                "client_secret": "{{ client_secret }}", "authority_host": bench.sim.url,
                "graph_endpoint": bench.sim.url, "ca_path": bench.sim.ca_path, "cache_path": cache}
    document = playbooks.play(1, playbooks.module_unit(playbooks.SETTINGS), hosts="all",
                              module_defaults=defaults, name="fleet")
    return playbooks.write(bench.path("fleet", "play.yml"), document)


def prewarm_discovery(bench, tenants, cache):
    """Fill the on-disk discovery cache through the collection's own code; False if that is not possible."""
    try:
        from ansible_collections.intune.autopilot.plugins.module_utils._auth._file_store import DiskCache
        from ansible_collections.intune.autopilot.plugins.module_utils._auth._msal_http import MsalHttpClient
        from ansible_collections.intune.autopilot.plugins.module_utils._client._session import Transport
    except ImportError as exc:
        bench.log("fleet: cannot pre-warm the discovery cache (%s); runs start cold" % exc)
        return False
    client = MsalHttpClient(Transport(verify=bench.sim.ca_path), DiskCache(cache))
    for t in tenants:
        client.get("%s/%s/v2.0/.well-known/openid-configuration" % (bench.sim.url, t.tenant_id))
    client.close()
    return True


def run(bench):
    options = bench.options
    sizes, forks_list = options.fleet_sizes, options.forks
    tenants = fleet(max(sizes))
    cache = os.path.join(bench.work, "caches", "fleet")
    play = write_play(bench, cache)
    inventories = {n: write_inventory(bench, tenants[:n]) for n in sizes}
    prewarmed = prewarm_discovery(bench, tenants, cache)
    env = bench.env()
    cwd = os.path.dirname(play)
    plan = {n: list(forks_list) for n in sizes}
    # Where does throughput stop growing with forks? A sweep on the smallest fleet.
    plan[min(sizes)] = sorted(set(forks_list) | set(options.scaling_forks))
    runs = {(n, f): [] for n in sizes for f in plan[n]}
    reps_by_size = {n: options.fleet_reps(n) for n in sizes}
    ncpu = os.cpu_count()
    for rep in range(max(reps_by_size.values())):
        for n in sizes:
            if rep >= reps_by_size[n]:
                continue
            order = plan[n] if rep % 2 == 0 else list(reversed(plan[n]))
            for forks in order:
                bench.sim.clear_log()
                measured = run_playbook(play, env, cwd, inventory=inventories[n], forks=forks,
                                        simulator=bench.sim,
                                        sampler_factory=lambda pid: TreeSampler(pid, interval=0.1))
                counts = bench.sim.count()
                runs[(n, forks)].append({
                    "wall_s": round(measured.wall, 3),
                    "tasks_per_s": round(n / measured.wall, 2),
                    "cpu_s": round(measured.cpu, 2),
                    "cpu_utilisation": round(measured.cpu / (measured.wall * ncpu), 2),
                    "simulator_cpu_s": round(measured.sim_cpu, 2),
                    "memory_mb": measured.memory,
                    "requests": counts,
                })
                bench.log("fleet: %3d tenants, forks %2d: %.1fs, %.1f tasks/s, cpu %.0f%%, tree peak %.0f MB (PSS %.0f MB)"
                          % (n, forks, measured.wall, n / measured.wall,
                             100 * measured.cpu / (measured.wall * ncpu), measured.memory["tree_mb"],
                             measured.memory["tree_pss_mb"]))
    results = []
    for (n, forks), items in sorted(runs.items()):
        if not items:
            continue

        def pick(key, sub=None, items=items):
            return [(i[key][sub] if sub else i[key]) for i in items]

        results.append({
            "tenants": n, "forks": forks, "repetitions": len(items),
            "wall_s": summary(pick("wall_s"), 3),
            "tasks_per_s": summary(pick("tasks_per_s"), 2),
            "cpu_s": summary(pick("cpu_s"), 2),
            "cpu_utilisation": summary(pick("cpu_utilisation"), 2),
            "simulator_cpu_s": summary(pick("simulator_cpu_s"), 2),
            "peak_tree_mb": summary(pick("memory_mb", "tree_mb"), 1),
            "peak_tree_pss_mb": summary(pick("memory_mb", "tree_pss_mb"), 1),
            "peak_controller_main_mb": summary(pick("memory_mb", "main_mb"), 1),
            "peak_worker_mb": summary(pick("memory_mb", "worker_mb"), 1),
            "peak_module_mb": summary(pick("memory_mb", "module_mb"), 1),
            "max_concurrent_workers": max(pick("memory_mb", "workers")),
            "max_concurrent_modules": max(pick("memory_mb", "modules")),
            "requests_per_run": items[-1]["requests"],
        })
    return {"cpus": ncpu, "discovery_prewarmed": prewarmed, "runs": results}
