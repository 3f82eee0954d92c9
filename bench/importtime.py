"""Reading ``python -X importtime`` output: total import time, split by package family."""
import re

_LINE = re.compile(r"^import time:\s+(\d+)\s+\|\s+(\d+)\s+\|(\s*)(\S+)\s*$")

# First match wins; the name is the full dotted module name.
FAMILIES = [
    ("collection (ansible_collections.*)", ("ansible_collections",)),
    ("ansible.module_utils", ("ansible",)),
    ("msal (+ jwt, cryptography)", ("msal", "jwt", "cryptography", "cffi", "_cffi_backend")),
    ("requests (+ urllib3, ...)", ("requests", "urllib3", "charset_normalizer", "idna", "certifi", "chardet")),
    ("azure-identity / azure-core", ("azure",)),
    ("msgraph / kiota / httpx", ("msgraph", "msgraph_beta", "msgraph_core", "kiota", "httpx", "httpcore",
                                 "anyio", "h11", "h2", "opentelemetry", "sniffio", "std_uritemplate",
                                 "pendulum", "dateutil", "multidict", "yarl", "aiohttp", "importlib_metadata",
                                 "typing_extensions", "zipp", "wrapt", "deprecated")),
]
OTHER = "stdlib and other"


def family(name):
    for label, prefixes in FAMILIES:
        for prefix in prefixes:
            if name == prefix or name.startswith(prefix + "."):
                return label
    return OTHER


def parse(text):
    """-> {"total_ms", "by_family_ms": {family: ms}, "top": [(name, cumulative ms)]} (self times summed)."""
    by_family = {}
    total = 0
    top = []
    for line in text.splitlines():
        match = _LINE.match(line)
        if not match:
            continue
        self_us, cumulative_us, indent, name = int(match.group(1)), int(match.group(2)), match.group(3), match.group(4)
        total += self_us
        label = family(name)
        by_family[label] = by_family.get(label, 0) + self_us
        if len(indent) <= 1:  # imported by the program itself, not by another module
            top.append((name, round(cumulative_us / 1000.0, 1)))
    top.sort(key=lambda item: -item[1])
    return {"total_ms": round(total / 1000.0, 1),
            "by_family_ms": {k: round(v / 1000.0, 1) for k, v in sorted(by_family.items(), key=lambda i: -i[1])},
            "top": top[:8]}
