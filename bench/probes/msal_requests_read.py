"""One settings read written by hand with msal + requests (no Ansible), timed from inside.

Usage: python msal_requests_read.py ARGS_JSON   (tenant_id, client_id, client_secret, url, ca_path)
Prints one JSON line: import_s, read_s, total_s, sync_status.
"""
import json
import sys
import time

START = time.perf_counter()

import msal  # noqa: E402
import requests  # noqa: E402

IMPORTED = time.perf_counter()


def main():
    with open(sys.argv[1]) as handle:
        args = json.load(handle)
    session = requests.Session()
    session.verify = args["ca_path"]
    session.trust_env = False  # REQUESTS_CA_BUNDLE must not replace the simulator's CA
    app = msal.ConfidentialClientApplication(
        args["client_id"], client_credential=args["client_secret"],
        authority="%s/%s" % (args["url"], args["tenant_id"]), http_client=session,
        instance_discovery=False)
    token = app.acquire_token_for_client(scopes=["https://graph.microsoft.com/.default"])["access_token"]
    response = session.get(args["url"] + "/beta/deviceManagement/windowsAutopilotSettings",
                           headers={"Authorization": "Bearer " + token})
    response.raise_for_status()
    done = time.perf_counter()
    print(json.dumps({"import_s": IMPORTED - START, "read_s": done - IMPORTED, "total_s": done - START,
                      "sync_status": response.json().get("syncStatus")}))


if __name__ == "__main__":
    main()
