"""The bare requests client the device probes share: a session that trusts the simulator's CA and an
app-only token from a plain client-credentials POST (no msal, no retries: the floor)."""
import requests

SCOPE = "https://graph.microsoft.com/.default"


def session(args):
    bare = requests.Session()
    bare.verify = args["ca_path"]
    bare.trust_env = False  # REQUESTS_CA_BUNDLE must not replace the simulator's CA
    return bare


def authorize(bare, args):
    """Put a bearer token for the tenant on the session."""
    response = bare.post("%s/%s/oauth2/v2.0/token" % (args["url"], args["tenant_id"]), data={
        "grant_type": "client_credentials", "client_id": args["client_id"],
        "client_secret": args["client_secret"], "scope": SCOPE})
    response.raise_for_status()
    bare.headers["Authorization"] = "Bearer " + response.json()["access_token"]
