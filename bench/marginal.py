"""Section 1: the marginal cost of one task (or one uri "unit") on one tenant.

Marginal cost = (wall time of a play with N units - wall time of the same play
with none) / N. Every variant runs once per repetition, in a rotating order,
so a slow period of the machine hits all variants alike.
"""
import os
from collections import namedtuple

from . import playbooks
from .runner import run_playbook
from .stats import median, ratio, summary
from .tenants import tenant

MARGINAL_TENANTS = ("settings", "settings-tc", "settings-module", "settings-module-tc", "uri-read", "sync",
                    "sync-module", "uri-sync", "settings-pipelining", "settings-ref")
# The targets: the in-process door against ping (wall time, ratio of medians).
TARGETS = (("settings/ping", 0.5), ("settings_token_cache/ping", 0.25))

Variant = namedtuple("Variant", ["key", "label", "unit_tasks", "module_defaults", "play_vars", "env",
                                 "collections", "tenant", "tasks_per_unit"])


def variants(bench):
    sim, work = bench.sim, bench.work

    def cache(name):
        return os.path.join(work, "caches", "marginal-" + name)

    t = {name: tenant("marginal-" + name) for name in MARGINAL_TENANTS}
    settings, sync = playbooks.module_unit(playbooks.SETTINGS), playbooks.module_unit(playbooks.SYNC)
    door = playbooks.MODULE_DOOR
    result = [
        Variant("ping", "ansible.builtin.ping", playbooks.ping, None, None, {}, None, None, 1),
        Variant("debug", "ansible.builtin.debug", playbooks.debug, None, None, {}, None, None, 1),
        Variant("settings", "windows_autopilot_settings (in-process)", settings,
                playbooks.connection(t["settings"], sim, cache("settings")), None, {}, None, t["settings"], 1),
        Variant("settings_token_cache", "windows_autopilot_settings (in-process), token_cache", settings,
                playbooks.connection(t["settings-tc"], sim, cache("settings-tc"), token_cache=True),
                None, {}, None, t["settings-tc"], 1),
        Variant("settings_module", "windows_autopilot_settings (module)", settings,
                playbooks.connection(t["settings-module"], sim, cache("settings-module")), door, {}, None,
                t["settings-module"], 1),
        Variant("settings_module_token_cache", "windows_autopilot_settings (module), token_cache", settings,
                playbooks.connection(t["settings-module-tc"], sim, cache("settings-module-tc"), token_cache=True),
                door, {}, None, t["settings-module-tc"], 1),
        Variant("uri_read", "uri read (token + GET)", playbooks.uri_read, None,
                playbooks.uri_vars(t["uri-read"], sim), {}, None, t["uri-read"], 2),
        Variant("sync", "autopilot_sync (in-process)", sync,
                playbooks.connection(t["sync"], sim, cache("sync")), None, {}, None, t["sync"], 1),
        Variant("sync_module", "autopilot_sync (module)", sync,
                playbooks.connection(t["sync-module"], sim, cache("sync-module")), door, {}, None,
                t["sync-module"], 1),
        Variant("uri_sync", "uri sync (token + POST)", playbooks.uri_sync, None,
                playbooks.uri_vars(t["uri-sync"], sim), {}, None, t["uri-sync"], 2),
    ]
    if bench.options.pipelining:
        result += [
            Variant("ping_pipelining", "ansible.builtin.ping, pipelining", playbooks.ping, None, None,
                    {"ANSIBLE_PIPELINING": "True"}, None, None, 1),
            Variant("settings_pipelining", "windows_autopilot_settings (module), pipelining",
                    settings, playbooks.connection(t["settings-pipelining"], sim, cache("settings-pipelining")),
                    door, {"ANSIBLE_PIPELINING": "True"}, None, t["settings-pipelining"], 1),
        ]
    if bench.baseline:
        # The old collection knows no cache options: connection options only.
        result.append(Variant(
            "settings_baseline", "windows_autopilot_settings @ %s" % bench.baseline.short,
            settings, playbooks.connection(t["settings-ref"], sim),
            None, {}, bench.baseline.collections, t["settings-ref"], 1))
    return result


def _write_plays(bench, variant, units):
    plays = {}
    for count in (0, units, 2):
        document = playbooks.play(count, variant.unit_tasks, module_defaults=variant.module_defaults,
                                  play_vars=variant.play_vars, name=variant.key)
        plays[count] = playbooks.write(bench.path("marginal", "%s-%d.yml" % (variant.key, count)), document)
    return plays


def run(bench):
    options = bench.options
    units, reps = options.units, options.reps
    chosen = variants(bench)
    plays = {v.key: _write_plays(bench, v, units) for v in chosen}
    envs = {v.key: bench.env(collections=v.collections, **v.env) for v in chosen}
    cwd = bench.path("marginal", "x")
    cwd = os.path.dirname(cwd)

    def play(variant, count):
        return run_playbook(plays[variant.key][count], envs[variant.key], cwd, simulator=bench.sim)

    bench.log("marginal: warm-up (caches, bytecode, discovery, tokens)")
    for variant in chosen:
        play(variant, 2)

    walls = {v.key: {0: [], units: []} for v in chosen}
    cpus = {v.key: {0: [], units: []} for v in chosen}
    sim_cpus = {v.key: {0: [], units: []} for v in chosen}
    for rep in range(reps):
        order = chosen[rep % len(chosen):] + chosen[:rep % len(chosen)]
        for variant in order:
            counts = (0, units) if rep % 2 == 0 else (units, 0)
            for count in counts:
                measured = play(variant, count)
                walls[variant.key][count].append(measured.wall)
                cpus[variant.key][count].append(measured.cpu)
                sim_cpus[variant.key][count].append(measured.sim_cpu)
        bench.log("marginal: repetition %d/%d done" % (rep + 1, reps))

    results = {}
    for v in chosen:
        w, c, s = walls[v.key], cpus[v.key], sim_cpus[v.key]
        per_rep = [(w[units][i] - w[0][i]) / units for i in range(reps)]
        results[v.key] = {
            "label": v.label,
            "tasks_per_unit": v.tasks_per_unit,
            "marginal_s": summary(per_rep),
            "cpu_marginal_s": summary([(c[units][i] - c[0][i]) / units for i in range(reps)]),
            "simulator_cpu_marginal_s": summary([(s[units][i] - s[0][i]) / units for i in range(reps)]),
            "wall_empty_play_s": summary(w[0]),
            "wall_full_play_s": summary(w[units]),
        }
    m = {k: r["marginal_s"]["median"] for k, r in results.items()}
    per_rep = {k: r["marginal_s"]["values"] for k, r in results.items()}

    def rep_ratio(a, b):
        if a not in per_rep or b not in per_rep:
            return None
        return round(median([x / y for x, y in zip(per_rep[a], per_rep[b]) if y > 0]), 2)

    pairs = [("settings", "ping"), ("settings", "uri_read"), ("settings_token_cache", "ping"),
             ("settings_token_cache", "uri_read"), ("settings_module", "ping"),
             ("settings_module_token_cache", "ping"), ("settings", "settings_module"), ("debug", "ping"),
             ("sync", "ping"), ("sync_module", "ping"), ("sync", "uri_sync"),
             ("uri_read", "ping"), ("uri_sync", "ping"), ("settings_pipelining", "ping_pipelining"),
             ("settings_baseline", "ping"), ("settings_baseline", "uri_read"), ("settings", "settings_baseline")]
    ratios = {}
    for a, b in pairs:
        if a in m and b in m:
            ratios["%s/%s" % (a, b)] = {"ratio_of_medians": ratio(m[a], m[b]), "median_of_ratios": rep_ratio(a, b)}
    sync_outcomes = {}
    for key in ("sync", "uri_sync"):
        v = next(v for v in chosen if v.key == key)
        sync_outcomes[key] = bench.sim.statuses(v.tenant.tenant_id, "sync")
    return {"units": units, "repetitions": reps, "variants": results, "ratios": ratios,
            "sync_statuses": sync_outcomes,
            "targets": dict(("%s <= %s" % (key, limit), _meets(ratios, key, limit)) for key, limit in TARGETS)}


def _meets(ratios, key, limit):
    value = (ratios.get(key) or {}).get("ratio_of_medians")
    return None if value is None else value <= limit
