"""Section 5: where the time of one module task goes.

Ansible is told to keep the AnsiballZ file it runs for a task
(ANSIBLE_KEEP_REMOTE_FILES). Running that file again on its own repeats
exactly what the module process of the task did (unpacking the payload,
imports from the zip, argument handling, the HTTP exchanges, exit_json), so
its wall time is the module's share of the task; the rest of the marginal
cost is the controller's (templating, forking a worker, building and writing
the AnsiballZ file, reading the result, callbacks).
"""
import glob
import os
import pstats
import shutil

from . import importtime, playbooks
from .runner import measure, run_playbook
from .stats import summary
from .tenants import tenant
from .paths import PROBES, PYTHON


def _keep_ansiballz(bench, key, units_tasks, module_defaults=None, play_vars=None):
    """Run a one-unit play keeping its AnsiballZ files; return them in the order they ran."""
    remote = os.path.join(bench.work, "kept", key)
    shutil.rmtree(remote, ignore_errors=True)
    play = playbooks.write(bench.path("profile", key + ".yml"),
                           playbooks.play(1, units_tasks, module_defaults=module_defaults, play_vars=play_vars))
    env = bench.env(ANSIBLE_KEEP_REMOTE_FILES="1", ANSIBLE_REMOTE_TMP=remote)
    run_playbook(play, env, os.path.dirname(play))  # fills caches (discovery, token) for the kept runs
    files = glob.glob(os.path.join(remote, "ansible-tmp-*", "AnsiballZ_*.py"))
    return sorted(files, key=os.path.getmtime)


def _profile(bench, path):
    out = bench.path("profile", "cprofile.out")
    measure([str(PYTHON), str(PROBES / "profile_ansiballz.py"), path, out], dict(os.environ),
            cwd=os.path.dirname(out))
    stats = pstats.Stats(out)
    rows = []
    for (filename, line, function), (_primitive, calls, tottime, cumtime, _callers) in stats.stats.items():
        if "importlib" in filename or "runpy" in filename or "AnsiballZ_" in filename or filename == "~" \
                or function in ("<module>", "exec", "_call_with_frames_removed", "run_module", "_run_module",
                                "run_path", "main", "_handle_fromlist"):
            continue
        where = filename.split("ansible_collections/")[-1].split("site-packages/")[-1].split("ansible/")[-1]
        rows.append({"function": "%s (%s:%d)" % (function, where, line), "calls": calls,
                     "cumulative_ms": round(cumtime * 1000, 1), "own_ms": round(tottime * 1000, 1)})
    rows.sort(key=lambda r: -r["cumulative_ms"])
    return rows[:30]


def run(bench, marginal=None):
    sim = bench.sim
    targets = []
    t = tenant("profile-settings")
    # Only the module door runs a module process: profile that one (the in-process door has none).
    settings = _keep_ansiballz(bench, "settings_module", playbooks.module_unit(playbooks.SETTINGS),
                               playbooks.connection(t, sim, os.path.join(bench.work, "caches", "profile-settings")),
                               play_vars=playbooks.MODULE_DOOR)
    targets.append(("settings_module", "windows_autopilot_settings (module)", settings[-1:]))
    t = tenant("profile-settings-tc")
    cached = _keep_ansiballz(bench, "settings_module_token_cache", playbooks.module_unit(playbooks.SETTINGS),
                             playbooks.connection(t, sim, os.path.join(bench.work, "caches", "profile-tc"),
                                                  token_cache=True), play_vars=playbooks.MODULE_DOOR)
    targets.append(("settings_module_token_cache", "windows_autopilot_settings (module), token_cache",
                    cached[-1:]))
    targets.append(("ping", "ansible.builtin.ping", _keep_ansiballz(bench, "ping", playbooks.ping)[-1:]))
    t = tenant("profile-uri")
    uri = _keep_ansiballz(bench, "uri_read", playbooks.uri_read, play_vars=playbooks.uri_vars(t, sim))
    targets.append(("uri_read", "uri read (token + GET)", uri[-2:]))

    env = dict(os.environ)
    reps = max(bench.options.python_reps, 5)
    for key, _label, files in targets:
        if not files:
            bench.log("profile: no AnsiballZ file kept for %s" % key)
        for path in files:
            measure([str(PYTHON), path], env)  # warm-up
    targets = [target for target in targets if target[2]]
    interpreter = []
    samples = {key: {"wall": [], "cpu": [], "rss": []} for key, _label, _files in targets}
    for rep in range(reps):  # interleaved, so a slow moment of the machine hits every module alike
        interpreter.append(measure([str(PYTHON), "-c", "pass"], env).wall)
        for key, _label, files in targets[rep % len(targets):] + targets[:rep % len(targets)]:
            runs = [measure([str(PYTHON), path], env) for path in files]
            samples[key]["wall"].append(sum(r.wall for r in runs))
            samples[key]["cpu"].append(sum(r.cpu for r in runs))
            samples[key]["rss"].append(max(r.maxrss_mb for r in runs))
    results = {"interpreter_start_s": summary(interpreter), "modules": {}}
    for key, label, files in targets:
        walls, cpus, rss = samples[key]["wall"], samples[key]["cpu"], samples[key]["rss"]
        imports = [importtime.parse(measure([str(PYTHON), "-X", "importtime", path], env,
                                            cwd=os.path.dirname(path)).output) for path in files]
        by_family = {}
        for item in imports:
            for family, ms in item["by_family_ms"].items():
                by_family[family] = round(by_family.get(family, 0) + ms, 1)
        entry = {"label": label, "module_processes": len(files),
                 "wall_s": summary(walls), "cpu_s": summary(cpus), "maxrss_mb": summary(rss, 1),
                 "imports_ms": round(sum(i["total_ms"] for i in imports), 1),
                 "imports_by_family_ms": dict(sorted(by_family.items(), key=lambda i: -i[1])),
                 "payload_kb": round(sum(os.path.getsize(p) for p in files) / 1024.0, 1)}
        marginal_variant = (marginal or {}).get("variants", {}).get(key)
        if marginal_variant and entry["wall_s"]["median"] is not None:
            task = marginal_variant["marginal_s"]["median"]
            entry["marginal_s"] = task
            entry["controller_s"] = round(task - entry["wall_s"]["median"], 4)
            entry["module_share"] = round(entry["wall_s"]["median"] / task, 2) if task else None
        if key == "settings_module":
            entry["cprofile_top"] = _profile(bench, files[-1])
        results["modules"][key] = entry
        bench.log("profile: %-22s module process %.3fs (cpu %.3fs), imports %.0f ms"
                  % (key, entry["wall_s"]["median"], entry["cpu_s"]["median"], entry["imports_ms"]))
    return results
