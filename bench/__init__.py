"""`make bench`: the intune.autopilot performance benchmark (see bench/README.md)."""
