"""Section: the issue's fleet, 200 tenants x (sync + read) at forks 50, through each door and with pings.

One inventory host per tenant (``ansible_connection: local``), two tasks per
host: ``autopilot_sync`` then ``windows_autopilot_settings`` on the default
in-process door, the same two forced onto the module door (the module path
as it was before the action plugins), and two ``ansible.builtin.ping`` tasks:
the floor of any two-task fleet. The variants run interleaved, so a busy
moment of the machine hits all of them alike; the discovery cache is filled
before (as on a controller that ran the play before).
"""
import os

from . import playbooks
from .fleet import prewarm_discovery, write_inventory
from .memory import TreeSampler
from .runner import run_playbook
from .stats import ratio, summary
from .tenants import fleet

TENANTS = 200
FORKS = 50
# The targets: the in-process fleet <= 0.6x the ping fleet; less memory than the module door's.
WALL_TARGET = 0.6


def _two_tasks(bench, cache, door_vars):
    defaults = {"tenant_id": "{{ tenant_id }}", "client_id": "{{ client_id }}",
                "client_secret": "{{ client_secret }}", "authority_host": bench.sim.url,
                "graph_endpoint": bench.sim.url, "ca_path": bench.sim.ca_path, "cache_path": cache}

    def unit(i):
        return [{"name": "sync", playbooks.SYNC: {}}, {"name": "read", playbooks.SETTINGS: {}}]

    return playbooks.play(1, unit, hosts="all", module_defaults=defaults, play_vars=door_vars, name="doors")


def variants(bench, cache):
    return [
        ("ping", "2 x ansible.builtin.ping",
         playbooks.play(1, lambda i: playbooks.ping(0) + playbooks.ping(1), hosts="all", name="pings")),
        ("in_process", "sync + read, in-process door", _two_tasks(bench, cache, None)),
        ("module", "sync + read, module door", _two_tasks(bench, cache, playbooks.MODULE_DOOR)),
    ]


def run(bench):
    reps = 1 if bench.options.quick else 2
    tenants = fleet(TENANTS)
    cache = os.path.join(bench.work, "caches", "door-fleet")
    inventory = write_inventory(bench, tenants)
    prewarmed = prewarm_discovery(bench, tenants, cache)
    chosen = variants(bench, cache)
    plays = {key: playbooks.write(bench.path("door_fleet", key + ".yml"), document)
             for key, _label, document in chosen}
    env = bench.env()
    cwd = os.path.dirname(plays["ping"])
    runs = {key: [] for key, _label, _doc in chosen}
    for rep in range(reps):
        order = chosen if rep % 2 == 0 else list(reversed(chosen))
        for key, _label, _doc in order:
            bench.sim.clear_log()
            measured = run_playbook(plays[key], env, cwd, inventory=inventory, forks=FORKS, simulator=bench.sim,
                                    sampler_factory=lambda pid: TreeSampler(pid, interval=0.1))
            runs[key].append({"wall_s": measured.wall, "cpu_s": measured.cpu, "memory": measured.memory,
                              "requests": bench.sim.count()})
            bench.log("door fleet: %-10s %.1fs, cpu %.1fs, tree peak RSS %.0f MB, PSS %.0f MB"
                      % (key, measured.wall, measured.cpu, measured.memory["tree_mb"],
                         measured.memory["tree_pss_mb"]))
    results = {}
    for key, label, _doc in chosen:
        items = runs[key]
        results[key] = {
            "label": label,
            "wall_s": summary([i["wall_s"] for i in items], 3),
            "cpu_s": summary([i["cpu_s"] for i in items], 2),
            "peak_tree_mb": summary([i["memory"]["tree_mb"] for i in items], 1),
            "peak_tree_pss_mb": summary([i["memory"]["tree_pss_mb"] for i in items], 1),
            "peak_worker_mb": summary([i["memory"]["worker_mb"] for i in items], 1),
            "max_concurrent_modules": max(i["memory"]["modules"] for i in items),
            "requests_per_run": items[-1]["requests"],
        }
    wall = dict((k, r["wall_s"]["median"]) for k, r in results.items())
    cpu = dict((k, r["cpu_s"]["median"]) for k, r in results.items())
    pss = dict((k, r["peak_tree_pss_mb"]["median"]) for k, r in results.items())
    ratios = {
        "in_process/ping": {"wall": ratio(wall["in_process"], wall["ping"]), "cpu": ratio(cpu["in_process"], cpu["ping"])},
        "module/ping": {"wall": ratio(wall["module"], wall["ping"]), "cpu": ratio(cpu["module"], cpu["ping"])},
        "in_process/module": {"wall": ratio(wall["in_process"], wall["module"]),
                              "cpu": ratio(cpu["in_process"], cpu["module"]),
                              "peak_pss": ratio(pss["in_process"], pss["module"])},
    }
    targets = {"in_process/ping <= %s" % WALL_TARGET: ratios["in_process/ping"]["wall"] <= WALL_TARGET,
               "peak PSS in_process < module": pss["in_process"] < pss["module"]}
    return {"tenants": TENANTS, "forks": FORKS, "repetitions": reps, "discovery_prewarmed": prewarmed,
            "variants": results, "ratios": ratios, "targets": targets}
