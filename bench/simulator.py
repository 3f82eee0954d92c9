"""The one simulator process of a benchmark run, and a small client for its control API."""
import json
import os
import signal
import ssl
import subprocess
import time
import urllib.request
from collections import Counter

from .paths import PYTHON, SIMULATOR


class SimulatorProcess:
    """``python tests/simulator/server.py`` started with a tenants config; stopped by ``stop()``."""

    def __init__(self, state_dir, config):
        self.state_dir = state_dir
        self.config = config
        self.process = None
        self.url = self.ca_path = None
        self._ssl = None

    def start(self, timeout=60):
        os.makedirs(self.state_dir, exist_ok=True)
        config_path = os.path.join(self.state_dir, "tenants.json")
        with open(config_path, "w") as handle:
            json.dump(self.config, handle)
        ready = os.path.join(self.state_dir, "ready.json")
        if os.path.exists(ready):
            os.remove(ready)
        self.process = subprocess.Popen(
            [str(PYTHON), str(SIMULATOR), "--state-dir", self.state_dir, "--config", config_path,
             "--throttle-seconds", "0", "--sync-seconds", "0"],
            stdout=subprocess.DEVNULL, stderr=open(os.path.join(self.state_dir, "stderr.log"), "w"))
        deadline = time.monotonic() + timeout
        while not os.path.exists(ready):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("the simulator did not start; see %s/stderr.log" % self.state_dir)
            time.sleep(0.05)
        with open(ready) as handle:
            info = json.load(handle)
        self.url, self.ca_path = info["url"], info["ca_path"]
        self._ssl = ssl.create_default_context(cafile=self.ca_path)
        return self

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    # -- control API ---------------------------------------------------------
    def _call(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.url + path, data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, context=self._ssl, timeout=60) as response:
            return json.loads(response.read() or b"{}")

    def log(self, tenant=None, endpoint=None):
        query = "&".join("%s=%s" % (k, v) for k, v in (("tenant", tenant), ("endpoint", endpoint)) if v)
        return self._call("GET", "/_sim/log" + ("?" + query if query else ""))["entries"]

    def clear_log(self):
        self._call("DELETE", "/_sim/log")

    def count(self, tenant=None):
        """Requests in the log by endpoint (discovery, token, settings, sync, ...)."""
        return dict(Counter(entry["endpoint"] for entry in self.log(tenant=tenant)))

    def add_fault(self, **fault):
        """A simulator fault (see tests/simulator/README.md), e.g. kind="slow", delay=0.05, count=-1."""
        self._call("POST", "/_sim/faults", fault)

    def clear_faults(self):
        self._call("DELETE", "/_sim/faults")

    def import_stats(self, tenant_id):
        """The simulator's import counters of a tenant (requests, records_created, records, ...)."""
        answer = self._call("GET", "/_sim/tenants/%s/imports" % tenant_id)
        answer.pop("imports", None)
        return answer

    def statuses(self, tenant, endpoint):
        return dict(Counter(str(entry["status"]) for entry in self.log(tenant=tenant, endpoint=endpoint)))

    def cpu_seconds(self):
        """User + system CPU time the simulator process has used so far."""
        with open("/proc/%d/stat" % self.process.pid) as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
