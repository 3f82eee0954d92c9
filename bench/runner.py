"""Running ansible-playbook (and other processes) and measuring them.

Every run gets the same clean environment and the same ansible.cfg; the wall
time is measured around the process, CPU time and max RSS come from
``wait4()`` (the process plus every descendant it waited for).
"""
import os
import subprocess
import threading
import time
from collections import namedtuple

from .paths import ANSIBLE_PLAYBOOK, BIN, COLLECTIONS

Measured = namedtuple("Measured", ["wall", "cpu", "maxrss_mb", "rc", "output", "memory", "sim_cpu"])

ANSIBLE_CFG = """\
# Written by bench/run.py; the same file for every variant.
[defaults]
nocolor = True
retry_files_enabled = False
localhost_warning = False
deprecation_warnings = False
local_tmp = {work}/ansible-local
remote_tmp = {work}/ansible-remote

[inventory]
inventory_unparsed_warning = False

[connection]
pipelining = False
"""


def write_ansible_cfg(work):
    path = os.path.join(work, "ansible.cfg")
    with open(path, "w") as handle:
        handle.write(ANSIBLE_CFG.format(work=work))
    return path


def clean_environment(ansible_cfg, collections=COLLECTIONS):
    """This process's environment without Azure credentials or ANSIBLE_* settings of the caller."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("AZURE_", "IDENTITY_", "MSI_", "ANSIBLE_", "INTUNE_"))}
    env.update({
        "PATH": "%s:%s" % (BIN, env.get("PATH", "")),
        "ANSIBLE_CONFIG": str(ansible_cfg),
        "ANSIBLE_COLLECTIONS_PATH": str(collections),
        "ANSIBLE_COLLECTIONS_SCAN_SYS_PATH": "false",
    })
    return env


def measure(command, env, cwd=None, sampler_factory=None, simulator=None, timeout=1800):
    """Run ``command`` to completion; return a Measured."""
    output_path = os.path.join(cwd or ".", ".last-output.txt") if cwd else None
    output = open(output_path, "w+") if output_path else subprocess.DEVNULL
    sim_before = simulator.cpu_seconds() if simulator else None
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, cwd=cwd, stdout=output, stderr=subprocess.STDOUT,
                               stdin=subprocess.DEVNULL)
    sampler = sampler_factory(process.pid) if sampler_factory else None
    if sampler:
        sampler.start()
    killer = threading.Timer(timeout, process.kill)
    killer.start()
    try:
        _pid, status, usage = os.wait4(process.pid, 0)  # blocks; rusage covers the whole waited-for tree
    finally:
        killer.cancel()
    wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    memory = sampler.stop() if sampler else None
    sim_cpu = simulator.cpu_seconds() - sim_before if simulator else None
    text = ""
    if output_path:
        output.seek(0)
        text = output.read()
        output.close()
    return Measured(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024.0, process.returncode,
                    text, memory, sim_cpu)


def run_playbook(playbook, env, cwd, inventory=None, forks=None, extra_args=(), **kwargs):
    command = [str(ANSIBLE_PLAYBOOK), str(playbook)]
    if inventory:
        command += ["-i", str(inventory)]
    if forks:
        command += ["-f", str(forks)]
    command += list(extra_args)
    result = measure(command, env, cwd=cwd, **kwargs)
    if result.rc != 0:
        raise RuntimeError("ansible-playbook %s failed (rc=%s):\n%s" % (playbook, result.rc, result.output[-4000:]))
    return result
