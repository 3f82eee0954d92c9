"""Thread-safe record of every Entra/Graph request the simulator answered (never secrets)."""
import threading


class RequestLog:
    def __init__(self):
        self._lock = threading.Lock()
        self._entries = []

    def append(self, entry):
        with self._lock:
            self._entries.append(dict(entry))

    def entries(self, tenant=None, endpoint=None):
        with self._lock:
            return [dict(e) for e in self._entries
                    if (tenant is None or e["tenant"] == tenant)
                    and (endpoint is None or e["endpoint"] == endpoint)]

    def clear(self):
        with self._lock:
            self._entries.clear()
