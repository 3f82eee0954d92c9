# -*- coding: utf-8 -*-
# Copyright: intune.autopilot contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # The connection options shared by every module of the collection.
    DOCUMENTATION = r"""
options:
  auth_method:
    description:
      - How to obtain the Microsoft Graph access token.
      - V(auto) picks from what is given, in this order. O(access_token) means V(access_token);
        O(client_secret) means V(client_secret); O(client_certificate_path) means V(client_certificate);
        O(federated_token_file) means V(workload_identity); a managed identity endpoint in the
        environment (E(IDENTITY_ENDPOINT) or E(MSI_ENDPOINT)) means V(managed_identity).
      - With V(auto), giving both a client secret and a certificate is an error.
      - Username and password (E(AZURE_AD_USER), E(AZURE_PASSWORD)) are not supported.
    type: str
    default: auto
    choices: [auto, client_secret, client_certificate, workload_identity, managed_identity, access_token]
  tenant_id:
    description:
      - The Entra ID tenant, as a GUID or a verified domain such as C(contoso.onmicrosoft.com).
      - If not set, the environment variable E(AZURE_TENANT_ID) is used, then E(AZURE_TENANT)
        (set by the AWX/AAP Microsoft Azure Resource Manager credential).
      - Required for every O(auth_method) except V(managed_identity) and V(access_token).
    type: str
  client_id:
    description:
      - The application (client) ID of the app registration.
      - For V(managed_identity), the client ID of a user-assigned identity; omit it for the
        system-assigned identity.
      - If not set, the environment variable E(AZURE_CLIENT_ID) is used.
    type: str
  client_secret:
    description:
      - A client secret of the app registration (its value, not its ID).
      - If not set, the environment variable E(AZURE_CLIENT_SECRET) is used, then E(AZURE_SECRET)
        (set by the AWX/AAP Microsoft Azure Resource Manager credential).
    type: str
  client_certificate_path:
    description:
      - A certificate registered on the app, with its private key, as PEM (key and certificate
        in one file) or PFX/PKCS#12.
      - Checked before any network call; an expired certificate is an error.
      - If not set, the environment variable E(AZURE_CLIENT_CERTIFICATE_PATH) is used.
    type: path
  client_certificate_password:
    description:
      - Password of an encrypted PEM private key or of a PFX file.
      - If not set, the environment variable E(AZURE_CLIENT_CERTIFICATE_PASSWORD) is used.
    type: str
  federated_token_file:
    description:
      - A file holding a federated token (workload identity federation, for example on AKS,
        GitHub Actions or AWX on Kubernetes). It is read again whenever it changes.
      - If not set, the environment variable E(AZURE_FEDERATED_TOKEN_FILE) is used.
    type: path
  access_token:
    description:
      - A Microsoft Graph access token obtained elsewhere. No token request is made and the
        token is not refreshed.
    type: str
  cloud:
    description:
      - The Microsoft cloud of the tenant. V(global) is the commercial cloud, V(usgov) GCC High,
        V(usgov_dod) DoD, V(china) the cloud operated by 21Vianet.
      - If not set, the environment variable E(AZURE_CLOUD_ENVIRONMENT) is used, which may also
        hold V(AzureCloud), V(AzureUSGovernment) or V(AzureChinaCloud); otherwise V(global).
    type: str
    choices: [china, global, usgov, usgov_dod, AzureChinaCloud, AzureCloud, AzureUSGovernment]
  authority_host:
    description:
      - Overrides the cloud's Entra ID login host, for example C(https://login.microsoftonline.com).
        Must use https.
      - If not set, the environment variable E(AZURE_AUTHORITY_HOST) is used.
    type: str
  graph_endpoint:
    description:
      - Overrides the cloud's Microsoft Graph base URL, for example C(https://graph.microsoft.com).
        Must use https. A trailing C(/beta) or C(/v1.0) is ignored.
      - If not set, the environment variable E(INTUNE_AUTOPILOT_GRAPH_ENDPOINT) is used.
    type: str
  validate_certs:
    description:
      - Whether to verify TLS certificates. Turn off only for tests.
    type: bool
    default: true
  ca_path:
    description:
      - A CA bundle (file or directory) to trust, for example a TLS-inspecting proxy's CA.
      - Takes precedence over E(REQUESTS_CA_BUNDLE) and E(CURL_CA_BUNDLE).
      - If not set, the environment variable E(INTUNE_AUTOPILOT_CA_PATH) is used.
    type: path
  timeout:
    description:
      - Seconds to wait for each HTTP request. Must be greater than 0.
    type: int
    default: 30
  max_retries:
    description:
      - How often a transient failure (HTTP 429, 503 or 504, a connection error or a timeout)
        is retried, honouring C(Retry-After), from 0 to 10.
    type: int
    default: 3
  token_cache:
    description:
      - Keep access tokens in a private on-disk cache under O(cache_path), so that later tasks
        on the same controller skip the token request while a token is valid for at least five
        more minutes.
      - Entries are files readable only by the user running the module (mode 0600 in a 0700
        directory), one per tenant, client, cloud, auth method and credential; a token is
        never used with other credentials, nor when its C(tid) names another tenant than
        O(tenant_id).
      - If not set, the environment variable E(INTUNE_AUTOPILOT_TOKEN_CACHE) is used.
      - Off by default. Not used with O(access_token).
    type: bool
    default: false
  cache_path:
    description:
      - Directory for the collection's caches. The OpenID configuration of each authority (a
        public document) is always cached there for a day, which saves a round trip per task;
        access tokens only with O(token_cache).
      - If not set, the environment variable E(INTUNE_AUTOPILOT_CACHE_PATH) is used, else
        C(intune.autopilot) under E(XDG_CACHE_HOME) or C(~/.cache).
      - The directory must belong to the user running the module, and every parent of it to
        that user or root, none writable by group or others (a root-owned sticky directory such
        as C(/tmp) excepted); otherwise nothing is read from or written to the cache.
      - Failing to write the cache never fails a task.
    type: path
attributes:
  action_group:
    support: full
    membership:
      - intune.autopilot.graph
    description: Use C(group/intune.autopilot.graph) in C(module_defaults) to set the connection options.
requirements:
  - python >= 3.8
  - msal >= 1.35.0
  - requests >= 2.25.0
notes:
  - The app needs the Microsoft Graph application permission
    C(DeviceManagementServiceConfig.ReadWrite.All) with admin consent, and the tenant needs an
    active Intune license.
  - Use C(module_defaults) with the action group C(group/intune.autopilot.graph) to set
    these options once for all modules of the collection.
  - Where the task runs. When the task's connection is local (the implicit C(localhost),
    C(ansible_connection=local), C(delegate_to=localhost)), without C(async) and without C(become),
    the module's action plugin does the work inside the controller's worker process, with the
    controller's Python and its C(msal) and C(requests). This is much cheaper than starting a module
    process, and behaves the same way (options, C(module_defaults), C(environment), check mode,
    warnings, failures, C(no_log)).
  - Otherwise, and also when C(msal) or C(requests) cannot be imported by the controller's Python, or
    when the task's C(environment) sets a variable other than the credential, cloud and cache variables
    these options read (for example E(HTTPS_PROXY)), the task runs as a module, with the host's
    C(ansible_python_interpreter).
  - Set the variable C(intune_autopilot_in_process=false) (task, play, inventory or extra variable) to
    always run the module. C(-vvv) shows which way each task went.
seealso:
  - name: Windows Autopilot settings in Microsoft Graph
    description: The Graph resource these modules read and sync.
    link: https://learn.microsoft.com/en-us/graph/api/resources/intune-enrollment-windowsautopilotsettings?view=graph-rest-beta
"""
