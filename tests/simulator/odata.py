"""OData query options of the Intune collections: $top, $filter (only the forms Intune takes),
$select, $skiptoken, and the absolute @odata.nextLink of a page.

The skiptoken is an offset (opaque to clients): an item that disappears while a client pages
shifts the later ones one place back, so that client misses one, as offset paging does.
"""
import base64
import binascii
import json
import re
import urllib.parse
from dataclasses import dataclass

_STRING = r"'((?:[^']|'')*)'"
_CONTAINS = re.compile(r"^contains\(\s*([A-Za-z]+)\s*,\s*%s\s*\)$" % _STRING)
_EQ = re.compile(r"^([A-Za-z]+)\s+eq\s+%s$" % _STRING)
_SUPPORTED = ("$top", "$filter", "$select", "$skiptoken")
_TOKEN_PREFIX = "RFNwYWdl"


class QueryError(ValueError):
    """A query Graph refuses with 400 BadRequest; str() is the message."""


@dataclass
class Query:
    top: int = None
    predicate: object = None  # f(item dict) -> bool, or None
    select: tuple = None
    offset: int = 0


def parse(query, filters, type_name, properties):
    """Query options -> Query. ``filters``: {"contains": (property, ...), "eq": (...)}: the only
    filter forms accepted; $select may name ``properties`` of ``type_name``."""
    for name in query:
        if name.startswith("$") and name not in _SUPPORTED:
            raise QueryError("Query option '%s' is not supported by the simulator on this "
                             "Intune collection." % name)
    parsed = Query()
    if "$top" in query:
        try:
            parsed.top = int(query["$top"])
        except ValueError:
            parsed.top = 0
        if parsed.top < 1:
            raise QueryError("Invalid value '%s' for $top query option found. The $top query "
                             "option requires a positive integer value." % query["$top"])
    if "$filter" in query:
        parsed.predicate = _predicate(query["$filter"].strip(), filters)
    if "$select" in query:
        names = tuple(n.strip() for n in query["$select"].split(",") if n.strip())
        for name in names:
            if name not in properties:
                raise QueryError("Could not find a property named '%s' on type "
                                 "'microsoft.graph.%s'." % (name, type_name))
        parsed.select = names
    if "$skiptoken" in query:
        parsed.offset = _offset(query["$skiptoken"])
    return parsed


def _predicate(text, filters):
    contains, eq = _CONTAINS.match(text), _EQ.match(text)
    if contains and contains.group(1) in filters.get("contains", ()):
        name, needle = contains.group(1), contains.group(2).replace("''", "'").lower()
        return lambda item: needle in (item.get(name) or "").lower()
    if eq and eq.group(1) in filters.get("eq", ()):
        name, wanted = eq.group(1), eq.group(2).replace("''", "'")
        return lambda item: item.get(name) == wanted
    raise QueryError("Invalid filter clause: the simulator (like Intune) takes only %s."
                     % ", ".join(["contains(%s,'...')" % n for n in filters.get("contains", ())]
                                 + ["%s eq '...'" % n for n in filters.get("eq", ())]))


def _offset(token):
    try:
        if not token.startswith(_TOKEN_PREFIX):
            raise ValueError(token)
        raw = token[len(_TOKEN_PREFIX):]
        offset = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))["o"]
        if not isinstance(offset, int) or offset < 0:
            raise ValueError(offset)
        return offset
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise QueryError("The $skiptoken value '%s' is not valid." % token) from None


def select(item, names):
    """The item reduced to @odata.type and the $select-ed properties (None = all)."""
    if names is None:
        return item
    out = {"@odata.type": item["@odata.type"]} if "@odata.type" in item else {}
    out.update((name, item.get(name)) for name in names)
    return out


def next_link(call, offset):
    """Absolute URL of the page at ``offset``, with the call's other query options."""
    token = base64.urlsafe_b64encode(json.dumps({"o": offset}).encode()).decode().rstrip("=")
    pairs = [(k, v) for k, v in call.query.items() if k != "$skiptoken"]
    pairs.append(("$skiptoken", _TOKEN_PREFIX + token))
    query = urllib.parse.urlencode(pairs, quote_via=urllib.parse.quote, safe="$,'()")
    return "%s%s?%s" % (call.base_url, call.path, query)
