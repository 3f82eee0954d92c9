"""Bad input fails before any network call, with a message that names the option.

All cases of one module run as tasks of one playbook (``ignore_errors``), so
dozens of cases cost two ansible-playbook start-ups. Every task points
``authority_host`` and ``graph_endpoint`` at the simulator under a path that
names its case (``/bad-input-NN``): any request a case made would show in the
simulator's log under that path. A last control task with valid options proves
that such requests do show.
"""

import pytest

from helpers import graph_time
from simulator.pki import make_client_certificate

SETTINGS = "intune.autopilot.windows_autopilot_settings"
SYNC = "intune.autopilot.autopilot_sync"
DROP = object()  # remove the option from the task


class Files:
    """Certificate and token files, good and broken, in one directory."""

    def __init__(self, directory):
        good = make_client_certificate(directory / "good")
        other = make_client_certificate(directory / "other")
        encrypted = make_client_certificate(directory / "encrypted", pem_password="pem-pass")
        expired = make_client_certificate(directory / "expired", expired=True)
        self.pem, self.pfx, self.pfx_password = good.pem_path, good.pfx_path, good.password
        self.encrypted_pem = encrypted.pem_path
        self.expired_pem = expired.pem_path

        def write(name, text):
            path = directory / name
            path.write_text(text)
            return str(path)

        self.cert_only = write("cert-only.pem", good.cert_pem)
        self.key_only = write("key-only.pem", good.key_pem)
        self.mismatched = write("mismatched.pem", good.key_pem + other.cert_pem)
        self.garbage_pem = write("garbage.pem",
                                 "-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n")
        self.empty = write("empty.pem", "")
        self.empty_token = write("empty-token", "")
        self.directory = str(directory)
        self.missing = str(directory / "does-not-exist.pem")


def settings_cases(f, sim):
    """(case, overrides, task environment, what the msg must name) for windows_autopilot_settings."""
    plain_http = sim.url.replace("https://", "http://")
    return [
        ("timeout is not a number", {"timeout": "soon"}, {}, "timeout"),
        ("timeout is negative", {"timeout": -5}, {}, "timeout"),
        ("timeout is a fraction", {"timeout": 1.5}, {}, "timeout"),
        ("max_retries above the limit", {"max_retries": 11}, {}, "max_retries"),
        ("validate_certs is not a boolean", {"validate_certs": "maybe"}, {}, "validate_certs"),
        ("cloud is not in the list", {"cloud": "mars"}, {}, "cloud"),
        ("tenant_id is the common alias", {"tenant_id": "common"}, {}, "tenant_id"),
        ("tenant_id is malformed", {"tenant_id": "not a tenant!"}, {}, "tenant_id"),
        ("authority_host is http", {"authority_host": plain_http}, {}, "authority_host"),
        ("authority_host has no host", {"authority_host": "https://"}, {}, "authority_host"),
        ("graph_endpoint has a query", {"graph_endpoint": sim.url + "/?api=beta"}, {}, "graph_endpoint"),
        ("client_secret missing for auth_method client_secret",
         {"auth_method": "client_secret", "client_secret": DROP}, {}, "client_secret"),
        ("certificate path is a directory",
         {"client_secret": DROP, "client_certificate_path": f.directory}, {}, "client_certificate_path"),
        ("certificate PEM is malformed",
         {"client_secret": DROP, "client_certificate_path": f.garbage_pem}, {}, "client_certificate_path"),
        ("certificate PEM has a key but no certificate",
         {"client_secret": DROP, "client_certificate_path": f.key_only}, {}, "client_certificate_path"),
        ("certificate PEM is encrypted but no password",
         {"client_secret": DROP, "client_certificate_path": f.encrypted_pem}, {}, "client_certificate_password"),
        ("certificate has expired",
         {"client_secret": DROP, "client_certificate_path": f.expired_pem}, {}, "client_certificate_path"),
        ("federated_token_file does not exist",
         {"client_secret": DROP, "federated_token_file": f.missing}, {}, "federated_token_file"),
        ("workload identity without federated_token_file",
         {"auth_method": "workload_identity", "client_secret": DROP}, {}, "federated_token_file"),
        ("ca_path does not exist", {"ca_path": f.missing}, {}, "ca_path"),
        ("no credential at all", {"client_secret": DROP}, {}, "client_secret"),
        ("unknown option", {"tenant": "contoso.onmicrosoft.com"}, {}, "tenant"),
        ("AZURE_CLOUD_ENVIRONMENT is not a cloud", {}, {"AZURE_CLOUD_ENVIRONMENT": "AzureGermanCloud"},
         "AZURE_CLOUD_ENVIRONMENT"),
    ]


def sync_cases(f, sim):
    """The same for autopilot_sync: its own options, and more of the shared ones."""
    plain_http = sim.url.replace("https://", "http://")
    return [
        ("poll_interval is zero", {"poll_interval": 0}, {}, "poll_interval"),
        ("poll_interval is not a number", {"poll_interval": "ten"}, {}, "poll_interval"),
        ("wait_timeout is negative", {"wait_timeout": -1}, {}, "wait_timeout"),
        ("skip_if_synced_within is negative", {"skip_if_synced_within": -5}, {}, "skip_if_synced_within"),
        ("if_in_progress is not a choice", {"if_in_progress": "later"}, {}, "if_in_progress"),
        ("if_throttled is not a choice", {"if_throttled": "retry"}, {}, "if_throttled"),
        ("wait is not a boolean", {"wait": "perhaps"}, {}, "wait"),
        ("timeout is zero", {"timeout": 0}, {}, "timeout"),
        ("max_retries is negative", {"max_retries": -1}, {}, "max_retries"),
        ("max_retries is not a number", {"max_retries": "many"}, {}, "max_retries"),
        ("auth_method is not a choice", {"auth_method": "password"}, {}, "auth_method"),
        ("tenant_id is the organizations alias", {"tenant_id": "organizations"}, {}, "tenant_id"),
        ("tenant_id is a short GUID", {"tenant_id": "12345678-1234-1234-1234-12345678"}, {}, "tenant_id"),
        ("graph_endpoint is http", {"graph_endpoint": plain_http}, {}, "graph_endpoint"),
        ("graph_endpoint is ftp", {"graph_endpoint": "ftp://graph.microsoft.com"}, {}, "graph_endpoint"),
        ("client_secret and certificate both set with auto",
         {"client_certificate_path": f.pem}, {}, "client_certificate_path"),
        ("client_id empty", {"auth_method": "client_secret", "client_id": ""}, {}, "client_id"),
        ("certificate file does not exist",
         {"auth_method": "client_certificate", "client_secret": DROP, "client_certificate_path": f.missing},
         {}, "client_certificate_path"),
        ("certificate file is empty",
         {"client_secret": DROP, "client_certificate_path": f.empty}, {}, "client_certificate_path"),
        ("certificate PEM has no key",
         {"client_secret": DROP, "client_certificate_path": f.cert_only}, {}, "client_certificate_path"),
        ("certificate key and certificate do not match",
         {"client_secret": DROP, "client_certificate_path": f.mismatched}, {}, "client_certificate_path"),
        ("PFX password is wrong",
         {"client_secret": DROP, "client_certificate_path": f.pfx, "client_certificate_password": "not-it"},
         {}, "client_certificate_password"),
        ("PFX password is missing",
         {"client_secret": DROP, "client_certificate_path": f.pfx}, {}, "client_certificate_password"),
        ("access_token empty for auth_method access_token",
         {"auth_method": "access_token", "access_token": ""}, {}, "access_token"),
        ("only username and password in the environment",
         {"tenant_id": DROP, "client_id": DROP, "client_secret": DROP},
         {"AZURE_TENANT_ID": "contoso.onmicrosoft.com", "AZURE_AD_USER": "admin@contoso.onmicrosoft.com",
          "AZURE_PASSWORD": "user-password"}, "AZURE_AD_USER"),
        ("cloud in the environment is not a cloud", {}, {"AZURE_CLOUD_ENVIRONMENT": "AzureStackCloud"},
         "AZURE_CLOUD_ENVIRONMENT"),
    ]


def case_task(module, number, case, tenant):
    name, overrides, environment, _option = case
    marker = "%s/bad-input-%s-%02d" % (tenant.sim.url, module.rsplit(".", 1)[1], number)
    options = dict(tenant.connection, authority_host=marker, graph_endpoint=marker)
    for key, value in overrides.items():
        if value is DROP:
            options.pop(key, None)
        else:
            options[key] = value
    task = {"name": "%02d %s" % (number, name), module: options, "ignore_errors": True}
    if environment:
        task["environment"] = environment
    return task


@pytest.mark.parametrize("module,cases", [(SETTINGS, settings_cases), (SYNC, sync_cases)],
                         ids=["windows_autopilot_settings", "autopilot_sync"])
def test_bad_input_fails_before_any_network_call(make_tenant, run_playbook, tmp_path, module, cases):
    tenant = make_tenant()
    tenant.sim.set_settings(tenant.tenant_id, lastManualSyncTriggerDateTime=graph_time(3600))
    table = cases(Files(tmp_path), tenant.sim)
    control = make_tenant()
    control_marker = "%s/bad-input-control" % tenant.sim.url
    tasks = [case_task(module, number, case, tenant) for number, case in enumerate(table, 1)]
    tasks.append({"name": "control", module: dict(control.connection, authority_host=control_marker,
                                                  graph_endpoint=control_marker, max_retries=0),
                  "ignore_errors": True})
    log_before = len(tenant.sim.log())

    run = run_playbook(tasks)

    new_entries = tenant.sim.log()[log_before:]
    problems = []
    for number, (name, _overrides, _environment, option) in enumerate(table, 1):
        task = "%02d %s" % (number, name)
        recorded = run.result(task)
        result = recorded["result"]
        marker = "/bad-input-%s-%02d" % (module.rsplit(".", 1)[1], number)
        requests = [e["path"] for e in new_entries if e["path"].startswith(marker + "/")]
        if recorded["status"] != "failed":
            problems.append("%s: did not fail: %s" % (task, result))
            continue
        message = result.get("msg", "")
        if option not in message:
            problems.append("%s: msg does not name %s: %s" % (task, option, message))
        if "Traceback" in message:
            problems.append("%s: traceback in msg" % task)
        if requests:
            problems.append("%s: made network requests first: %s" % (task, requests))
    assert problems == [], "\n".join(problems)

    # Nothing reached the simulator for the cases' tenant, whatever the path...
    assert tenant.log() == []
    stray = [e for e in new_entries if e["tenant"] in (None, tenant.tenant_id)
             and not e["path"].startswith("/bad-input-control/")]
    assert stray == []
    # ...and a request with valid options would have been seen: the check above can fail.
    assert any(e["path"].startswith("/bad-input-control/") for e in new_entries)
    assert "Traceback (most recent call last)" not in run.stdout + run.stderr


def test_empty_federated_token_file_fails_before_any_network_call(tenant, run_playbook, tmp_path):
    token_file = tmp_path / "federated-token"
    token_file.write_text("")
    connection = dict(tenant.connection, federated_token_file=str(token_file))
    del connection["client_secret"]
    run = run_playbook([{"name": "read", SETTINGS: connection, "ignore_errors": True}])

    failed = run.result("read")
    assert failed["status"] == "failed"
    assert "federated_token_file" in failed["result"]["msg"]
    assert tenant.log() == []
