"""Every Windows Autopilot device of a tenant with a bare requests loop following @odata.nextLink:
the floor autopilot_device_info is compared with. Timed from inside, requests already imported.

Usage: python requests_paging.py ARGS_JSON   (tenant_id, client_id, client_secret, url, ca_path)
Prints one JSON line: seconds (token + every page), pages, devices.
"""
import json
import sys
import time

from bare_graph import authorize, session


def main():
    with open(sys.argv[1]) as handle:
        args = json.load(handle)
    started = time.perf_counter()
    bare = session(args)
    authorize(bare, args)
    link, pages, devices = args["url"] + "/beta/deviceManagement/windowsAutopilotDeviceIdentities", 0, 0
    while link:
        response = bare.get(link)
        response.raise_for_status()
        body = response.json()
        pages += 1
        devices += len(body["value"])
        link = body.get("@odata.nextLink")
    print(json.dumps({"seconds": time.perf_counter() - started, "pages": pages, "devices": devices}))


if __name__ == "__main__":
    main()
