"""The plays the benchmark runs: the collection's modules and their hand-written uri equivalents.

A *unit* is one thing a user wants done: one settings read or one sync
trigger. With the collection it is one task; with ``ansible.builtin.uri`` it
is two (a token POST and the Graph request).
"""
import os

import yaml

SCOPE = "https://graph.microsoft.com/.default"
SETTINGS_PATH = "/beta/deviceManagement/windowsAutopilotSettings"
SETTINGS = "intune.autopilot.windows_autopilot_settings"
SYNC = "intune.autopilot.autopilot_sync"


def connection(tenant, sim, cache_path=None, **extra):
    """Connection options of the collection's modules for module_defaults."""
    options = {"tenant_id": tenant.tenant_id, "client_id": tenant.client_id,
               "client_secret": tenant.client_secret, "authority_host": sim.url,
               "graph_endpoint": sim.url, "ca_path": sim.ca_path}
    if cache_path:
        options["cache_path"] = cache_path
    options.update(extra)
    return options


def uri_vars(tenant, sim):
    return {"tenant_id": tenant.tenant_id, "client_id": tenant.client_id,
            "client_secret": tenant.client_secret, "authority_host": sim.url,
            "graph_endpoint": sim.url, "ca_path": sim.ca_path}


def _token_task(i):
    return {"name": "token %d" % i,
            "ansible.builtin.uri": {
                "url": "{{ authority_host }}/{{ tenant_id }}/oauth2/v2.0/token",
                "method": "POST",
                "body_format": "form-urlencoded",
                "body": {"grant_type": "client_credentials", "client_id": "{{ client_id }}",
                         "client_secret": "{{ client_secret }}", "scope": SCOPE},
                "ca_path": "{{ ca_path }}"},
            "register": "token",
            "no_log": True}


def uri_read(i):
    return [_token_task(i), {
        "name": "read %d" % i,
        "ansible.builtin.uri": {
            "url": "{{ graph_endpoint }}" + SETTINGS_PATH,
            "headers": {"Authorization": "Bearer {{ token.json.access_token }}"},
            "ca_path": "{{ ca_path }}"},
        "register": "settings"}]


def uri_sync(i):
    return [_token_task(i), {
        "name": "sync %d" % i,
        "ansible.builtin.uri": {
            "url": "{{ graph_endpoint }}" + SETTINGS_PATH + "/sync",
            "method": "POST",
            "headers": {"Authorization": "Bearer {{ token.json.access_token }}"},
            "status_code": [204, 409, 429],
            "ca_path": "{{ ca_path }}"},
        "register": "sync"}]


def module_unit(fqcn):
    return lambda i: [{"name": "unit %d" % i, fqcn: {}, "register": "result"}]


# The documented switch that sends the collection's tasks to the module door.
MODULE_DOOR = {"intune_autopilot_in_process": False}


def debug(i):
    return [{"name": "debug %d" % i, "ansible.builtin.debug": {"msg": "unit %d" % i}}]


def ping(i):
    return [{"name": "ping %d" % i, "ansible.builtin.ping": {}}]


def play(units, unit_tasks, hosts="localhost", module_defaults=None, play_vars=None, name="bench"):
    tasks = []
    for i in range(units):
        tasks.extend(unit_tasks(i))
    result = {"name": name, "hosts": hosts, "gather_facts": False}
    if module_defaults:
        result["module_defaults"] = {"group/intune.autopilot.graph": module_defaults}
    if play_vars:
        result["vars"] = play_vars
    result["tasks"] = tasks
    return [result]


def write(path, document):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as handle:
        yaml.safe_dump(document, handle, sort_keys=False)
    return path
