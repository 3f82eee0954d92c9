#!/usr/bin/env python
"""`make bench`: measure the collection against ping, hand-written uri tasks and the Graph SDK.

One simulator process serves every section. Results go to
bench/results/latest.json, the table in docs/docsite/rst/performance.rst
(between its markers) and the plots in bench/results/. See bench/README.md.
"""
import argparse
import json
import os
import platform
import shutil
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench import baseline as baseline_mod  # noqa: E402
from bench import devices, door_fleet, fleet, marginal, python_cost, report, round_trips, task_profile  # noqa: E402
from bench.context import Bench  # noqa: E402
from bench.paths import COLLECTIONS, INSTALLED_MANIFEST, WORK  # noqa: E402
from bench.simulator import SimulatorProcess  # noqa: E402
from bench.tenants import fleet as fleet_tenants, simulator_config, tenant  # noqa: E402

SECTIONS = ("marginal", "round_trips", "python_cost", "profile", "fleet", "door_fleet", "devices")
# The last commit before the discovery cache and the token cache: the "before" numbers.
DEFAULT_BASELINE_REF = "871bb44"


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="fewer repetitions and no 500-tenant fleet (about 7 minutes instead of 15)")
    parser.add_argument("--reps", type=int, help="repetitions of the marginal-cost plays (default 5, quick 3)")
    parser.add_argument("--units", type=int, default=20, help="tasks (units) per marginal-cost play (default 20)")
    parser.add_argument("--sections", default=",".join(SECTIONS),
                        help="comma-separated subset of: %s" % ", ".join(SECTIONS))
    parser.add_argument("--fleet-sizes", help="comma-separated tenant counts (default 20,100,500; quick 20,100)")
    parser.add_argument("--forks", default="10,50", help="comma-separated fork counts (default 10,50)")
    parser.add_argument("--compare-ref", default=DEFAULT_BASELINE_REF,
                        help="git ref of an earlier collection to measure too ('none' to skip; default %s)"
                        % DEFAULT_BASELINE_REF)
    parser.add_argument("--scaling-forks", default="1,2,5",
                        help="extra fork counts tried on the smallest fleet, to find where throughput stops "
                        "growing (default 1,2,5)")
    parser.add_argument("--pipelining", action="store_true",
                        help="also run ping and windows_autopilot_settings with ANSIBLE_PIPELINING=True")
    parser.add_argument("--from-json", metavar="FILE",
                        help="measure nothing: rewrite the plots and the doc from a results file (e.g. latest.json)")
    parser.add_argument("--no-doc", dest="doc", action="store_false",
                        help="do not rewrite docs/docsite/rst/performance.rst")
    args = parser.parse_args(argv)
    args.sections = [s.strip() for s in args.sections.split(",") if s.strip()]
    unknown = set(args.sections) - set(SECTIONS)
    if unknown:
        parser.error("unknown section(s): %s" % ", ".join(sorted(unknown)))
    args.reps = args.reps or (3 if args.quick else 5)
    args.python_reps = 3 if args.quick else 7
    args.fleet_sizes = ([int(n) for n in args.fleet_sizes.split(",")] if args.fleet_sizes
                        else ([20, 100] if args.quick else [20, 100, 500]))
    args.forks = [int(n) for n in args.forks.split(",")]
    args.scaling_forks = [int(n) for n in args.scaling_forks.split(",") if n.strip()]
    full_reps = {20: 3, 100: 2}

    def fleet_reps(size):
        if args.quick:
            return 1
        return full_reps.get(size, 1 if size >= 500 else 2)

    args.fleet_reps = fleet_reps
    return args


def all_tenants(args):
    names = ["marginal-" + n for n in marginal.MARGINAL_TENANTS]
    names += ["rt-%s-%s" % (m, mode) for m in ("settings", "sync") for mode in ("cold", "warm", "token_cache")]
    names += ["rt-uri_read", "rt-uri_sync", "rt-settings-baseline"]
    names += ["py-module", "py-module_token_cache", "py-msal-requests", "py-sdk"]
    names += ["profile-settings", "profile-settings-tc", "profile-uri"]
    found = [tenant(n) for n in names]
    sizes = (args.fleet_sizes if "fleet" in args.sections else []) + (
        [door_fleet.TENANTS] if "door_fleet" in args.sections else [])
    if sizes:
        found += fleet_tenants(max(sizes))
    if "devices" in args.sections:
        found += devices.tenants()
    return found


def main(argv=None):
    args = parse_args(argv)
    if args.from_json:
        with open(args.from_json) as handle:
            results = json.load(handle)
        report.write_all(results, write_doc=args.doc)
        print(report.summary(results))
        return 0
    if not INSTALLED_MANIFEST.exists():
        sys.exit("The collection is not installed in %s: run `make collection` (or `make bench`)." % COLLECTIONS)
    sys.path.insert(0, str(COLLECTIONS))  # the fleet's discovery pre-warm uses the collection's own cache code
    shutil.rmtree(WORK, ignore_errors=True)
    os.makedirs(WORK)
    started = time.monotonic()
    sim = SimulatorProcess(str(WORK / "simulator"), devices.configure(simulator_config(all_tenants(args)))).start()
    results = {"started_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
               "mode": "quick" if args.quick else "full",
               "machine": machine(), "sections": {}, "section_seconds": {}}
    try:
        base = None
        if args.compare_ref and args.compare_ref.lower() != "none":
            base = baseline_mod.build(args.compare_ref, WORK, lambda m: print(m, file=sys.stderr))
        bench = Bench(sim, WORK, args, baseline=base)
        if base:
            results["baseline"] = {"ref": base.ref, "sha": base.sha, "subject": base.subject}
        runners = {
            "marginal": lambda: marginal.run(bench),
            "round_trips": lambda: round_trips.run(bench),
            "python_cost": lambda: python_cost.run(bench),
            "profile": lambda: task_profile.run(bench, results["sections"].get("marginal")),
            "fleet": lambda: fleet.run(bench),
            "door_fleet": lambda: door_fleet.run(bench),
            "devices": lambda: devices.run(bench),
        }
        for section in SECTIONS:
            if section in args.sections:
                section_started = time.monotonic()
                bench.log("== %s" % section)
                results["sections"][section] = runners[section]()
                results["section_seconds"][section] = round(time.monotonic() - section_started, 1)
    finally:
        sim.stop()
    results["total_seconds"] = round(time.monotonic() - started, 1)
    if set(args.sections) != set(SECTIONS):
        # A partial run must not replace the complete results the doc quotes.
        report.write_partial(results)
        print(report.summary(results).replace("Written: bench/results/latest.json, bench/results/*.png, "
                                              "docs/docsite/rst/performance.rst", "Written: bench/results/partial.json"))
        return 0
    report.write_all(results, write_doc=args.doc)
    print(report.summary(results))
    return 0


def machine():
    import ansible
    info = {"cpus": os.cpu_count(), "python": platform.python_version(), "ansible_core": ansible.__version__,
            "platform": platform.platform()}
    try:
        with open("/proc/cpuinfo") as handle:
            for line in handle:
                if line.startswith("model name"):
                    info["cpu_model"] = line.split(":", 1)[1].strip()
                    break
        info["memory_gb"] = round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024.0 ** 3, 1)
    except (OSError, ValueError):
        pass
    return info


if __name__ == "__main__":
    sys.exit(main())
