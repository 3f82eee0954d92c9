"""Hardware hashes imported the way the community module's Import-AutopilotCSV does it: one POST per
device (Add-AutopilotImportedDevice), then, every poll interval, one GET per device still processed,
then one DELETE per import record. The request pattern is the point, so it runs on bare requests.

Usage: python import_one_by_one.py ARGS_JSON   (tenant_id, client_id, client_secret, url, ca_path,
       csv_path, poll_interval)
Prints one JSON line: seconds, posts, gets, deletes, imported.
"""
import csv
import json
import sys
import time

from bare_graph import authorize, session

IMPORTS = "/beta/deviceManagement/importedWindowsAutopilotDeviceIdentities"


def main():
    with open(sys.argv[1]) as handle:
        args = json.load(handle)
    with open(args["csv_path"], encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    started = time.perf_counter()
    bare = session(args)
    authorize(bare, args)
    counts = {"posts": 0, "gets": 0, "deletes": 0}
    pending = []
    for row in rows:
        response = bare.post(args["url"] + IMPORTS, json={
            "@odata.type": "#microsoft.graph.importedWindowsAutopilotDeviceIdentity",
            "serialNumber": row["Device Serial Number"], "hardwareIdentifier": row["Hardware Hash"]})
        response.raise_for_status()
        counts["posts"] += 1
        pending.append(response.json()["id"])
    done, imported = list(pending), 0
    while pending:
        time.sleep(args["poll_interval"])
        still = []
        for record_id in pending:
            response = bare.get(args["url"] + IMPORTS + "/" + record_id)
            response.raise_for_status()
            counts["gets"] += 1
            status = response.json()["state"]["deviceImportStatus"]
            if status in ("complete", "error"):
                imported += status == "complete"
            else:
                still.append(record_id)
        pending = still
    for record_id in done:
        bare.delete(args["url"] + IMPORTS + "/" + record_id).raise_for_status()
        counts["deletes"] += 1
    print(json.dumps(dict(counts, seconds=time.perf_counter() - started, imported=imported)))


if __name__ == "__main__":
    main()
