"""The shipped playbooks over an inventory of tenants: never the wrong tenant, one fleet report.

Real ``ansible-playbook intune.autopilot.report`` / ``intune.autopilot.sync`` runs, one
inventory host per simulated tenant, credentials as host variables or, like an AWX Azure
credential, in the AZURE_* environment.
"""

import csv
import json
import math
import re
import subprocess
import uuid
from pathlib import Path

import pytest
import yaml

from ansible_env import BIN, ansible_environment
from helpers import devices, documented_block, graph_time, parse_z, serials, write_csv

READ_ONLY = ["DeviceManagementServiceConfig.Read.All"]
ROOT = Path(__file__).resolve().parents[2]


class FleetRun:
    def __init__(self, process, results):
        self.rc = process.returncode
        self.stdout = process.stdout
        self.stderr = process.stderr
        self.results = results

    def host_result(self, task_name, host):
        # A role's task is named "<role> : <name>".
        matches = [r for r in self.results if r["task"].split(" : ")[-1] == task_name and r["host"] == host]
        assert matches, "no result of %r for %s; rc=%s\n%s\n%s" % (task_name, host, self.rc, self.stdout,
                                                                   self.stderr)
        return matches[-1]

    def table(self):
        """The fleet table's lines as printed by the report task."""
        result = [r for r in self.results if r["task"].endswith("Print the fleet report")]
        assert len(result) == 1, self.stdout
        return result[0]["result"]["msg"]

    def custom_stats(self):
        match = re.search(r"CUSTOM STATS: \*+\s*RUN: (\{.*\})\s*$", self.stdout, re.MULTILINE)
        assert match, self.stdout
        return json.loads(match.group(1))

    def recap(self):
        """{host: {"ok": n, "changed": n, ...}} from the PLAY RECAP."""
        lines = re.findall(r"^(\S+) +: ((?:\w+=\d+ *)+)$", self.stdout.split("PLAY RECAP", 1)[-1], re.MULTILINE)
        assert lines, self.stdout
        return dict((host, dict((k, int(v)) for k, v in re.findall(r"(\w+)=(\d+)", counts))) for host, counts in lines)

    def results_with(self, text):
        """The tasks whose result message holds ``text``: where a message was printed."""
        return [(r["task"].split(" : ")[-1], r["host"]) for r in self.results if text in str(r["result"].get("msg", ""))]


def host_vars(tenant, **extra):
    values = {"intune_tenant_id": tenant.tenant_id, "intune_client_id": tenant.client_id,
              "intune_client_secret": tenant.secret}
    values.update(extra)
    return values


@pytest.fixture
def run_shipped(tmp_path, sim):
    """Run a shipped playbook over ``hosts`` ({name: host vars}) or, with None, on localhost."""

    def run(playbook, hosts=None, env=None, extra_vars=None, check=False, limit=None, select="tenants",
            vault_password_file=None):
        record = tmp_path / "results.jsonl"
        if record.exists():
            record.unlink()
        variables = {"autopilot_graph_endpoint": sim.url, "autopilot_authority_host": sim.url,
                     "autopilot_ca_path": sim.ca_path}
        command = [str(BIN / "ansible-playbook"), playbook]
        if hosts is not None:
            inventory = tmp_path / "tenants.yml"
            inventory.write_text(yaml.safe_dump({"tenants": {
                "vars": {"ansible_connection": "local", "ansible_python_interpreter": str(BIN / "python")},
                "hosts": hosts}}))
            command += ["-i", str(inventory)]
            if select:  # else the playbook's own default
                variables["autopilot_hosts"] = select
        else:
            variables["ansible_python_interpreter"] = str(BIN / "python")
        variables.update(extra_vars or {})
        command += ["-e", json.dumps(variables)]
        if check:
            command.append("--check")
        if limit:
            command += ["--limit", limit]
        if vault_password_file:
            command += ["--vault-password-file", str(vault_password_file)]
        environment = ansible_environment(XDG_CACHE_HOME=str(tmp_path / "cache"),
                                          RECORD_RESULTS_FILE=str(record), ANSIBLE_SHOW_CUSTOM_STATS="true")
        environment.update(env or {})
        process = subprocess.run(command, env=environment, capture_output=True, text=True, timeout=300,
                                 check=False)
        results = [json.loads(line) for line in record.read_text().splitlines()] if record.exists() else []
        return FleetRun(process, results)

    return run


# Where the environment's tenant is meant.
OPT_IN = {"intune_tenant_from_environment": True}
# The task of each playbook that fails, after the fleet report, the hosts whose row failed.
LAST_TASK = {"intune.autopilot.report": "Fail the tenants that could not be read or that break a rule",
             "intune.autopilot.sync": "Fail the tenants that could not be synced",
             "intune.autopilot.import": "Fail the tenants whose import failed"}
# The columns of each playbook's report: the table's header, the CSV header, every row's keys.
COLUMNS = {
    "intune.autopilot.report": ["host", "tenant", "tenant_id", "status", "last_sync", "last_manual_trigger",
                                "next_allowed_sync", "graph_permissions", "failed", "warnings"],
    "intune.autopilot.sync": ["host", "tenant", "tenant_id", "outcome", "status", "last_sync", "last_manual_trigger",
                              "next_allowed_sync", "graph_permissions", "failed", "warnings"],
    "intune.autopilot.import": ["host", "tenant", "tenant_id", "imported", "already_registered", "failed_rows", "sync",
                                "graph_permissions", "failed", "warnings"],
}


def table_cells(table):
    """The printed table (its header line first) as {host: {column: text}}."""
    header = [cell.strip() for cell in table[1].split(" | ")]
    return dict((cells[0], dict(zip(header, cells))) for cells in
                ([cell.strip() for cell in line.split(" | ")] for line in table[2:]))


def assert_one_layout(playbook, run, csv_path, json_path):
    """The table, the CSV file, the JSON file and set_stats have the same columns, in the same order."""
    columns = COLUMNS[playbook]
    assert [cell.strip() for cell in run.table()[1].split(" | ")] == columns, run.table()[1]
    with open(str(csv_path), newline="") as handle:
        assert next(csv.reader(handle)) == columns
    rows = json.loads(json_path.read_text())
    assert all(list(row) == columns for row in rows), rows
    assert run.custom_stats() == {"autopilot_report": rows}
    return rows


def awx_credential(tenant, tenant_value=None):
    """The environment AWX's Azure credential injects (here the tenant's own app)."""
    return {"AZURE_TENANT_ID": tenant_value or tenant.tenant_id, "AZURE_CLIENT_ID": tenant.client_id,
            "AZURE_CLIENT_SECRET": tenant.secret}


@pytest.mark.parametrize("playbook", ["intune.autopilot.report", "intune.autopilot.sync"])
def test_misspelled_tenant_variable_fails_and_reaches_no_tenant(make_tenant, run_shipped, playbook):
    home, misspelled, first, second = (make_tenant() for _tenant in range(4))
    run = run_shipped(playbook, hosts={
        "first": host_vars(first),
        "typo": {"intune_tennant_id": misspelled.tenant_id},
        "second": host_vars(second),
    }, env=awx_credential(home))

    assert run.rc != 0
    failure = run.host_result("Make sure the host names its own tenant", "typo")
    assert failure["status"] == "failed"
    message = failure["result"]["msg"]
    assert "sets no intune_tenant_id" in message and "intune_tennant_id" in message, message
    # Printed once, where it happened; the host's row keeps it and its last task fails it without repeating it.
    assert run.results_with(message) == [("Make sure the host names its own tenant", "typo")]
    rows = dict((row["host"], row) for row in run.custom_stats()["autopilot_report"])
    assert rows["typo"]["warnings"] == [message] and rows["typo"]["failed"] is True
    last = run.host_result(LAST_TASK[playbook], "typo")
    assert last["status"] == "failed" and "printed above" in last["result"]["msg"], last
    # Nothing went to the credential's home tenant nor to the one the typo meant.
    assert home.log() == [] and misspelled.log() == []
    # The other tenants were served, and every host is in the one table.
    assert first.log("settings") and second.log("settings")
    table = "\n".join(run.table())
    for host, tenant in (("first", first), ("second", second)):
        assert re.search(r"^%s +\| %s +\| %s " % (host, tenant.tenant_id, tenant.tenant_id), table, re.MULTILINE), table
    assert re.search(r"^typo +\| - +\| - +\| error ", table, re.MULTILINE), table


@pytest.mark.parametrize("inventory", ["limit-to-the-typo", "lone-host-with-a-typo", "lone-host-with-a-typo-opting-in"])
def test_a_lone_host_with_a_misspelled_tenant_variable_fails_too(make_tenant, run_shipped, inventory):
    """--limit to one host of a fleet, or a one-host inventory with a typo, even one that opts in to the
    environment's tenant: the environment's credential must not stand in for the tenant the host meant."""
    home, misspelled, other = (make_tenant() for _tenant in range(3))
    hosts = {"typo": {"intune_tennant_id": misspelled.tenant_id}}
    if inventory == "limit-to-the-typo":
        hosts["other"] = host_vars(other)
    if inventory.endswith("opting-in"):
        hosts["typo"]["intune_tenant_from_environment"] = True
    run = run_shipped("intune.autopilot.sync", hosts=hosts, env=awx_credential(home), limit="typo")

    assert run.rc != 0
    failure = run.host_result("Make sure the host names its own tenant", "typo")
    assert failure["status"] == "failed"
    assert "intune_tennant_id" in failure["result"]["msg"], failure
    assert home.log() == [] and misspelled.log() == [] and other.log() == []


def test_single_host_takes_the_tenant_from_the_environment(make_tenant, run_shipped):
    tenant = make_tenant(domain="fabrikam-single.onmicrosoft.com")
    run = run_shipped("intune.autopilot.report", env=awx_credential(tenant, "fabrikam-single.onmicrosoft.com"),
                      extra_vars=OPT_IN)

    assert run.rc == 0, run.stdout
    result = run.host_result("Read the Autopilot settings", "localhost")["result"]
    assert result["tenant"] == "fabrikam-single.onmicrosoft.com"
    assert result["tenant_id"] == tenant.tenant_id  # the domain resolved to its GUID
    assert result["graph_permissions"] == ["DeviceManagementServiceConfig.ReadWrite.All"]
    assert tenant.log("settings")
    assert run.table()[0] == "Windows Autopilot sync state (1 tenant)"
    # The role's own check of its arguments reads as what it checks, not as an alarm, when it is ok.
    validation = [r for r in run.results if "Validating arguments against arg spec 'own_tenant'" in r["task"]]
    assert [(r["status"], r["task"].split(" - ", 1)[1]) for r in validation] == [
        ("ok", "Check that the host names its own tenant, or opts in to the environment's")], validation


@pytest.mark.parametrize("playbook", ["intune.autopilot.report", "intune.autopilot.sync"])
def test_the_playbooks_run_on_every_host_of_the_inventory_as_the_surveys_default(make_tenant, run_shipped, playbook):
    """Without autopilot_hosts a playbook runs where its AWX survey's default points: every host."""
    first, second = make_tenant(), make_tenant()
    survey = json.loads((ROOT / "docs" / ("awx_survey_%s.json" % playbook.rsplit(".", 1)[1])).read_text())
    assert [q["default"] for q in survey["spec"] if q["variable"] == "autopilot_hosts"] == ["all"]

    run = run_shipped(playbook, hosts={"first": host_vars(first), "second": host_vars(second)}, select=None)

    assert run.rc == 0, run.stdout + run.stderr
    assert [(row["host"], row["tenant_id"]) for row in run.custom_stats()["autopilot_report"]] == [
        ("first", first.tenant_id), ("second", second.tenant_id)]
    assert "localhost" not in run.recap()


def test_localhost_over_an_inventory_of_tenants_is_told_that_autopilot_hosts_selects_them(make_tenant, run_shipped):
    """autopilot_hosts=localhost with a tenants inventory: the mistake is the hosts, not the tenant variable."""
    home, first, second = make_tenant(), make_tenant(), make_tenant()
    run = run_shipped("intune.autopilot.report", hosts={"first": host_vars(first), "second": host_vars(second)},
                      select="localhost", env=awx_credential(home))

    assert run.rc != 0
    message = run.host_result("Make sure the host names its own tenant", "localhost")["result"]["msg"]
    assert message.startswith("The play runs on the implicit localhost, not on the 2 hosts of the inventory "
                              "(first, second): autopilot_hosts selects them"), message
    assert "localhost sets no intune_tenant_id" in message, message
    assert home.log() == [] and first.log() == [] and second.log() == []


@pytest.mark.parametrize("playbook, opt_in", [("intune.autopilot.report", "host variable"),
                                              ("intune.autopilot.sync", "extra variable")])
def test_a_lone_host_takes_the_environments_tenant_only_when_it_opts_in(make_tenant, run_shipped, playbook, opt_in):
    """A one-host inventory is no sign that the environment's tenant is meant: AWX job slicing gives every
    slice such an inventory. Without intune_tenant_from_environment the host is refused."""
    home = make_tenant()
    refused = run_shipped(playbook, hosts={"customer": {}}, env=awx_credential(home))

    assert refused.rc != 0
    failure = refused.host_result("Make sure the host names its own tenant", "customer")
    assert failure["status"] == "failed"
    assert "set intune_tenant_from_environment: true (a host, group, play or extra variable)" in failure["result"]["msg"]
    assert "autopilot_hosts" not in failure["result"]["msg"]  # the host was selected: no word about selecting
    assert home.log() == []  # nothing reached Entra ID or Graph

    allowed = run_shipped(playbook, hosts={"customer": OPT_IN if opt_in == "host variable" else {}},
                          env=awx_credential(home), extra_vars=OPT_IN if opt_in == "extra variable" else None)

    assert allowed.rc == 0, allowed.stdout + allowed.stderr
    assert allowed.host_result("Make sure the host names its own tenant", "customer")["status"] == "ok"
    assert [row["tenant_id"] for row in allowed.custom_stats()["autopilot_report"]] == [home.tenant_id]
    assert home.log("settings")


def test_job_slices_of_one_host_each_are_refused_slice_by_slice(make_tenant, run_shipped):
    """AWX slices a 2-host inventory into two jobs, each with a one-host inventory: neither host of the
    fleet, lacking intune_tenant_id, reaches the credential's tenant; each slice reports its own host."""
    home = make_tenant()
    for host in ("first", "second"):
        run = run_shipped("intune.autopilot.sync", hosts={host: {}}, env=awx_credential(home))

        assert run.rc != 0
        assert run.host_result("Make sure the host names its own tenant", host)["status"] == "failed"
        assert [(row["host"], row["outcome"]) for row in run.custom_stats()["autopilot_report"]] == [(host, "error")]
    assert home.log() == []


def test_five_tenant_report_prints_writes_and_publishes_one_table(make_tenant, run_shipped, tmp_path):
    tenants = [make_tenant(domain="tenant%d-fleet.onmicrosoft.com" % i) for i in range(5)]
    states = [
        dict(lastSyncDateTime=graph_time(3 * 3600), lastManualSyncTriggerDateTime=graph_time(3 * 3600 + 30),
             syncStatus="completed"),
        dict(lastSyncDateTime=graph_time(5 * 3600), lastManualSyncTriggerDateTime=graph_time(5 * 3600 + 60),
             syncStatus="failed"),
        dict(lastSyncDateTime=graph_time(90), lastManualSyncTriggerDateTime=graph_time(120),
             syncStatus="completed"),
        dict(lastSyncDateTime=graph_time(240), lastManualSyncTriggerDateTime=graph_time(300),
             syncStatus="completed"),
        dict(syncStatus="unknown"),
    ]
    for tenant, state in zip(tenants, states):
        tenant.sim.set_settings(tenant.tenant_id, **state)
    csv_path, json_path = tmp_path / "fleet.csv", tmp_path / "fleet.json"
    hosts = dict(("customer%d" % i, host_vars(t, intune_tenant_id="tenant%d-fleet.onmicrosoft.com" % i))
                 for i, t in enumerate(tenants))

    run = run_shipped("intune.autopilot.report", hosts=hosts,
                      extra_vars={"autopilot_report_csv": str(csv_path), "autopilot_report_json": str(json_path)})

    assert run.rc == 0, run.stdout + run.stderr
    table = run.table()
    print("\n".join(table))
    assert table[0] == "Windows Autopilot sync state (5 tenants)"
    assert len(table) == 7 and len(set(len(line.rsplit("|", 1)[0]) for line in table[1:])) == 1, table
    rows = assert_one_layout("intune.autopilot.report", run, csv_path, json_path)
    assert [row["host"] for row in rows] == ["customer%d" % i for i in range(5)]
    assert [row["tenant"] for row in rows] == ["tenant%d-fleet.onmicrosoft.com" % i for i in range(5)]
    assert [row["tenant_id"] for row in rows] == [t.tenant_id for t in tenants]
    assert [row["graph_permissions"] for row in rows] == [["DeviceManagementServiceConfig.ReadWrite.All"]] * 5
    assert [row["status"] for row in rows] == ["completed", "failed", "completed", "completed", "unknown"]
    assert [row["failed"] for row in rows] == [False] * 5
    assert rows[1]["warnings"] == ["last sync failed"] and rows[0]["warnings"] == []
    # A timestamp or null (allowed now): never a word. The word is the table's.
    allowed_now = [row["next_allowed_sync"] is None for row in rows]
    assert allowed_now == [True, True, False, False, True], rows
    assert all(parse_z(row["next_allowed_sync"]) for row in rows if row["next_allowed_sync"] is not None)
    cells = table_cells(table)
    assert [cells["customer%d" % i]["next_allowed_sync"] == "now" for i in range(5)] == allowed_now, table
    assert rows[4]["last_sync"] is None and cells["customer4"]["last_sync"] == "never", table
    with csv_path.open(newline="") as handle:
        records = list(csv.DictReader(handle))
    assert [r["host"] for r in records] == [row["host"] for row in rows]
    assert [r["tenant"] for r in records] == [row["tenant"] for row in rows]
    assert records[1]["warnings"] == "last sync failed" and records[4]["last_sync"] == ""
    assert [r["next_allowed_sync"] for r in records] == [row["next_allowed_sync"] or "" for row in rows]
    assert [r["failed"] for r in records] == ["false"] * 5
    assert records[0]["graph_permissions"] == "DeviceManagementServiceConfig.ReadWrite.All"
    # Writing the files changed no tenant.
    assert all(counts["changed"] == 0 for counts in run.recap().values()), run.recap()
    # The failed sync warns in the module's own result too, naming the tenant (a warning has no host).
    warning = run.host_result("Read the Autopilot settings", "customer1")["result"]["warnings"]
    assert any(w.startswith("The last Windows Autopilot sync of tenant tenant1-fleet.onmicrosoft.com (%s) failed "
                            "(last sync 20" % tenants[1].tenant_id) for w in warning), warning


def test_an_error_is_printed_once_cut_in_the_table_and_whole_in_the_files(make_tenant, run_shipped, tmp_path):
    good, wrong = make_tenant(), make_tenant()
    csv_path, json_path = tmp_path / "fleet.csv", tmp_path / "fleet.json"
    run = run_shipped("intune.autopilot.report", hosts={
        "good": host_vars(good), "wrong": host_vars(wrong, intune_client_secret="not-the-secret")},
        extra_vars={"autopilot_report_csv": str(csv_path), "autopilot_report_json": str(json_path)})

    assert run.rc != 0
    error = run.host_result("Read the Autopilot settings", "wrong")["result"]["msg"]
    assert "AADSTS7000215" in error and len(error) > 100, error
    # Printed where it happened; the last task fails the host without printing it again.
    assert run.results_with(error) == [("Read the Autopilot settings", "wrong")]
    rows = dict((row["host"], row) for row in assert_one_layout("intune.autopilot.report", run, csv_path, json_path))
    assert rows["wrong"]["warnings"] == [error] and rows["wrong"]["failed"] is True
    with csv_path.open(newline="") as handle:
        assert [r["warnings"] for r in csv.DictReader(handle)] == ["", error]
    # The table cuts the long cell to 60 characters; the files keep the whole text.
    cells = table_cells(run.table())
    assert cells["wrong"]["warnings"] == error[:57] + "...", cells
    assert max(len(text) for row in cells.values() for text in row.values()) == 60
    assert (cells["wrong"]["status"], cells["wrong"]["next_allowed_sync"]) == ("error", "-"), cells


@pytest.mark.parametrize("layout", ["inventory host_vars", "project wrapper"])
def test_one_app_per_customer_with_a_vaulted_secret_reaches_each_tenant_with_its_own_app(
        make_tenant, run_shipped, tmp_path, layout):
    """The MSP setup of scale.rst and awx.rst: every customer its own app registration, client_id and secret
    as host variables, one secret vault-encrypted with ansible-vault encrypt_string, in the inventory's
    host_vars (scale.rst) or in the project beside the wrapper playbook of awx.rst (an AWX project)."""
    home = make_tenant()  # the environment's credential, which no host may fall back to
    domains = dict(("customer%d" % i, "customer%d-%s.onmicrosoft.com" % (i, uuid.uuid4().hex[:8])) for i in range(3))
    customers = dict((name, make_tenant(domain=domain)) for name, domain in domains.items())
    password_file = tmp_path / "vault-pass"
    password_file.write_text("vault-password-for-the-test\n")
    vaulted = customers["customer2"]
    encrypted = subprocess.run(
        [str(BIN / "ansible-vault"), "encrypt_string", "--vault-password-file", str(password_file),
         "--stdin-name", "intune_client_secret"],
        input=vaulted.secret, env=ansible_environment(), capture_output=True, text=True, check=True).stdout
    assert encrypted.startswith("intune_client_secret: !vault |") and vaulted.secret not in encrypted
    if layout == "inventory host_vars":
        (tmp_path / "host_vars").mkdir()
        (tmp_path / "host_vars" / "customer2.yml").write_text(encrypted)  # beside the inventory
        playbook = "intune.autopilot.sync"
    else:
        secrets = tmp_path / "project" / "secrets"
        secrets.mkdir(parents=True)
        (secrets / "customer2.yml").write_text(encrypted)
        for name in ("customer0", "customer1"):  # their secrets are in the inventory: empty files
            (secrets / ("%s.yml" % name)).write_text("{}\n")
        playbook = tmp_path / "project" / "sync_customers.yml"
        playbook.write_text(documented_block("awx.rst", "# sync_customers.yml in the project"))
    hosts = dict((name, host_vars(t, intune_tenant_id=domains[name])) for name, t in customers.items())
    del hosts["customer2"]["intune_client_secret"]

    run = run_shipped(str(playbook), hosts=hosts, env=awx_credential(home), vault_password_file=password_file)

    assert run.rc == 0, run.stdout + run.stderr
    rows = run.custom_stats()["autopilot_report"]
    assert [(row["host"], row["tenant_id"], row["outcome"]) for row in rows] == [
        (name, t.tenant_id, "triggered") for name, t in customers.items()]
    for tenant in customers.values():
        # The token, the sync and the read of each tenant: all with that tenant's own app.
        calls = [(e["endpoint"], e["client_id"]) for e in tenant.log() if e["endpoint"] != "discovery"]
        assert calls == [("token", tenant.client_id), ("sync", tenant.client_id), ("token", tenant.client_id),
                         ("settings", tenant.client_id)], calls
    assert home.log() == []
    assert vaulted.secret not in run.stdout + run.stderr


def test_report_fails_the_tenants_that_break_the_rules(make_tenant, run_shipped):
    fresh, failed, stale, never = (make_tenant() for _tenant in range(4))
    fresh.sim.set_settings(fresh.tenant_id, lastSyncDateTime=graph_time(600), syncStatus="completed")
    failed.sim.set_settings(failed.tenant_id, lastSyncDateTime=graph_time(600), syncStatus="failed")
    stale.sim.set_settings(stale.tenant_id, lastSyncDateTime=graph_time(3 * 86400), syncStatus="completed")
    never.sim.set_settings(never.tenant_id, syncStatus="unknown")
    hosts = {"fresh": host_vars(fresh), "failed": host_vars(failed), "stale": host_vars(stale),
             "never": host_vars(never)}

    lenient = run_shipped("intune.autopilot.report", hosts=hosts)
    strict = run_shipped("intune.autopilot.report", hosts=hosts,
                         extra_vars={"autopilot_fail_on_failed_sync": True, "autopilot_max_sync_age": 86400})

    assert lenient.rc == 0, lenient.stdout
    assert strict.rc != 0
    task = "Fail the tenants that could not be read or that break a rule"
    assert strict.host_result(task, "fresh")["status"] == "skipped"
    messages = dict((h, strict.host_result(task, h)["result"].get("msg", "")) for h in ("failed", "stale", "never"))
    assert "autopilot_fail_on_failed_sync" in messages["failed"], messages
    assert re.search(r"last sync \d+ s ago, older than autopilot_max_sync_age=86400", messages["stale"]), messages
    assert "never synced (autopilot_max_sync_age=86400)" in messages["never"], messages
    assert all(strict.host_result(task, h)["status"] == "failed" for h in messages)


def test_sync_playbook_prints_each_outcome_and_a_real_status(make_tenant, run_shipped):
    ready, throttled = make_tenant(), make_tenant()
    ready.sim.set_settings(ready.tenant_id, lastSyncDateTime=graph_time(7200),
                           lastManualSyncTriggerDateTime=graph_time(7230), syncStatus="completed")
    throttled.sim.set_settings(throttled.tenant_id, lastSyncDateTime=graph_time(60),
                               lastManualSyncTriggerDateTime=graph_time(90), syncStatus="completed")

    run = run_shipped("intune.autopilot.sync", hosts={"ready": host_vars(ready), "throttled": host_vars(throttled)})

    assert run.rc == 0, run.stdout
    cells = table_cells(run.table())
    assert (cells["ready"]["tenant_id"], cells["ready"]["outcome"]) == (ready.tenant_id, "triggered"), cells
    assert cells["ready"]["status"] in ("inProgress", "completed"), cells
    assert (cells["throttled"]["tenant_id"], cells["throttled"]["outcome"], cells["throttled"]["status"]) == (
        throttled.tenant_id, "throttled", "completed"), cells
    assert re.match(r"20\d\d-\d\d-\d\dT\d\d:\d\d:\d\dZ$", cells["throttled"]["next_allowed_sync"]), cells
    rows = run.custom_stats()["autopilot_report"]
    assert [row["outcome"] for row in rows] == ["triggered", "throttled"]
    # The sync is the only change: one per tenant that was synced.
    assert dict((host, counts["changed"]) for host, counts in run.recap().items()) == {"ready": 1, "throttled": 0}


@pytest.mark.parametrize("door", ["in_process", "module"])
def test_the_sync_and_the_settings_read_report_one_next_allowed_time(make_tenant, run_shipped, door):
    """The sync's 429 (here with a Retry-After) and the settings read that follows: the same time, the last
    trigger plus 10 minutes on Graph's clock, in whole seconds rounded up, on both doors."""
    throttled = make_tenant()
    trigger = graph_time(90)  # seven fractional digits, as Graph writes them
    throttled.sim.set_settings(throttled.tenant_id, lastManualSyncTriggerDateTime=trigger, syncStatus="completed")

    run = run_shipped("intune.autopilot.sync", hosts={"throttled": host_vars(throttled)},
                      extra_vars={"intune_autopilot_in_process": door == "in_process"})

    assert run.rc == 0, run.stdout
    window_end = math.ceil(parse_z(trigger[:26] + "Z").timestamp() + 600)
    synced = run.host_result("Trigger the Autopilot sync", "throttled")["result"]
    read = run.host_result("Read the Autopilot settings", "throttled")["result"]
    assert synced["outcome"] == "throttled"
    assert synced["manual_sync_allowed_at"] == read["manual_sync_allowed_at"], (synced, read)
    assert parse_z(read["manual_sync_allowed_at"]).timestamp() == window_end
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", read["manual_sync_allowed_at"])
    assert run.custom_stats()["autopilot_report"][0]["next_allowed_sync"] == read["manual_sync_allowed_at"]
    assert table_cells(run.table())["throttled"]["next_allowed_sync"] == read["manual_sync_allowed_at"]


def test_check_mode_predicts_the_403_of_a_read_only_app(make_tenant, run_playbook):
    tenant = make_tenant()
    client_id = tenant.sim.add_app(tenant.tenant_id, secret="read-only-secret", roles=READ_ONLY)
    connection = dict(tenant.connection, client_id=client_id, client_secret="read-only-secret")
    tasks = [{"name": "sync", "intune.autopilot.autopilot_sync": {}, "register": "sync"}]

    predicted = run_playbook(tasks, module_defaults=connection, check=True)
    real = run_playbook(tasks, module_defaults=connection)

    predicted_result = predicted.result("sync")["result"]
    real_result = real.result("sync")["result"]
    assert predicted.rc != 0 and real.rc != 0
    assert predicted_result["msg"].startswith("Graph would answer 403 Forbidden (predicted in check mode")
    assert real_result["msg"].startswith("Graph answered 403 Forbidden")
    hint = "The app lacks permission. Grant it the Microsoft Graph application permission"
    assert hint in predicted_result["msg"] and hint in real_result["msg"]
    assert predicted_result["error"]["status"] == real_result["error"]["status"] == 403
    # A failed result names its tenant too, and shows the roles that explain the 403.
    for result in (predicted_result, real_result):
        assert result["tenant"] == result["tenant_id"] == tenant.tenant_id
        assert result["graph_permissions"] == READ_ONLY
    # Only the real run sent the sync request.
    assert len(tenant.requests("POST", "sync")) == 1


def test_check_mode_with_a_sync_role_still_predicts_a_trigger(tenant, run_playbook):
    tenant.sim.set_settings(tenant.tenant_id, lastSyncDateTime=graph_time(7200), syncStatus="completed")
    run = run_playbook([{"name": "sync", "intune.autopilot.autopilot_sync": {}, "register": "sync"}],
                       module_defaults=tenant.connection, check=True)

    result = run.result("sync")["result"]
    assert run.rc == 0 and result["outcome"] == "triggered"
    assert result["graph_permissions"] == ["DeviceManagementServiceConfig.ReadWrite.All"]
    assert result["tenant_id"] == result["tenant"] == tenant.tenant_id


def test_given_access_token_names_its_tenant_and_roles(tenant, run_playbook):
    token = tenant.sim.mint_access_token(tenant.tenant_id, tenant.client_id, roles=READ_ONLY)
    connection = {"access_token": token, "graph_endpoint": tenant.sim.url, "ca_path": tenant.sim.ca_path}
    run = run_playbook([{"name": "read", "intune.autopilot.windows_autopilot_settings": {}}],
                       module_defaults=connection)

    result = run.result("read")["result"]
    assert run.rc == 0, run.stdout
    assert result["tenant"] is None and result["tenant_id"] == tenant.tenant_id
    assert result["graph_permissions"] == READ_ONLY


def test_sync_warns_when_the_last_sync_it_read_failed(tenant, run_playbook):
    tenant.sim.set_settings(tenant.tenant_id, lastSyncDateTime=graph_time(600), syncStatus="failed")
    run = run_playbook([{"name": "sync", "intune.autopilot.autopilot_sync": {"skip_if_synced_within": 3600}}],
                       module_defaults=tenant.connection)

    result = run.result("sync")["result"]
    assert result["outcome"] == "recently_synced"
    assert any("sync of tenant %s failed" % tenant.tenant_id in w for w in result["warnings"]), result


def test_unknown_app_message_carries_the_admin_consent_url(tenant, run_playbook):
    unknown = "0badc0de-0000-4000-8000-000000000001"
    run = run_playbook([{"name": "read", "intune.autopilot.windows_autopilot_settings": {}}],
                       module_defaults=dict(tenant.connection, client_id=unknown))

    message = run.result("read")["result"]["msg"]
    assert "AADSTS700016" in message
    assert "%s/%s/adminconsent?client_id=%s" % (tenant.sim.url, tenant.tenant_id, unknown) in message, message


@pytest.mark.parametrize("name", ["report", "sync"])
def test_awx_survey_specs_ask_only_for_variables_the_playbook_reads(name):
    root = ROOT
    survey = json.loads((root / "docs" / ("awx_survey_%s.json" % name)).read_text())
    # The playbook and the guard it imports from the fleet role.
    sources = (root / "playbooks" / ("%s.yml" % name), root / "roles" / "fleet" / "tasks" / "own_tenant.yml")
    playbook = "\n".join(path.read_text() for path in sources)
    assert survey["name"] == "intune.autopilot.%s" % name and survey["spec"]
    for question in survey["spec"]:
        assert question["type"] in ("text", "integer", "multiplechoice"), question
        # Every optional variable is read as "<name> | default(...)".
        assert re.search(r"\b%s \| default\(" % question["variable"], playbook), question
        if question["type"] == "multiplechoice":
            assert question["default"] in question["choices"], question
        if question["type"] == "integer":
            assert question["min"] <= question["default"] <= question["max"], question


def test_an_unreachable_host_has_its_row_and_fails(make_tenant, run_shipped):
    reachable, behind_ssh = make_tenant(), make_tenant()
    run = run_shipped("intune.autopilot.report", hosts={
        "reachable": host_vars(reachable),
        # Inventory connection settings win over the play's "connection: local": nothing listens on port 9.
        "offline": host_vars(behind_ssh, ansible_connection="ssh", ansible_host="127.0.0.1", ansible_port=9),
    })

    assert run.rc != 0
    rows = dict((row["host"], row) for row in run.custom_stats()["autopilot_report"])
    assert (rows["reachable"]["status"], rows["reachable"]["failed"]) == ("unknown", False)
    assert (rows["offline"]["status"], rows["offline"]["failed"]) == ("error", True)
    assert rows["offline"]["warnings"] and behind_ssh.log() == []


def test_sync_playbook_check_mode_predicts_each_outcome_and_still_writes_the_report(make_tenant, run_shipped,
                                                                                    tmp_path):
    allowed, read_only = make_tenant(), make_tenant()
    allowed.sim.set_settings(allowed.tenant_id, lastSyncDateTime=graph_time(7200), syncStatus="completed")
    reader = read_only.sim.add_app(read_only.tenant_id, secret="reader-secret", roles=READ_ONLY)
    json_path = tmp_path / "predicted.json"

    run = run_shipped("intune.autopilot.sync", check=True, extra_vars={"autopilot_report_json": str(json_path)},
                      hosts={"allowed": host_vars(allowed),
                             "read_only": host_vars(read_only, intune_client_id=reader,
                                                    intune_client_secret="reader-secret")})

    assert run.rc != 0
    rows = dict((row["host"], row) for row in json.loads(json_path.read_text()))
    assert rows["allowed"]["outcome"] == "triggered" and not rows["allowed"]["failed"]
    assert rows["read_only"]["outcome"] == "error" and rows["read_only"]["failed"]
    assert rows["read_only"]["warnings"][0].startswith("Graph would answer 403 Forbidden"), rows
    assert allowed.requests("POST", "sync") == [] and read_only.requests("POST", "sync") == []


def test_max_sync_age_is_judged_on_graphs_clock(make_tenant, run_shipped):
    """Graph 15 minutes behind the controller: a sync 86,000 s old on Graph's clock is within a day,
    although the controller's own clock would make it 86,900 s old."""
    tenant = make_tenant(clock_offset=-900)
    tenant.sim.set_settings(tenant.tenant_id, lastSyncDateTime=graph_time(900 + 86000), syncStatus="completed")
    run = run_shipped("intune.autopilot.report", hosts={"behind": host_vars(tenant)},
                      extra_vars={"autopilot_max_sync_age": 86400})

    assert run.rc == 0, run.stdout
    assert run.host_result("Fail the tenants that could not be read or that break a rule", "behind")["status"] == "skipped"


def test_import_playbook_over_three_tenants_prints_one_table(make_tenant, run_shipped, tmp_path):
    fresh, partly, foreign_owner = (make_tenant(import_seconds=1) for _tenant in range(3))
    clashing = make_tenant(import_seconds=1)
    new_rows, known_rows, clash_rows = devices(serials("NEW", 2)), devices(serials("OLD", 2)), devices(serials("X", 1))
    partly.sim.add_devices(partly.tenant_id, [{"serialNumber": known_rows[0]["serial_number"]}])
    foreign_owner.sim.add_devices(foreign_owner.tenant_id, [{"serialNumber": clash_rows[0]["serial_number"]}])
    files = [write_csv(tmp_path / ("%s.csv" % name), rows, encoding)
             for name, rows, encoding in (("fresh", new_rows, "utf-16"), ("partly", known_rows, "utf-8-sig"),
                                          ("clashing", clash_rows, "utf-8"))]
    json_path, csv_path = tmp_path / "import.json", tmp_path / "import.csv"

    run = run_shipped("intune.autopilot.import", hosts={
        "fresh": host_vars(fresh, intune_autopilot_csv=files[0]),
        "partly": host_vars(partly, intune_autopilot_csv=files[1]),
        "clashing": host_vars(clashing, intune_autopilot_csv=files[2]),
    }, extra_vars={"autopilot_report_json": str(json_path), "autopilot_report_csv": str(csv_path)})

    assert run.rc != 0  # the clashing tenant's 808 fails that host, after its row was recorded
    table = run.table()
    print("\n".join(table))
    assert table[0] == "Windows Autopilot device import (3 tenants)"
    rows = dict((row["host"], row) for row in assert_one_layout("intune.autopilot.import", run, csv_path, json_path))
    counts = dict((h, (int(r["imported"]), int(r["already_registered"]), int(r["failed_rows"]))) for h, r in rows.items())
    assert counts == {"fresh": (2, 0, 0), "partly": (1, 1, 0), "clashing": (0, 0, 1)}
    assert [rows[h]["tenant_id"] for h in ("fresh", "partly", "clashing")] == [
        fresh.tenant_id, partly.tenant_id, clashing.tenant_id]
    assert rows["fresh"]["sync"] == rows["partly"]["sync"] == "triggered"
    assert rows["clashing"]["sync"] == "not needed" and rows["clashing"]["failed"]
    assert "ZtdDeviceAssignedToOtherTenant" in rows["clashing"]["warnings"][0]
    with csv_path.open() as handle:
        assert [r["host"] for r in csv.DictReader(handle)] == list(rows)
    # The report's files are no change: the recap counts the imports only, as in the other playbooks.
    writes = [r for r in run.results if r["task"].endswith(("Write the report as CSV", "Write the report as JSON"))]
    assert [(r["status"], r["result"]["changed"]) for r in writes] == [("ok", False)] * 2, writes
    assert run.host_result("Fail the tenants whose import failed", "fresh")["status"] == "skipped"
    assert run.host_result("Fail the tenants whose import failed", "clashing")["status"] == "failed"
    # Each tenant got its own file's devices and nothing else.
    assert [(t.sim.import_stats(t.tenant_id)["records_created"], t.sim.import_stats(t.tenant_id)["records"])
            for t in (fresh, partly, clashing)] == [(2, 0), (1, 0), (1, 0)]
    assert foreign_owner.log() == []


def test_import_playbook_fails_a_host_without_its_csv_before_any_request(make_tenant, run_shipped):
    tenant = make_tenant()
    run = run_shipped("intune.autopilot.import", hosts={"nocsv": host_vars(tenant)})

    assert run.rc != 0
    failure = run.host_result("Make sure the host names its CSV file", "nocsv")
    assert failure["status"] == "failed" and "sets no intune_autopilot_csv" in failure["result"]["msg"]
    assert tenant.log() == []
