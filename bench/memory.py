"""Peak memory of an ansible-playbook process tree, sampled with psutil.

Processes are sorted into the controller's main process, its forked workers
(same command line, children of the main process), module processes (Python
running an ``AnsiballZ_*.py`` file) and others (``/bin/sh -c`` wrappers).
RSS counts pages shared between forked workers once per process, so the tree
total overstates the physical memory used; it is what ``ps`` and most
monitoring show. The tree's PSS (each shared page split between the
processes sharing it) is the better estimate of the memory really used; it
is sampled less often because it is dearer to read.
"""
import threading

import psutil

MB = 1024.0 * 1024.0
PSS_EVERY = 10  # PSS (shared pages split between their users) costs more to read: every 10th sample


def _pss_mb(pid):
    try:
        with open("/proc/%d/smaps_rollup" % pid) as handle:
            for line in handle:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) / 1024.0
    except (OSError, ValueError):
        pass
    return 0.0


def _kind(process, root_pid):
    if process.pid == root_pid:
        return "main"
    try:
        cmdline = " ".join(process.cmdline())
        name = process.name()
    except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
        return None
    if name in ("sh", "bash", "dash"):
        return "other"  # the /bin/sh -c wrapper around the module's interpreter
    if "AnsiballZ_" in cmdline:
        return "module"
    if "ansible-playbook" in cmdline:
        return "worker"
    return "other"


class TreeSampler(threading.Thread):
    """Samples the tree under ``pid`` every ``interval`` seconds until ``stop()``."""

    def __init__(self, pid, interval=0.1):
        super().__init__(daemon=True)
        self.pid = pid
        self.interval = interval
        self._stop_event = threading.Event()
        self.peak = {"tree_pss_mb": 0.0, "tree_mb": 0.0, "main_mb": 0.0, "worker_mb": 0.0, "module_mb": 0.0,
                     "workers": 0, "modules": 0, "samples": 0}

    def run(self):
        try:
            root = psutil.Process(self.pid)
        except psutil.NoSuchProcess:
            return
        while not self._stop_event.is_set():
            self._sample(root)
            self._stop_event.wait(self.interval)

    def _sample(self, root):
        try:
            processes = [root] + root.children(recursive=True)
        except psutil.NoSuchProcess:
            return
        if self.peak["samples"] % PSS_EVERY == 0:
            pss = sum(_pss_mb(p.pid) for p in processes)
            self.peak["tree_pss_mb"] = max(self.peak["tree_pss_mb"], pss)
        total = 0.0
        counts = {"worker": 0, "module": 0}
        peak = self.peak
        for process in processes:
            try:
                rss = process.memory_info().rss / MB
            except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
                continue
            kind = _kind(process, self.pid)
            if kind is None:
                continue
            total += rss
            if kind == "main":
                peak["main_mb"] = max(peak["main_mb"], rss)
            elif kind in counts:
                counts[kind] += 1
                key = kind + "_mb"
                peak[key] = max(peak[key], rss)
        peak["tree_mb"] = max(peak["tree_mb"], total)
        peak["workers"] = max(peak["workers"], counts["worker"])
        peak["modules"] = max(peak["modules"], counts["module"])
        peak["samples"] += 1

    def stop(self):
        self._stop_event.set()
        self.join(timeout=5)
        return {k: round(v, 1) if isinstance(v, float) else v for k, v in self.peak.items()}
