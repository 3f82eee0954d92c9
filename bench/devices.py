#!/usr/bin/env python
"""Section devices: a bulk import of 1,000 hardware hashes, and autopilot_device_info over 10,000 devices.

(a) ``autopilot_device_import`` of a 1,000-row CSV (batch_size 100): import requests, reads of the
    import records per poll against the pages of each batch, deletions, wall time; in the same run
    the same 1,000 hashes imported the way Import-AutopilotCSV does it (one POST per device, one GET
    per device and poll, one DELETE per record; probes/import_one_by_one.py).
(b) ``autopilot_device_info`` listing 10,000 devices on the in-process door: requests against
    pages, peak memory of the worker that ran the task, and its marginal wall time (play with the
    task minus the same play empty) against a bare requests loop following @odata.nextLink
    (probes/requests_paging.py), both including the token request.

A section of ``bench/run.py`` (``--sections devices``), and rerunnable alone with its own simulator:

    .venv/bin/python bench/devices.py [--reps 3]

Either way it writes bench/results/devices.json and the part of docs/docsite/rst/performance.rst
between the DEVICE RESULTS markers.
"""
import argparse
import base64
import calendar
import json
import math
import os
import shutil
import sys
import time

if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench import playbooks, report  # noqa: E402
from bench.memory import TreeSampler  # noqa: E402
from bench.paths import DOC, INSTALLED_MANIFEST, PROBES, PYTHON, RESULTS, WORK  # noqa: E402
from bench.runner import measure, run_playbook  # noqa: E402
from bench.stats import ratio, summary  # noqa: E402
from bench.tenants import tenant  # noqa: E402

IMPORT = "intune.autopilot.autopilot_device_import"
INFO = "intune.autopilot.autopilot_device_info"
HASHES = 1000
BATCH_SIZE = 100
DEVICES = 10000
PAGE_SIZE = 100  # the simulator's default page of devices and import records (device_page_size)
HASH_BYTES = 3000  # a real hardware hash is about 4,000 base64 characters
POLL_INTERVAL = 1
IMPORT_SECONDS = 3  # Intune's processing time, shortened
MEMORY_TARGET_MB = 150
WALL_TARGET = 1.2
LATENCY = 0.05  # seconds per page in the second listing run; Graph takes more
BEGIN = ".. BEGIN DEVICE RESULTS (bench/devices.py rewrites everything up to the END marker)"
END = ".. END DEVICE RESULTS"

TENANTS = {"import": tenant("dev-import"), "one_by_one": tenant("dev-import-one-by-one"),
           "info": tenant("dev-info")}


def tenants():
    return list(TENANTS.values())


def configure(config):
    """Give this section's tenants their device knobs in the simulator's --config."""
    knobs = {TENANTS["import"].tenant_id: {"import_seconds": IMPORT_SECONDS},
             TENANTS["one_by_one"].tenant_id: {"import_seconds": IMPORT_SECONDS},
             TENANTS["info"].tenant_id: {"devices": DEVICES}}
    for entry in config["tenants"]:
        entry.update(knobs.get(entry["tenant_id"], {}))
    return config


def write_csv(path, prefix):
    """A Get-WindowsAutopilotInfo CSV of HASHES devices with hashes of realistic size."""
    with open(path, "w", newline="") as handle:
        handle.write("Device Serial Number,Windows Product ID,Hardware Hash\r\n")
        for i in range(HASHES):
            handle.write("%s-%04d,,%s\r\n" % (prefix, i, base64.b64encode(os.urandom(HASH_BYTES)).decode()))
    return path


def _args_file(bench, name, t, **extra):
    path = bench.path("devices", name + ".json")
    with open(path, "w") as handle:
        json.dump(dict({"tenant_id": t.tenant_id, "client_id": t.client_id, "client_secret": t.client_secret,
                        "url": bench.sim.url, "ca_path": bench.sim.ca_path}, **extra), handle)
    return path


def _json_line(text):
    lines = [line for line in text.splitlines() if line.startswith("{")]
    return json.loads(lines[-1]) if lines else {}


def poll_rounds(entries, gap=0.5):
    """The reads of import records grouped into polls: a poll's reads follow each other within ``gap``."""
    rounds, last = [], None
    for entry in entries:
        moment = report_seconds(entry["time"])
        if last is None or moment - last > gap:
            rounds.append(0)
        rounds[-1] += 1
        last = moment
    return rounds


def report_seconds(text):
    """A simulator log time (Graph style, seven fractional digits) as POSIX seconds."""
    return calendar.timegm(time.strptime(text[:19], "%Y-%m-%dT%H:%M:%S")) + float("0." + text[20:26])


# -- (a) 1,000 hardware hashes --------------------------------------------------------------------
def bulk_import(bench):
    t = TENANTS["import"]
    cwd = os.path.dirname(bench.path("devices", "x"))
    csv_path = write_csv(bench.path("devices", "import.csv"), "BENCH-BATCH")
    task = {"name": "import", IMPORT: {"csv_path": csv_path, "batch_size": BATCH_SIZE, "sync": False,
                                       "poll_interval": POLL_INTERVAL, "wait_timeout": 600}}
    play = playbooks.write(bench.path("devices", "import.yml"), playbooks.play(
        1, lambda i: [task], module_defaults=playbooks.connection(t, bench.sim)))
    bench.sim.clear_log()
    measured = run_playbook(play, bench.env(), cwd, sampler_factory=lambda pid: TreeSampler(pid, interval=0.1))
    log = bench.sim.log(tenant=t.tenant_id)
    posts = [e for e in log if e["endpoint"] == "import" and e["method"] == "POST"]
    reads = [e for e in log if e["endpoint"] == "imports" and e["method"] == "GET"]
    rounds = poll_rounds(reads)
    batches = int(math.ceil(HASHES / float(BATCH_SIZE)))
    pages_per_batch = int(math.ceil(BATCH_SIZE / float(PAGE_SIZE)))
    ours = {
        "wall_s": round(measured.wall, 2), "cpu_s": round(measured.cpu, 2),
        "import_requests": len(posts), "import_statuses": sorted(set(e["status"] for e in posts)),
        "polls": len(rounds), "reads_per_poll": rounds, "record_reads": len(reads),
        "deletes": len([e for e in log if e["endpoint"] == "import_record" and e["method"] == "DELETE"]),
        "device_reads": len([e for e in log if e["endpoint"] == "devices"]),
        "requests": len(log), "peak_worker_mb": measured.memory["worker_mb"],
        "records_created": bench.sim.import_stats(t.tenant_id)["records_created"],
    }
    bench.log("devices: import of %d hashes: %d import requests, %d polls (%s reads each), %.1fs"
              % (HASHES, ours["import_requests"], ours["polls"], rounds, measured.wall))
    loop = one_by_one(bench, cwd)
    return {"hashes": HASHES, "batch_size": BATCH_SIZE, "page_size": PAGE_SIZE, "batches": batches,
            "pages_per_batch": pages_per_batch, "import_seconds": IMPORT_SECONDS,
            "poll_interval": POLL_INTERVAL, "hash_chars": len(base64.b64encode(b"x" * HASH_BYTES)),
            "module": ours, "one_by_one": loop,
            "targets": {
                "import requests <= ceil(%d / batch_size)" % HASHES: ours["import_requests"] <= batches,
                "reads per poll <= pages of the batches polled": max(rounds) <= batches * pages_per_batch,
            }}


def one_by_one(bench, cwd):
    t = TENANTS["one_by_one"]
    args = _args_file(bench, "one_by_one", t, csv_path=write_csv(bench.path("devices", "loop.csv"), "BENCH-LOOP"),
                      poll_interval=POLL_INTERVAL)
    bench.sim.clear_log()
    measured = measure([str(PYTHON), str(PROBES / "import_one_by_one.py"), args], dict(os.environ), cwd=cwd)
    if measured.rc != 0:
        raise RuntimeError("import_one_by_one.py failed:\n%s" % measured.output[-3000:])
    inner = _json_line(measured.output)
    inner.update(wall_s=round(measured.wall, 2), requests=len(bench.sim.log(tenant=t.tenant_id)))
    bench.log("devices: one POST per device: %(posts)d POSTs, %(gets)d GETs, %(deletes)d DELETEs, %(wall_s).1fs"
              % inner)
    return inner


# -- (b) autopilot_device_info over 10,000 devices ---------------------------------------------------
def _listing_plays(bench, t):
    defaults = playbooks.connection(t, bench.sim, os.path.join(bench.work, "caches", "dev-info"))
    return {
        "task": playbooks.write(bench.path("devices", "info.yml"), playbooks.play(
            1, lambda i: [{"name": "list", INFO: {}, "register": "found"}], module_defaults=defaults)),
        "empty": playbooks.write(bench.path("devices", "empty.yml"), playbooks.play(
            0, lambda i: [], module_defaults=defaults)),
    }


def _listing_samples(bench, t, plays, cwd):
    """Task, empty play and paging loop, interleaved, bench.options.reps times each."""
    paging = [str(PYTHON), str(PROBES / "requests_paging.py"), _args_file(bench, "paging", t)]
    env = bench.env()
    samples = {"task": [], "empty": [], "paging": []}
    for rep in range(bench.options.reps):
        for key in (("task", "empty", "paging") if rep % 2 == 0 else ("paging", "empty", "task")):
            bench.sim.clear_log()
            if key == "paging":
                inner = _json_line(measure(paging, dict(os.environ), cwd=cwd).output)
                samples[key].append({"wall_s": inner["seconds"], "pages": inner["pages"]})
                continue
            measured = run_playbook(plays[key], env, cwd, sampler_factory=lambda pid: TreeSampler(pid, interval=0.05))
            samples[key].append({"wall_s": measured.wall, "memory": measured.memory,
                                 "requests": bench.sim.count(tenant=t.tenant_id)})
    return samples


def _listing_figures(samples):
    task, empty = summary([s["wall_s"] for s in samples["task"]], 3), summary([s["wall_s"] for s in samples["empty"]], 3)
    loop = summary([s["wall_s"] for s in samples["paging"]], 3)
    marginal = round(task["median"] - empty["median"], 3)
    return {"task_wall_s": task, "empty_play_wall_s": empty, "marginal_wall_s": marginal, "paging_loop_wall_s": loop,
            "marginal_vs_paging_loop": ratio(marginal, loop["median"]),
            "requests_per_task": samples["task"][-1]["requests"], "pages": samples["paging"][-1]["pages"]}


def listing(bench):
    """On loopback (an answer in about a millisecond: the worst case for any fixed cost), then with every
    page answered LATENCY seconds late, a conservative stand-in for Graph's own time per page."""
    t = TENANTS["info"]
    cwd = os.path.dirname(bench.path("devices", "x"))
    plays = _listing_plays(bench, t)
    run_playbook(plays["task"], bench.env(), cwd)  # warm-up: bytecode, the discovery cache
    loopback = _listing_samples(bench, t, plays, cwd)
    bench.sim.add_fault(kind="slow", tenant=t.tenant_id, endpoint="devices", count=-1, delay=LATENCY)
    try:
        slow = _listing_samples(bench, t, plays, cwd)
    finally:
        bench.sim.clear_faults()
    result = {"devices": DEVICES, "page_size": PAGE_SIZE, "repetitions": bench.options.reps, "latency_s": LATENCY,
              "loopback": _listing_figures(loopback), "with_latency": _listing_figures(slow),
              "peak_worker_mb": summary([s["memory"]["worker_mb"] for s in loopback["task"] + slow["task"]], 1),
              "peak_main_mb": summary([s["memory"]["main_mb"] for s in loopback["task"] + slow["task"]], 1)}
    figures = result["loopback"]
    result["targets"] = {
        "device requests = pages": figures["requests_per_task"].get("devices") == figures["pages"],
        "peak memory of the task (its worker) < %d MB" % MEMORY_TARGET_MB: result["peak_worker_mb"]["max"] < MEMORY_TARGET_MB,
        "marginal wall <= %sx the paging loop, loopback" % WALL_TARGET: figures["marginal_vs_paging_loop"] <= WALL_TARGET,
        "marginal wall <= %sx the paging loop, %d ms per page" % (WALL_TARGET, LATENCY * 1000):
            result["with_latency"]["marginal_vs_paging_loop"] <= WALL_TARGET,
    }
    for name in ("loopback", "with_latency"):
        f = result[name]
        bench.log("devices: info over %d devices (%s): %s requests, marginal %.2fs vs paging loop %.2fs (%sx)"
                  % (DEVICES, name, f["requests_per_task"], f["marginal_wall_s"], f["paging_loop_wall_s"]["median"],
                     f["marginal_vs_paging_loop"]))
    bench.log("devices: worker peak RSS %.0f MB" % result["peak_worker_mb"]["max"])
    return result


def run(bench):
    results = {"import": bulk_import(bench), "info": listing(bench)}
    publish(results, bench)
    return results


# -- output ----------------------------------------------------------------------------------------
def rst(results, meta):
    imp, info = results["import"], results["info"]
    ours, loop = imp["module"], imp["one_by_one"]
    lines = ["Last run: %s, %s CPU(s), Python %s, ansible-core %s." % (
        meta["started_at"], meta["machine"].get("cpus"), meta["machine"].get("python"),
        meta["machine"].get("ansible_core")), ""]
    lines.append("**%d hardware hashes** (%d base64 characters each, batch_size %d, pages of %d, Intune's "
                 "processing shortened to %d s, poll_interval %d s):" % (
                     imp["hashes"], imp["hash_chars"], imp["batch_size"], imp["page_size"], imp["import_seconds"],
                     imp["poll_interval"]))
    lines.append("")
    lines.append(report.list_table(
        ["", "autopilot_device_import", "one POST per device (Import-AutopilotCSV)"],
        [["import requests", ours["import_requests"], loop["posts"]],
         ["reads of import records", "%d (%d polls: %s per poll)" % (
             ours["record_reads"], ours["polls"], ", ".join(str(n) for n in ours["reads_per_poll"])),
          "%d (one GET per device and poll)" % loop["gets"]],
         ["deletions", ours["deletes"], loop["deletes"]],
         ["all requests (token, device lookup included)", ours["requests"], loop["requests"]],
         ["wall time, s", ours["wall_s"], loop["wall_s"]]], [34, 33, 33]))
    lines.append("")
    lines.append("**autopilot_device_info over %d devices** (in-process door, pages of %d, median of %d runs; "
                 "marginal = the play with the task minus the same play empty):" % (
                     info["devices"], info["page_size"], info["repetitions"]))
    lines.append("")
    fast, late = info["loopback"], info["with_latency"]
    lines.append(report.list_table(
        ["", "loopback", "every page %d ms late" % (info["latency_s"] * 1000)],
        [["device requests of the task (pages)"] + ["%s (%s)" % (f["requests_per_task"].get("devices"), f["pages"])
                                                    for f in (fast, late)],
         ["marginal wall time of the task, s"] + [f["marginal_wall_s"] for f in (fast, late)],
         ["bare requests paging loop (token + pages), s"] + [f["paging_loop_wall_s"]["median"] for f in (fast, late)],
         ["task / loop"] + ["%sx" % f["marginal_vs_paging_loop"] for f in (fast, late)]], [50, 25, 25]))
    lines.append("")
    lines.append("Peak RSS of the worker process that ran the task: %s MB (shared pages of the controller "
                 "included); of the controller's main process, which receives the result: %s MB."
                 % (info["peak_worker_mb"]["max"], info["peak_main_mb"]["max"]))
    lines.append("")
    targets = dict(imp["targets"], **info["targets"])
    verdicts = ("``%s``: %s" % (name, "met" if ok else "**missed**") for name, ok in targets.items())
    lines.append("Targets: " + "; ".join(verdicts) + ".")
    return "\n".join(lines) + "\n"


def write_doc(results, meta):
    text = DOC.read_text()
    start, end = text.index(BEGIN), text.index(END)
    DOC.write_text(text[:start] + BEGIN + "\n\n" + rst(results, meta) + "\n" + text[end:])


def publish(results, bench):
    from bench.run import machine
    meta = {"started_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "machine": machine()}
    os.makedirs(str(RESULTS), exist_ok=True)
    with open(str(RESULTS / "devices.json"), "w") as handle:
        json.dump(dict(meta, sections={"devices": results}), handle, indent=2, sort_keys=True)
        handle.write("\n")
    write_doc(results, meta)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=3, help="repetitions of the listing (default 3)")
    options = parser.parse_args(argv)
    options.quick = False
    if not INSTALLED_MANIFEST.exists():
        sys.exit("The collection is not installed: run `make collection`.")
    from bench.context import Bench
    from bench.simulator import SimulatorProcess
    from bench.tenants import simulator_config
    work = WORK / "devices-only"
    shutil.rmtree(str(work), ignore_errors=True)
    os.makedirs(str(work))
    sim = SimulatorProcess(str(work / "simulator"), configure(simulator_config(tenants()))).start()
    try:
        results = run(Bench(sim, work, options))
    finally:
        sim.stop()
    print(json.dumps(results, indent=2, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
