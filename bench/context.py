"""What every section of a benchmark run shares: the simulator, scratch space, settings, a logger."""
import os
import sys
import time

from .runner import clean_environment, write_ansible_cfg


class Bench:
    def __init__(self, sim, work, options, baseline=None):
        self.sim = sim
        self.work = str(work)
        self.options = options
        self.baseline = baseline            # a BaselineCollection or None
        self.ansible_cfg = write_ansible_cfg(self.work)
        self.started = time.monotonic()

    def env(self, collections=None, **extra):
        env = clean_environment(self.ansible_cfg, **({"collections": collections} if collections else {}))
        env.update({k: str(v) for k, v in extra.items()})
        return env

    def path(self, *parts):
        path = os.path.join(self.work, *parts)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        return path

    def log(self, message):
        print("[%6.1fs] %s" % (time.monotonic() - self.started, message), file=sys.stderr, flush=True)
