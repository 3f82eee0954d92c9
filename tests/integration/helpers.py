"""Small helpers shared by the integration tests."""

import base64
import datetime
import time
import uuid
from pathlib import Path

DOCS = Path(__file__).resolve().parents[2] / "docs" / "docsite" / "rst"
# The documented switch that sends a task through the module door: on the command line of a run.
FORCE_MODULE = ["-e", "intune_autopilot_in_process=false"]


def graph_time(seconds_ago):
    """A Graph timestamp (seven fractional digits) ``seconds_ago`` seconds before now."""
    moment = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=seconds_ago)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f") + "1Z"


def parse_z(text):
    """Parse a timestamp returned by the modules (ISO 8601, UTC, trailing Z)."""
    assert text.endswith("Z"), text
    return datetime.datetime.fromisoformat(text[:-1] + "+00:00")


def graph_requests(log):
    """Only the Graph requests of a simulator log (no discovery or token calls)."""
    return [(e["method"], e["endpoint"]) for e in log if e["endpoint"] in ("settings", "sync")]


def log_seconds(entry):
    """A simulator log entry's wall-clock time as a POSIX timestamp (float)."""
    text = entry["time"]  # Graph style: 2026-11-23T11:05:19.1234567Z
    moment = datetime.datetime.fromisoformat(text[:26] + "+00:00")
    return moment.timestamp()


def wait_for_log(tenant, endpoint, count, timeout=10.0):
    """The tenant's log for ``endpoint`` once it holds ``count`` entries (or after ``timeout``).

    A request the simulator answers slowly is logged when it is answered, which
    can be after the client gave up on it and the playbook ended.
    """
    deadline = time.monotonic() + timeout
    entries = tenant.log(endpoint)
    while len(entries) < count and time.monotonic() < deadline:
        time.sleep(0.1)
        entries = tenant.log(endpoint)
    return entries


def connections_opened(sim):
    """TCP connections the simulator has accepted so far, on all three listeners.

    TLS handshakes that fail never reach the request log, so this counter is the
    only way to count them. It reads the simulator's private connection counter.
    """
    return sim._next_connection


def a_hash():
    """A distinct hardware hash: base64 of random bytes, greppable in any output."""
    return base64.b64encode(b"HWH" + uuid.uuid4().bytes * 8).decode()


def serials(prefix, count):
    """``count`` serial numbers no other test uses."""
    tag = uuid.uuid4().hex[:6].upper()
    return ["%s-%s-%03d" % (prefix, tag, i) for i in range(count)]


def devices(serial_numbers, **extra):
    """autopilot_device_import's ``devices`` for these serials, each with its own hash."""
    return [dict(serial_number=s, hardware_hash=a_hash(), **extra) for s in serial_numbers]


def write_csv(path, rows, encoding="utf-8", header="Device Serial Number,Windows Product ID,Hardware Hash,Group Tag"):
    """As Get-WindowsAutopilotInfo writes it: no quotes, CRLF; "utf-16" (Windows PowerShell's Out-File)
    and "utf-8-sig" start with a byte order mark."""
    lines = [header] + [",".join([d["serial_number"], "", d["hardware_hash"], d.get("group_tag", "")])
                        for d in rows]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
    return str(path)


def documented_block(page, first_line):
    """The code block of a docs page (docs/docsite/rst) whose first line is ``first_line``, dedented."""
    text = (DOCS / page).read_text()
    found = text.index(first_line)
    line_start = text.rindex("\n", 0, found) + 1
    margin = found - line_start  # the block's indentation
    lines = []
    for line in text[line_start:].splitlines():
        if line.strip() and not line.startswith(" " * margin):
            break
        lines.append(line[margin:])
    return "\n".join(lines).rstrip() + "\n"
