"""No secret, key or token ever reaches the output, the log file or a registered result.

Every auth kind runs with ``-vvvv`` and ``log_path`` (ANSIBLE_LOG_PATH), for a
success and for a failure, and every captured byte is searched for the
credential's values. The simulator's tokens are JWTs (``eyJ...``): any JWT in
any output is a leak, whoever issued it.
"""

import base64
import re
import subprocess

import pytest
from cryptography.hazmat.primitives import serialization

from ansible_env import BIN, ansible_environment
from helpers import FORCE_MODULE
from simulator.pki import make_client_certificate

SETTINGS = "intune.autopilot.windows_autopilot_settings"
SYNC = "intune.autopilot.autopilot_sync"
MASK = "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"
JWT = re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*")

# The options that carry a secret value, and therefore must be no_log.
SECRET_OPTIONS = ("client_secret", "client_certificate_password", "access_token")


def pem_body_chunks(pem_text, size=48):
    """Pieces of a PEM's base64 body: any of them in the output means the key leaked."""
    lines = [line for line in pem_text.splitlines() if line and not line.startswith("-----")]
    body = "".join(lines)
    return [body[i:i + size] for i in range(0, len(body) - size, size)] + lines[:3]


def private_key_secrets(cert, pem_password=None):
    """The key as written to disk and as the module decrypts it for MSAL (PKCS#8, unencrypted)."""
    key = serialization.load_pem_private_key(
        cert.key_pem.encode(), password=pem_password.encode() if pem_password else None)
    plain = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                              serialization.NoEncryption()).decode()
    traditional = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                    serialization.NoEncryption()).decode()
    der = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    return (pem_body_chunks(cert.key_pem) + pem_body_chunks(plain) + pem_body_chunks(traditional)
            + [base64.b64encode(der).decode()[:48]])


def find_leaks(sources, secrets):
    """[(where, what)] for every secret value or JWT found in any source text."""
    leaks = []
    for where, text in sources.items():
        for secret in secrets:
            if secret and secret in text:
                leaks.append((where, secret[:12] + "..."))
        for match in JWT.finditer(text):
            leaks.append((where, "JWT " + match.group(0)[:20] + "..."))
    return leaks


def test_find_leaks_catches_what_it_looks_for(tenant):
    """The checker itself: a planted token, a secret and a key piece are all reported."""
    token = tenant.sim.mint_access_token(tenant.tenant_id, tenant.client_id)
    text = "ok: %s and Authorization: Bearer %s" % (tenant.secret, token)
    assert len(find_leaks({"stdout": text}, [tenant.secret])) == 2
    assert find_leaks({"stdout": "nothing to see, ********"}, [tenant.secret]) == []


def endpoints(tenant):
    return {"authority_host": tenant.sim.url, "graph_endpoint": tenant.sim.url, "ca_path": tenant.sim.ca_path}


# Each auth kind: builds (connection options, environment, secrets that must not show, ok?)
def client_secret(tenant, tmp_path):
    return tenant.connection, {}, [tenant.secret], True


def client_secret_from_environment(tenant, tmp_path):
    env = {"AZURE_TENANT_ID": tenant.tenant_id, "AZURE_CLIENT_ID": tenant.client_id,
           "AZURE_CLIENT_SECRET": tenant.secret}
    return endpoints(tenant), env, [tenant.secret], True


def wrong_client_secret(tenant, tmp_path):
    wrong = "wrong-secret-%s-value" % tenant.tenant_id[:8]
    return dict(tenant.connection, client_secret=wrong), {}, [wrong, tenant.secret], False


def certificate_pem_with_password(tenant, tmp_path):
    cert = make_client_certificate(tmp_path, pem_password="pem-pass-%s" % tenant.tenant_id[:8])
    client_id = tenant.sim.add_app(tenant.tenant_id, certificate_pem=cert.cert_pem)
    connection = dict(endpoints(tenant), tenant_id=tenant.tenant_id, client_id=client_id,
                      client_certificate_path=cert.pem_path, client_certificate_password=cert.pem_password)
    return connection, {}, [cert.pem_password] + private_key_secrets(cert, cert.pem_password), True


def certificate_pfx_with_password(tenant, tmp_path):
    cert = make_client_certificate(tmp_path, password="pfx-pass-%s" % tenant.tenant_id[:8])
    client_id = tenant.sim.add_app(tenant.tenant_id, certificate_pem=cert.cert_pem)
    connection = dict(endpoints(tenant), tenant_id=tenant.tenant_id, client_id=client_id,
                      client_certificate_path=cert.pfx_path, client_certificate_password=cert.password)
    return connection, {}, [cert.password] + private_key_secrets(cert), True


def certificate_not_registered(tenant, tmp_path):
    """The key signs a client assertion that Entra rejects (AADSTS700027): a failure after signing."""
    cert = make_client_certificate(tmp_path, password="pfx-pass-%s" % tenant.tenant_id[:8])
    other = make_client_certificate(tmp_path / "other")
    client_id = tenant.sim.add_app(tenant.tenant_id, certificate_pem=other.cert_pem)
    connection = dict(endpoints(tenant), tenant_id=tenant.tenant_id, client_id=client_id,
                      client_certificate_path=cert.pfx_path, client_certificate_password=cert.password)
    return connection, {}, [cert.password] + private_key_secrets(cert), False


def workload_identity(tenant, tmp_path):
    client_id = tenant.sim.add_app(tenant.tenant_id, federated_subject="system:serviceaccount:awx:runner")
    token = tenant.sim.mint_federated_token(tenant.tenant_id, client_id)
    token_file = tmp_path / "federated-token"
    token_file.write_text(token)
    connection = dict(endpoints(tenant), tenant_id=tenant.tenant_id, client_id=client_id,
                      federated_token_file=str(token_file))
    return connection, {}, [token], True


def workload_identity_rejected(tenant, tmp_path):
    client_id = tenant.sim.add_app(tenant.tenant_id, federated_subject="system:serviceaccount:awx:runner")
    token = tenant.sim.mint_federated_token(tenant.tenant_id, client_id, subject="someone-else")
    token_file = tmp_path / "federated-token"
    token_file.write_text(token)
    connection = dict(endpoints(tenant), tenant_id=tenant.tenant_id, client_id=client_id,
                      federated_token_file=str(token_file))
    return connection, {}, [token], False


def managed_identity(tenant, tmp_path):
    tenant.sim.add_managed_identity(tenant.tenant_id)
    env = tenant.sim.managed_identity_env(tenant.tenant_id)
    return dict(endpoints(tenant), auth_method="managed_identity"), env, [env["IDENTITY_HEADER"]], True


def access_token(tenant, tmp_path):
    token = tenant.sim.mint_access_token(tenant.tenant_id, tenant.client_id)
    return dict(endpoints(tenant), access_token=token), {}, [token], True


def expired_access_token(tenant, tmp_path):
    token = tenant.sim.mint_access_token(tenant.tenant_id, tenant.client_id, expires_in=-60)
    return dict(endpoints(tenant), access_token=token), {}, [token], False


AUTH_KINDS = [client_secret, client_secret_from_environment, wrong_client_secret,
              certificate_pem_with_password, certificate_pfx_with_password, certificate_not_registered,
              workload_identity, workload_identity_rejected, managed_identity, access_token,
              expired_access_token]


@pytest.mark.parametrize("kind", AUTH_KINDS, ids=[k.__name__ for k in AUTH_KINDS])
def test_no_secret_in_any_output(tenant, run_playbook, tmp_path, kind, door):
    connection, env, secrets, succeeds = kind(tenant, tmp_path)
    log_file = tmp_path / "ansible.log"
    tasks = [
        {"name": "read", SETTINGS: {}, "register": "read", "ignore_errors": True},
        {"name": "sync", SYNC: {}, "register": "sync", "ignore_errors": True},
        # Print the registered results too: what a user would see with debug.
        {"name": "show", "ansible.builtin.debug": {"var": "[read, sync]"}},
    ]
    run = run_playbook(tasks, module_defaults=connection, extra_args=["-vvvv"],
                       env=dict(env, ANSIBLE_LOG_PATH=str(log_file)))

    # The run did what it should, verbosely, and logged: the search below is not vacuous.
    statuses = [run.result(name)["status"] for name in ("read", "sync")]
    assert statuses == (["ok", "ok"] if succeeds else ["failed", "failed"]), run.stdout[-3000:]
    # -vvvv output of the door that ran: the module's local connection, or the in-process run.
    assert ("ESTABLISH LOCAL CONNECTION" if door == "module" else "runs in the controller") in run.stdout
    log_text = log_file.read_text()
    assert "TASK [read]" in log_text
    assert ("autopilot_settings" if succeeds else "FAILED!") in log_text
    if succeeds:
        assert [e["status"] for e in tenant.log("settings")] == [200]
    else:
        assert "Traceback (most recent call last)" not in run.stdout + run.stderr
    recorded = (tmp_path / "results.jsonl").read_text()

    leaks = find_leaks({"stdout": run.stdout, "stderr": run.stderr, "log_path": log_text,
                        "recorded results": recorded}, secrets)
    assert leaks == []


# -- ~/.netrc: a build host's ``default`` entry matches every host -------------------------------------

NETRC_PASSWORD = "netrc-password-of-the-build-host"
# One working credential per auth_method.
EVERY_AUTH_METHOD = [client_secret, certificate_pfx_with_password, workload_identity, managed_identity,
                     access_token]


@pytest.mark.parametrize("kind", EVERY_AUTH_METHOD, ids=[k.__name__ for k in EVERY_AUTH_METHOD])
def test_a_netrc_default_entry_is_never_sent(tenant, run_playbook, tmp_path, kind):
    """requests sends ~/.netrc's entry on any request without an auth= of its own, over the bearer
    token: the simulator logs the scheme of every Authorization header it got."""
    connection, env, _secrets, _succeeds = kind(tenant, tmp_path)
    home = tmp_path / "home"
    home.mkdir()
    (home / ".netrc").write_text("default login build-user password %s\n" % NETRC_PASSWORD)
    (home / ".netrc").chmod(0o600)
    tasks = [{"name": "read", SETTINGS: {}}, {"name": "sync", SYNC: {}}]
    run = run_playbook(tasks, module_defaults=connection, env=dict(env, HOME=str(home)))

    assert run.rc == 0, run.stdout[-3000:]
    log = tenant.log()
    assert {e["endpoint"] for e in log} >= {"settings", "sync"}
    assert [e["auth_scheme"] for e in log if e["auth_scheme"] == "Basic"] == [], log
    assert {e["auth_scheme"] for e in log if e["endpoint"] in ("settings", "sync")} == {"Bearer"}
    token_requests = [e for e in log if e["endpoint"] in ("discovery", "token", "msi")]
    assert token_requests or kind is access_token  # the token requests were looked at too
    assert NETRC_PASSWORD not in run.stdout + run.stderr


def test_every_secret_option_is_no_log():
    from ansible_collections.intune.autopilot.plugins.module_utils._base._options import (
        connection_argument_spec,
    )
    from ansible_collections.intune.autopilot.plugins.module_utils._autopilot import _sync_core as sync_core

    spec = connection_argument_spec()
    for name in SECRET_OPTIONS:
        assert spec[name].get("no_log") is True, name
    # A new secret-looking option must be added to SECRET_OPTIONS (and be no_log) or be a path.
    everything = sync_core.argument_spec()
    looks_secret = [name for name, option in everything.items()
                    if re.search(r"secret|password|token|key", name) and option.get("type", "str") == "str"]
    assert sorted(looks_secret) == sorted(SECRET_OPTIONS)
    # ...and nothing else is no_log by mistake (that would hide useful values such as tenant_id).
    assert sorted(n for n, o in everything.items() if o.get("no_log")) == sorted(SECRET_OPTIONS)


def test_ansible_masks_every_secret_option_in_the_invocation(tenant, run_playbook):
    token = tenant.sim.mint_access_token(tenant.tenant_id, tenant.client_id)
    given = dict(endpoints(tenant), auth_method="access_token", access_token=token,
                 client_secret="option-secret-value", client_certificate_password="option-password-value")
    tasks = [
        {"name": "options", SETTINGS: given, "register": "options"},
        # Secrets from the environment (AWX credentials) are masked the same way.
        {"name": "from environment", SYNC: dict(endpoints(tenant), auth_method="access_token", access_token=token),
         "environment": {"AZURE_CLIENT_SECRET": "env-secret-value",
                         "AZURE_CLIENT_CERTIFICATE_PASSWORD": "env-password-value"},
         "register": "from_env"},
    ]
    run = run_playbook(tasks, extra_args=["-v"])

    assert run.rc == 0, run.stdout
    for task in ("options", "from environment"):
        module_args = run.result(task)["result"]["invocation"]["module_args"]
        for name in SECRET_OPTIONS:
            assert module_args[name] == MASK, (task, name, module_args[name])
        assert module_args["tenant_id"] is None or MASK not in str(module_args["tenant_id"])
    output = run.stdout + run.stderr
    for value in ("option-secret-value", "option-password-value", "env-secret-value", "env-password-value", token):
        assert value not in output


# -- error texts built from Entra / Graph answers --------------------------------------------------

def test_graph_error_text_echoing_a_token_is_scrubbed(tenant, run_playbook):
    echoed = tenant.sim.mint_access_token(tenant.tenant_id, tenant.client_id)
    tenant.sim.add_fault("status", tenant=tenant.tenant_id, endpoint="settings", status=400, code="BadRequest",
                         message="Token %s is not valid here. Authorization: Bearer %s" % (echoed, echoed))
    run = run_playbook([{"name": "read", SETTINGS: {}, "register": "read"}], module_defaults=tenant.connection,
                       extra_args=["-vvv"])

    result = run.result("read")["result"]
    assert result["error"]["status"] == 400
    assert "is not valid here" in result["msg"] and "********" in result["msg"]
    assert find_leaks({"result": str(result), "output": run.stdout + run.stderr}, [echoed, tenant.secret]) == []


def test_entra_error_text_echoing_the_secret_and_a_token_is_scrubbed(tenant, run_playbook):
    echoed = tenant.sim.mint_access_token(tenant.tenant_id, tenant.client_id)
    tenant.sim.add_fault("status", tenant=tenant.tenant_id, endpoint="token", status=400, code=50000,
                         error="invalid_request",
                         message="Client secret '%s' and assertion %s were not accepted." % (tenant.secret, echoed))
    run = run_playbook([{"name": "read", SETTINGS: {}, "register": "read"}], module_defaults=tenant.connection,
                       extra_args=["-vvv"])

    failed = run.result("read")
    assert failed["status"] == "failed"
    assert "were not accepted" in failed["result"]["msg"]
    assert find_leaks({"result": str(failed["result"]), "output": run.stdout + run.stderr},
                      [echoed, tenant.secret]) == []


def test_managed_identity_error_text_echoing_a_token_is_scrubbed(tenant, run_playbook):
    tenant.sim.add_managed_identity(tenant.tenant_id)
    env = tenant.sim.managed_identity_env(tenant.tenant_id)
    echoed = tenant.sim.mint_access_token(tenant.tenant_id, tenant.client_id)
    tenant.sim.add_fault("status", tenant=tenant.tenant_id, endpoint="msi", status=400,
                         message="Identity not available; last token was %s" % echoed)
    run = run_playbook([{"name": "read", SETTINGS: {}, "register": "read"}],
                       module_defaults=dict(endpoints(tenant), auth_method="managed_identity"), env=env,
                       extra_args=["-vvv"])

    failed = run.result("read")
    assert failed["status"] == "failed"
    assert "Traceback (most recent call last)" not in run.stdout + run.stderr
    assert find_leaks({"result": str(failed["result"]), "output": run.stdout + run.stderr},
                      [echoed, env["IDENTITY_HEADER"]]) == []


def test_token_cache_files_are_private_and_hold_no_credential(tenant, run_playbook, tmp_path):
    """token_cache keeps access tokens on disk (by design): only there, only for the owner."""
    cache = tmp_path / "cache"
    connection = dict(tenant.connection, token_cache=True, cache_path=str(cache))
    run = run_playbook([{"name": "sync", SYNC: {}}, {"name": "read", SETTINGS: {}}],
                       module_defaults=connection, extra_args=["-vvvv"])

    assert run.rc == 0, run.stdout[-3000:]
    assert [e["status"] for e in tenant.log("token")] == [200]  # the second task used the cache
    files = [p for p in cache.rglob("*") if p.is_file()]
    assert files
    # The cache root, every directory in it and every entry are the owner's alone.
    for path in [cache] + list(cache.rglob("*")):
        assert path.stat().st_mode & 0o077 == 0, "%s is open to others: %o" % (path, path.stat().st_mode)
        assert tenant.tenant_id not in path.name and tenant.client_id not in path.name
    for path in files:
        assert tenant.secret not in path.read_text()
    assert find_leaks({"stdout": run.stdout, "stderr": run.stderr}, [tenant.secret]) == []


# -- the in-process door: the worker process is ansible-playbook's own, so its output is the user's ----

@pytest.mark.in_process_only
def test_in_process_failures_at_vvvv_show_no_secret(tenant, run_playbook, tmp_path):
    """Failures that end in the controller's worker, before and after a token was issued, at -vvvv."""
    token = tenant.sim.mint_access_token(tenant.tenant_id, tenant.client_id)
    env_secret = "env-secret-%s-value" % tenant.tenant_id[:8]
    tenant.sim.add_fault("status", tenant=tenant.tenant_id, endpoint="settings", status=403, code="Forbidden",
                         message="Caller token %s lacks the role" % token)
    log_file = tmp_path / "ansible.log"
    tasks = [
        # Validation fails in the action plugin (bad type) with a secret in the options and in the environment.
        {"name": "bad option", SETTINGS: dict(tenant.connection, timeout="soon"), "ignore_errors": True,
         # From the controller's environment, as AWX injects it: not written in the playbook, whose
         # lines ansible-core 2.19 quotes around a failed task.
         "environment": {"AZURE_CLIENT_CERTIFICATE_PASSWORD": "{{ lookup('env', 'HYGIENE_SECRET') }}"}},
        # A token is issued in the worker, then Graph refuses and echoes it.
        {"name": "refused", SETTINGS: tenant.connection, "ignore_errors": True, "register": "refused"},
        {"name": "show", "ansible.builtin.debug": {"var": "refused"}},
    ]
    env = {"ANSIBLE_LOG_PATH": str(log_file), "HYGIENE_SECRET": env_secret}
    run = run_playbook(tasks, extra_args=["-vvvv"], env=env)

    assert [run.result(n)["status"] for n in ("bad option", "refused")] == ["failed", "failed"]
    module_args = run.result("bad option")["result"]["invocation"]["module_args"]
    assert module_args["client_certificate_password"] == MASK  # the fallback did read the task's environment
    assert "runs in the controller" in run.stdout
    assert "timeout" in run.result("bad option")["result"]["msg"]
    assert run.result("refused")["result"]["error"]["status"] == 403
    assert [e["status"] for e in tenant.log("token")] == [200]  # a real token was issued in the worker
    leaks = find_leaks({"stdout": run.stdout, "stderr": run.stderr, "log_path": log_file.read_text(),
                        "recorded results": (tmp_path / "results.jsonl").read_text()},
                       [tenant.secret, env_secret, token])
    assert leaks == []


# -- ad hoc commands: ansible-core 2.19 prints a failed one's arguments under "Origin:", unmasked ----------

UNKNOWN_TENANT = "0badc0de-0000-4000-8000-000000000020"


def ad_hoc(tenant, door, tenant_id, secret, args=None):
    """The ad hoc command of docs/docsite/rst/authentication.rst, every option from the environment."""
    env = ansible_environment(AZURE_TENANT_ID=tenant_id, AZURE_CLIENT_ID=tenant.client_id,
                              AZURE_CLIENT_SECRET=secret, AZURE_AUTHORITY_HOST=tenant.sim.url,
                              INTUNE_AUTOPILOT_GRAPH_ENDPOINT=tenant.sim.url,
                              INTUNE_AUTOPILOT_CA_PATH=tenant.sim.ca_path)
    command = [str(BIN / "ansible"), "localhost", "-m", SETTINGS, "-vvv"]
    command += ["-a", args] if args else []
    command += FORCE_MODULE if door == "module" else []
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=False)


# Each failure: (tenant_id, secret) for the command, and the Entra ID answer that refused it.
AD_HOC_FAILURES = {
    "unknown tenant": (lambda tenant: (UNKNOWN_TENANT, tenant.secret), "AADSTS90002", ("discovery", 400)),
    "wrong secret": (lambda tenant: (tenant.tenant_id, "wrong-%s-secret" % tenant.tenant_id[:8]), "AADSTS7000215",
                     ("token", 401)),
}


def entra_answers(tenant, tenant_id):
    return [(e["endpoint"], e["status"]) for e in tenant.sim.log() if e["path"].startswith("/%s/" % tenant_id)]


@pytest.mark.parametrize("failure", sorted(AD_HOC_FAILURES))
def test_a_failed_ad_hoc_command_shows_no_secret_from_the_environment(tenant, door, failure):
    credentials, code, refusal = AD_HOC_FAILURES[failure]
    tenant_id, secret = credentials(tenant)
    process = ad_hoc(tenant, door, tenant_id, secret)

    output = process.stdout + process.stderr
    assert process.returncode != 0 and "FAILED!" in process.stdout and code in process.stdout, output[-3000:]
    assert entra_answers(tenant, tenant_id)[-1] == refusal  # the secret went as far as this answer
    assert "Origin: <adhoc '%s' task>" % SETTINGS in output  # the line that prints the arguments is there
    assert ("ESTABLISH LOCAL CONNECTION" if door == "module" else "runs in the controller") in output
    assert "Traceback (most recent call last)" not in output
    assert find_leaks({"stdout": process.stdout, "stderr": process.stderr}, [secret, tenant.secret]) == []


def test_a_failed_ad_hoc_command_prints_a_secret_given_with_a(tenant):
    """Why the docs keep secrets out of -a: ansible-core itself shows them, before any module runs."""
    wrong = "wrong-%s-secret" % tenant.tenant_id[:8]
    process = ad_hoc(tenant, "in_process", tenant.tenant_id, tenant.secret, args="client_secret=%s" % wrong)

    assert process.returncode != 0 and "AADSTS7000215" in process.stdout, process.stdout[-3000:]
    origin = (process.stdout + process.stderr).split("Origin: <adhoc", 1)[1]
    assert "'args': {'client_secret': '%s'}" % wrong in origin
    assert MASK in process.stdout  # the module's own result does mask it
