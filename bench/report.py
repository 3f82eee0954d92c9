"""Writing results: bench/results/latest.json, the plots, the generated part of performance.rst."""
import json
import os

from .paths import DOC, RESULTS

BEGIN = ".. BEGIN GENERATED RESULTS (bench/run.py rewrites everything up to the END marker)"
END = ".. END GENERATED RESULTS"

MARGINAL_ORDER = ["ping", "debug", "settings", "settings_token_cache", "settings_module",
                  "settings_module_token_cache", "uri_read", "sync", "sync_module", "uri_sync",
                  "ping_pipelining", "settings_pipelining", "settings_baseline"]
UNIT_PARTNER = {"settings": "uri_read", "settings_token_cache": "uri_read", "settings_module": "uri_read",
                "settings_module_token_cache": "uri_read", "sync": "uri_sync", "sync_module": "uri_sync",
                "settings_pipelining": "uri_read", "settings_baseline": "uri_read"}
ROUND_TRIP_LABELS = [
    ("settings_cold", "windows_autopilot_settings, cold (empty cache_path)"),
    ("settings_warm", "windows_autopilot_settings, warm (discovery cached)"),
    ("settings_token_cache", "windows_autopilot_settings, warm + token_cache"),
    ("uri_read", "uri equivalent of a read (token + GET)"),
    ("sync_cold", "autopilot_sync, cold"),
    ("sync_warm", "autopilot_sync, warm"),
    ("sync_token_cache", "autopilot_sync, warm + token_cache"),
    ("uri_sync", "uri equivalent of a sync (token + POST)"),
    ("settings_baseline", "windows_autopilot_settings @ baseline (no caches)"),
]


def ms(seconds, digits=0):
    return "" if seconds is None else ("%.*f" % (digits, seconds * 1000.0))


def list_table(header, rows, widths=None):
    lines = [".. list-table::", "   :header-rows: 1"]
    if widths:
        lines.append("   :widths: " + " ".join(str(w) for w in widths))
    lines.append("")
    for row in [header] + rows:
        lines.append("   * - " + (str(row[0]) or " "))
        for cell in row[1:]:
            lines.append("     - " + (str(cell) if cell not in (None, "") else " "))
    return "\n".join(lines) + "\n"


def _cpu_ratio(variants, a, b):
    try:
        return variants[a]["cpu_marginal_s"]["median"] / variants[b]["cpu_marginal_s"]["median"]
    except (KeyError, TypeError, ZeroDivisionError):
        return None


def _x(value):
    return "" if value is None else "%.2fx" % value


def _marginal_rst(section):
    variants, ratios = section["variants"], section["ratios"]
    ping = variants.get("ping", {}).get("marginal_s", {}).get("median")
    rows = []
    for key in MARGINAL_ORDER:
        if key not in variants:
            continue
        v = variants[key]
        m = v["marginal_s"]
        partner = UNIT_PARTNER.get(key)
        vs_uri = cpu_vs_uri = None
        if partner and partner in variants:
            vs_uri = m["median"] / variants[partner]["marginal_s"]["median"]
            cpu_vs_uri = _cpu_ratio(variants, key, partner)
        rows.append([v["label"], ms(m["median"]), "%s-%s" % (ms(m["min"]), ms(m["max"])),
                     _x(m["median"] / ping if ping else None), _x(vs_uri),
                     ms(v["cpu_marginal_s"]["median"]), _x(_cpu_ratio(variants, key, "ping")), _x(cpu_vs_uri),
                     ms(v["simulator_cpu_marginal_s"]["median"], 1)])
    text = list_table(["variant (one unit)", "wall ms", "wall range ms", "wall vs ping", "wall vs uri",
                       "CPU ms", "CPU vs ping", "CPU vs uri", "simulator CPU ms"], rows,
                      [30, 8, 11, 8, 8, 8, 8, 8, 9])
    text += ("\nwall = marginal wall time (the issue's measure); CPU = marginal CPU time of ansible-playbook and "
             "every process it ran (controller, workers, module processes), which a busy machine disturbs much "
             "less than wall time. Ratios are ratios of the medians.\n")
    targets = section.get("targets", {})
    text += "\nTargets: %s.\n" % "; ".join(
        "``%s``: %s (wall %s, CPU %s)" % (
            name, {True: "met", False: "**not met**", None: "n/a"}[ok],
            (ratios.get(name.split(" ")[0]) or {}).get("ratio_of_medians"),
            _x(_cpu_ratio(variants, *name.split(" ")[0].split("/"))))
        for name, ok in targets.items())
    statuses = section.get("sync_statuses", {})
    if statuses:
        text += ("\nSync answers seen by the simulator during this section (tenants with no throttle window "
                 "and instant syncs): %s.\n" % "; ".join(
                     "%s %s" % (k, ", ".join("%s x %s" % (n, s) for s, n in sorted(v.items())))
                     for k, v in statuses.items()))
    return text


def _round_trips_rst(section):
    rows = []
    for key, label in ROUND_TRIP_LABELS:
        if key not in section:
            continue
        per = section[key]["per_task"]
        graph = per.get("settings", 0) + per.get("sync", 0)
        rows.append([label, _n(per.get("discovery")), _n(per.get("token")), _n(graph),
                     _n(section[key]["total_per_task"])])
    return list_table(["task (or uri unit)", "discovery", "token", "Graph", "total"], rows, [50, 12, 10, 10, 10])


def _n(value):
    if value is None:
        return "0"
    return ("%d" % value) if float(value).is_integer() else ("%.2f" % value)


def _python_rst(section):
    rows = []
    for key, p in section["probes"].items():
        families = p["importtime"]["by_family_ms"]
        top = ", ".join("%s %.0f" % (k, v) for k, v in list(families.items())[:3] if v >= 1)
        rt = p.get("round_trips")
        rows.append([p["label"], ms(p["wall_s"]["median"]), ms(p["cpu_s"]["median"]),
                     "%.0f" % p["maxrss_mb"]["median"], "%.0f" % p["importtime"]["total_ms"], top,
                     sum(rt.values()) if rt else ""])
    text = list_table(["one read, fresh interpreter", "wall ms", "CPU ms", "peak RSS MB", "imports ms",
                       "largest import families (ms)", "round trips"], rows, [26, 8, 8, 8, 8, 34, 8])
    for note in section.get("notes", []):
        text += "\n" + note + "\n"
    return text


def _profile_rst(section):
    rows = []
    for key, p in section["modules"].items():
        families = ", ".join("%s %.0f" % (k, v) for k, v in list(p["imports_by_family_ms"].items())[:3])
        rows.append([p["label"], ms(p.get("marginal_s")), ms(p["wall_s"]["median"]), ms(p.get("controller_s")),
                     ms(p["cpu_s"]["median"]), "%.0f" % p["imports_ms"], families])
    text = list_table(["task", "marginal ms", "module process ms", "rest (controller) ms", "module CPU ms",
                       "imports ms (-X importtime)", "largest import families (ms)"], rows,
                      [24, 9, 10, 10, 9, 10, 30])
    text += "\nInterpreter start-up (``python -c pass``): %s ms.\n" % ms(section["interpreter_start_s"]["median"])
    return text


def _fleet_rst(section):
    rows = []
    for r in section["runs"]:
        rows.append([r["tenants"], r["forks"], r["repetitions"], "%.1f" % r["wall_s"]["median"],
                     "%.1f" % r["tasks_per_s"]["median"], "%d%%" % (100 * r["cpu_utilisation"]["median"]),
                     "%.0f" % r["peak_tree_mb"]["median"], "%.0f" % r["peak_tree_pss_mb"]["median"],
                     "%.0f" % r["peak_controller_main_mb"]["median"],
                     "%.0f" % r["peak_worker_mb"]["median"], "%.0f" % r["peak_module_mb"]["median"],
                     r["max_concurrent_modules"]])
    text = list_table(["tenants", "forks", "runs", "wall s", "tasks/s", "CPU busy", "tree RSS MB",
                       "tree PSS MB", "main MB", "worker MB", "module MB", "modules at once"], rows)
    text += ("\nCPU busy = CPU time of ansible-playbook and everything it ran / (wall time x %d cores); the "
             "simulator's own CPU time is not included. Memory: peaks of RSS sampled every 0.1 s (tree RSS counts "
             "pages that forked workers share once per process) and of the tree's PSS sampled every second "
             "(shared pages split between their users: the memory really used).%s\n"
             % (section["cpus"], "" if section.get("discovery_prewarmed") else
                " The discovery cache could not be pre-warmed: every task also fetched discovery."))
    return text


def _door_fleet_rst(section):
    rows = []
    for key in ("ping", "in_process", "module"):
        r = section["variants"][key]
        rows.append([r["label"], "%.1f" % r["wall_s"]["median"], "%.1f" % r["cpu_s"]["median"],
                     "%.0f" % r["peak_tree_mb"]["median"], "%.0f" % r["peak_tree_pss_mb"]["median"],
                     "%.0f" % r["peak_worker_mb"]["median"], r["max_concurrent_modules"]])
    text = list_table(["fleet (2 tasks per tenant)", "wall s", "CPU s", "tree RSS MB", "tree PSS MB",
                       "worker MB", "modules at once"], rows, [34, 9, 9, 10, 10, 9, 9])
    ratios = section["ratios"]
    text += ("\nIn-process vs ping: wall %sx, CPU %sx. Module door vs ping: wall %sx, CPU %sx. In-process vs "
             "module door: wall %sx, CPU %sx, peak PSS %sx.\n" % (
                 ratios["in_process/ping"]["wall"], ratios["in_process/ping"]["cpu"],
                 ratios["module/ping"]["wall"], ratios["module/ping"]["cpu"],
                 ratios["in_process/module"]["wall"], ratios["in_process/module"]["cpu"],
                 ratios["in_process/module"]["peak_pss"]))
    text += "\nTargets: %s.\n" % "; ".join(
        "``%s``: %s" % (name, "met" if ok else "**not met**") for name, ok in section["targets"].items())
    return text


def generated_rst(results):
    machine = results["machine"]
    parts = [BEGIN, "",
             "Last run: %s, ``%s`` mode, %s CPU(s) (%s), Python %s, ansible-core %s; the benchmark took %.0f s."
             % (results["started_at"], results["mode"], machine.get("cpus"), machine.get("cpu_model", "?"),
                machine.get("python"), machine.get("ansible_core"), results["total_seconds"]), ""]
    if results.get("baseline"):
        b = results["baseline"]
        parts += ["Baseline (before): commit ``%s`` (%s)." % (b["sha"][:7], b["subject"]), ""]
    sections = results["sections"]
    if "marginal" in sections:
        s = sections["marginal"]
        parts += ["Marginal cost of one unit", "-------------------------", "",
                  "Median of %d repetitions; %d units per play; a uri unit is two tasks."
                  % (s["repetitions"], s["units"]), "", _marginal_rst(s),
                  # A path, not an image: the docsite build only ships files under docs/docsite.
                  "Plot: ``bench/results/marginal_cost.png`` in the repository.", ""]
    if "round_trips" in sections:
        parts += ["HTTPS round trips per task", "--------------------------", "",
                  _round_trips_rst(sections["round_trips"])]
    if "profile" in sections:
        parts += ["Where the time of one task goes", "-------------------------------", "",
                  _profile_rst(sections["profile"])]
    if "python_cost" in sections:
        parts += ["One read outside Ansible", "------------------------", "",
                  "Median of %d runs of a fresh interpreter." % sections["python_cost"]["repetitions"], "",
                  _python_rst(sections["python_cost"])]
    if "fleet" in sections:
        parts += ["Fleet", "-----", "", "One ``windows_autopilot_settings`` task per tenant (inventory host).", "",
                  _fleet_rst(sections["fleet"]),
                  "Plot: ``bench/results/fleet.png`` in the repository.", ""]
    if "door_fleet" in sections:
        s = sections["door_fleet"]
        parts += ["Fleet through each door", "-----------------------", "",
                  "%d tenants (inventory hosts, ``ansible_connection: local``), ``forks: %d``, two tasks per tenant; "
                  "median of %d run(s) per variant, interleaved." % (s["tenants"], s["forks"], s["repetitions"]), "",
                  _door_fleet_rst(s)]
    parts.append(END)
    return "\n".join(parts) + "\n"


DOC_TEMPLATE = """\
.. _ansible_collections.intune.autopilot.docsite.performance:

Performance
===========

``make bench`` measures the collection against the simulator and rewrites the section below.

{generated}"""


def rewrite_doc(results):
    generated = generated_rst(results)
    if os.path.exists(DOC):
        with open(DOC) as handle:
            text = handle.read()
        if BEGIN.split(" (", 1)[0] in text and END in text:
            head = text[:text.index(BEGIN.split(" (", 1)[0])]
            tail = text[text.index(END) + len(END):].lstrip("\n")
            text = head + generated + ("\n" + tail if tail else "")
        else:
            text = text.rstrip("\n") + "\n\n" + generated
    else:
        text = DOC_TEMPLATE.format(generated=generated)
    os.makedirs(os.path.dirname(DOC), exist_ok=True)
    with open(DOC, "w") as handle:
        handle.write(text)


def write_plots(results):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return
    sections = results["sections"]
    if "marginal" in sections:
        variants = sections["marginal"]["variants"]
        keys = [k for k in MARGINAL_ORDER if k in variants]
        labels = [variants[k]["label"] for k in keys]
        med = [variants[k]["marginal_s"]["median"] * 1000 for k in keys]
        low = [m - variants[k]["marginal_s"]["min"] * 1000 for m, k in zip(med, keys)]
        high = [variants[k]["marginal_s"]["max"] * 1000 - m for m, k in zip(med, keys)]
        colours = ["#888888" if k.startswith("ping") else "#d98c2b" if k.startswith("uri")
                   else "#aaaaaa" if k.endswith("baseline") else "#2b6cb0" for k in keys]
        fig, ax = plt.subplots(figsize=(8, 0.45 * len(keys) + 1.5))
        ax.barh(range(len(keys)), med, xerr=[low, high], color=colours, capsize=3)
        ax.set_yticks(range(len(keys)))
        ax.set_yticklabels(labels)
        ax.invert_yaxis()
        if "ping" in variants:
            ping = variants["ping"]["marginal_s"]["median"] * 1000
            ax.axvline(1.5 * ping, color="#c53030", linestyle="--", linewidth=1, label="target: 1.5 x ping")
        if "uri_read" in variants:
            uri = variants["uri_read"]["marginal_s"]["median"] * 1000
            ax.axvline(0.6 * uri, color="#2f855a", linestyle=":", linewidth=1, label="target: 0.6 x uri read")
        ax.set_xlabel("marginal wall time per unit (ms), median with min-max")
        ax.set_title("Cost of one task (%s mode, %d repetitions)"
                     % (results["mode"], sections["marginal"]["repetitions"]))
        ax.legend(loc="lower right", fontsize=8)
        fig.tight_layout()
        fig.savefig(os.path.join(RESULTS, "marginal_cost.png"), dpi=110)
        plt.close(fig)
    if "fleet" in sections and sections["fleet"]["runs"]:
        runs = sections["fleet"]["runs"]
        forks_all = sorted({r["forks"] for r in runs})
        fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
        for tenants in sorted({r["tenants"] for r in runs}):
            rs = sorted((r for r in runs if r["tenants"] == tenants), key=lambda r: r["forks"])
            x = [r["forks"] for r in rs]
            left.plot(x, [r["tasks_per_s"]["median"] for r in rs], marker="o", label="%d tenants" % tenants)
            right.plot(x, [r["peak_tree_pss_mb"]["median"] for r in rs], marker="o",
                       label="%d tenants, whole tree (PSS)" % tenants)
            right.plot(x, [r["peak_controller_main_mb"]["median"] for r in rs], marker="x", linestyle=":",
                       label="%d tenants, main process (RSS)" % tenants)
        for axis in (left, right):
            axis.set_xscale("log")
            axis.set_xticks(forks_all)
            axis.set_xticklabels([str(f) for f in forks_all])
            axis.minorticks_off()
            axis.set_xlabel("forks")
            axis.set_ylim(bottom=0)
            axis.legend(fontsize=7)
        left.set_ylabel("tasks per second")
        right.set_ylabel("peak memory (MB)")
        left.set_title("Fleet throughput, one settings read per tenant (%d CPUs)" % sections["fleet"]["cpus"],
                       fontsize=9)
        right.set_title("ansible-playbook process tree memory", fontsize=9)
        fig.tight_layout()
        fig.savefig(os.path.join(RESULTS, "fleet.png"), dpi=110)
        plt.close(fig)


def write_partial(results):
    os.makedirs(RESULTS, exist_ok=True)
    with open(os.path.join(RESULTS, "partial.json"), "w") as handle:
        json.dump(results, handle, indent=1)
        handle.write("\n")


def write_all(results, write_doc=True):
    os.makedirs(RESULTS, exist_ok=True)
    with open(os.path.join(RESULTS, "latest.json"), "w") as handle:
        json.dump(results, handle, indent=1, sort_keys=False)
        handle.write("\n")
    write_plots(results)
    if write_doc:
        rewrite_doc(results)


def summary(results):
    lines = ["", "intune.autopilot benchmark (%s mode, %.0f s)" % (results["mode"], results["total_seconds"])]
    s = results["sections"]
    if "marginal" in s:
        lines.append("Marginal cost per unit (median ms):")
        for key in MARGINAL_ORDER:
            if key in s["marginal"]["variants"]:
                v = s["marginal"]["variants"][key]
                lines.append("  %-44s %6s ms wall  %6s ms CPU" % (v["label"], ms(v["marginal_s"]["median"]),
                                                                  ms(v["cpu_marginal_s"]["median"])))
        for name, r in s["marginal"]["ratios"].items():
            a, b = name.split("/")
            lines.append("  ratio %-40s wall %-5s CPU %s" % (name, r["ratio_of_medians"],
                                                             _x(_cpu_ratio(s["marginal"]["variants"], a, b))))
        for name, ok in s["marginal"]["targets"].items():
            lines.append("  target %-39s %s" % (name, {True: "met", False: "NOT MET", None: "n/a"}[ok]))
    if "round_trips" in s:
        lines.append("Round trips per task:")
        for key, label in ROUND_TRIP_LABELS:
            if key in s["round_trips"]:
                lines.append("  %-52s %s" % (label, s["round_trips"][key]["total_per_task"]))
    if "python_cost" in s:
        lines.append("One read outside Ansible (wall / CPU ms, RSS MB):")
        for key, p in s["python_cost"]["probes"].items():
            lines.append("  %-40s %5s / %5s ms  %4.0f MB"
                         % (p["label"], ms(p["wall_s"]["median"]), ms(p["cpu_s"]["median"]),
                            p["maxrss_mb"]["median"]))
    if "profile" in s:
        lines.append("Module process share of a task (ms):")
        for key, p in s["profile"]["modules"].items():
            lines.append("  %-40s module %5s, controller %5s" % (p["label"], ms(p["wall_s"]["median"]),
                                                                 ms(p.get("controller_s"))))
    if "fleet" in s:
        lines.append("Fleet (tasks/s, peak memory of the ansible-playbook tree):")
        for r in s["fleet"]["runs"]:
            lines.append("  %3d tenants, forks %2d: %5.1f tasks/s  RSS %5.0f MB  PSS %5.0f MB  CPU %3.0f%%" % (
                r["tenants"], r["forks"], r["tasks_per_s"]["median"], r["peak_tree_mb"]["median"],
                r["peak_tree_pss_mb"]["median"],
                100 * r["cpu_utilisation"]["median"]))
    if "door_fleet" in s:
        door = s["door_fleet"]
        lines.append("Fleet through each door (%d tenants x 2 tasks, forks %d):" % (door["tenants"], door["forks"]))
        for key, r in s["door_fleet"]["variants"].items():
            lines.append("  %-34s %6.1f s wall  %6.1f s CPU  PSS %5.0f MB" % (
                r["label"], r["wall_s"]["median"], r["cpu_s"]["median"], r["peak_tree_pss_mb"]["median"]))
        for name, r in s["door_fleet"]["ratios"].items():
            lines.append("  ratio %-30s %s" % (name, r))
        for name, ok in s["door_fleet"]["targets"].items():
            lines.append("  target %-39s %s" % (name, "met" if ok else "NOT MET"))
    lines.append("Written: bench/results/latest.json, bench/results/*.png, docs/docsite/rst/performance.rst")
    return "\n".join(lines)
