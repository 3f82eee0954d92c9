"""Section 4: HTTPS round trips per task, counted in the simulator's request log.

cold = empty cache_path; warm = OpenID discovery cached by an earlier task;
token cache = warm with ``token_cache: true`` and a token cached by an
earlier task. Each scenario has its own tenant and cache directory.
"""
import os
import shutil

from . import playbooks
from .runner import run_playbook
from .tenants import tenant

WARM_TASKS = 3


def _scenarios(bench):
    sim, work = bench.sim, bench.work
    found = []
    for module_key, fqcn in (("settings", playbooks.SETTINGS), ("sync", playbooks.SYNC)):
        unit = playbooks.module_unit(fqcn)
        for mode in ("cold", "warm", "token_cache"):
            t = tenant("rt-%s-%s" % (module_key, mode))
            cache = os.path.join(work, "caches", "rt-%s-%s" % (module_key, mode))
            extra = {"token_cache": True} if mode == "token_cache" else {}
            found.append(("%s_%s" % (module_key, mode), unit, playbooks.connection(t, sim, cache, **extra),
                          None, t, cache, mode, None))
    for key, unit in (("uri_read", playbooks.uri_read), ("uri_sync", playbooks.uri_sync)):
        t = tenant("rt-" + key)
        found.append((key, unit, None, playbooks.uri_vars(t, sim), t, None, "cold", None))
    if bench.baseline:
        t = tenant("rt-settings-baseline")
        found.append(("settings_baseline", playbooks.module_unit(playbooks.SETTINGS), playbooks.connection(t, sim),
                      None, t, None, "cold", bench.baseline.collections))
    return found


def run(bench):
    results = {}
    cwd = os.path.dirname(bench.path("round_trips", "x"))
    for key, unit, defaults, play_vars, t, cache, mode, collections in _scenarios(bench):
        if cache and os.path.isdir(cache):
            shutil.rmtree(cache)
        env = bench.env(collections=collections)

        def play(count, name):
            path = playbooks.write(bench.path("round_trips", "%s-%s.yml" % (key, name)),
                                   playbooks.play(count, unit, module_defaults=defaults, play_vars=play_vars))
            run_playbook(path, env, cwd)

        if mode == "cold":
            bench.sim.clear_log()
            play(1, "one")
            counted = 1
        else:  # a first task fills the caches; the next ones are counted
            play(1, "prime")
            bench.sim.clear_log()
            play(WARM_TASKS, "warm")
            counted = WARM_TASKS
        counts = bench.sim.count(tenant=t.tenant_id)
        per_task = {endpoint: round(n / float(counted), 2) for endpoint, n in sorted(counts.items())}
        results[key] = {"per_task": per_task, "total_per_task": round(sum(counts.values()) / float(counted), 2),
                        "tasks_counted": counted}
        bench.log("round trips: %-22s %s" % (key, per_task))
    return results
