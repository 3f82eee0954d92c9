"""One settings read with msgraph-beta-sdk + azure-identity, timed from inside.

Usage: python sdk_read.py ARGS_JSON   (tenant_id, client_id, client_secret, url, ca_path)
Prints one JSON line: import_s, read_s, total_s, sync_status.
"""
import json
import sys
import time

START = time.perf_counter()

import asyncio  # noqa: E402

import httpx  # noqa: E402
from azure.identity import ClientSecretCredential  # noqa: E402
from kiota_authentication_azure.azure_identity_authentication_provider import (  # noqa: E402
    AzureIdentityAuthenticationProvider,
)
from msgraph_beta import GraphRequestAdapter, GraphServiceClient  # noqa: E402
from msgraph_core import APIVersion, GraphClientFactory  # noqa: E402

IMPORTED = time.perf_counter()


async def read(args):
    credential = ClientSecretCredential(
        args["tenant_id"], args["client_id"], args["client_secret"],
        authority=args["url"],                 # the simulator instead of login.microsoftonline.com
        disable_instance_discovery=True,       # a custom authority host must not be checked online
        connection_verify=args["ca_path"])
    host = args["url"].split("//", 1)[1].split(":")[0]
    auth = AzureIdentityAuthenticationProvider(
        credential, scopes=["https://graph.microsoft.com/.default"], allowed_hosts=[host])
    http = GraphClientFactory.create_with_default_middleware(
        api_version=APIVersion.beta, client=httpx.AsyncClient(verify=args["ca_path"]))
    adapter = GraphRequestAdapter(auth, client=http)
    adapter.base_url = args["url"] + "/beta"
    client = GraphServiceClient(request_adapter=adapter)
    try:
        settings = await client.device_management.windows_autopilot_settings.get()
    finally:
        await http.aclose()
        credential.close()
    status = settings.sync_status
    return getattr(status, "value", status)


def main():
    with open(sys.argv[1]) as handle:
        args = json.load(handle)
    status = asyncio.run(read(args))
    done = time.perf_counter()
    print(json.dumps({"import_s": IMPORTED - START, "read_s": done - IMPORTED, "total_s": done - START,
                      "sync_status": status}))


if __name__ == "__main__":
    main()
