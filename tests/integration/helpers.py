"""Small helpers shared by the integration tests."""

import datetime


def graph_time(seconds_ago):
    """A Graph timestamp (seven fractional digits) ``seconds_ago`` seconds before now."""
    moment = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=seconds_ago)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f") + "1Z"


def parse_z(text):
    """Parse a timestamp returned by the modules (ISO 8601, UTC, trailing Z)."""
    assert text.endswith("Z"), text
    return datetime.datetime.fromisoformat(text[:-1] + "+00:00")


def graph_requests(log):
    """Only the Graph requests of a simulator log (no discovery or token calls)."""
    return [(e["method"], e["endpoint"]) for e in log if e["endpoint"] in ("settings", "sync")]
