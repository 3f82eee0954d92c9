# -*- coding: utf-8 -*-
# Copyright: intune.autopilot contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# FOR INTERNAL COLLECTION USE ONLY: the interfaces may change in any release.
"""The rows autopilot_device_import imports: from ``devices`` or from the CSV that
Get-WindowsAutopilotInfo writes, checked before any request, and cut into batches.

No network here. A hardware hash is kept only to be sent: no message, repr or result of this
file shows one.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import binascii
import codecs
import csv
import io

from ansible_collections.intune.autopilot.plugins.module_utils._autopilot._devices import serial_key
from ansible_collections.intune.autopilot.plugins.module_utils._base._errors import ConfigurationError

DEFAULT_BATCH_SIZE = 100
# Records per import request: the most Intune's own CSV upload takes in one file; the Graph
# reference of the import action names no limit.
MAX_BATCH_SIZE = 500

# CSV column -> row field. Get-WindowsAutopilotInfo writes the first three; Intune's upload also
# takes the last two.
CSV_COLUMNS = (
    ("Device Serial Number", "serial_number"),
    ("Windows Product ID", "product_key"),
    ("Hardware Hash", "hardware_hash"),
    ("Group Tag", "group_tag"),
    ("Assigned User", "assigned_user"),
)
REQUIRED_CSV_COLUMNS = ("Device Serial Number", "Hardware Hash")
# Windows PowerShell's Out-File writes UTF-16 LE with a BOM; PowerShell 7 UTF-8 without one.
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
# How many bad rows one message lists before it only counts the rest.
_LISTED_PROBLEMS = 10

IMPORT_TYPE = "#microsoft.graph.importedWindowsAutopilotDeviceIdentity"


class ImportRow:
    """One device to import. ``where`` names it in messages (its list index or CSV line)."""

    __slots__ = ("index", "where", "serial_number", "hardware_hash", "product_key", "group_tag",
                 "assigned_user")

    def __init__(self, index, where, serial_number, hardware_hash, product_key=None, group_tag=None,
                 assigned_user=None):
        self.index = index
        self.where = where
        self.serial_number = _text(serial_number)
        self.hardware_hash = _text(hardware_hash)
        self.product_key = _text(product_key)
        self.group_tag = _text(group_tag)
        self.assigned_user = _text(assigned_user)

    @property
    def key(self):
        return serial_key(self.serial_number)

    def __repr__(self):  # never the hash
        return "ImportRow(%s, serial_number=%r)" % (self.where, self.serial_number)

    def to_graph(self, import_id):
        """The importedWindowsAutopilotDeviceIdentity to send; empty optional fields are left out."""
        record = {"@odata.type": IMPORT_TYPE, "serialNumber": self.serial_number,
                  "hardwareIdentifier": self.hardware_hash, "importId": import_id}
        for name, value in (("productKey", self.product_key), ("groupTag", self.group_tag),
                            ("assignedUserPrincipalName", self.assigned_user)):
            if value:
                record[name] = value
        return record


def _text(value):
    return value.strip() if isinstance(value, str) and value.strip() else None


def _named(row, problem):
    serial = " (serial number %r)" % row.serial_number if row.serial_number else ""
    return "%s%s: %s" % (row.where, serial, problem)


def _hash_problem(hardware_hash, name):
    if not hardware_hash:
        return "%s is missing" % name
    try:
        decoded = base64.b64decode(hardware_hash, validate=True)
    except (binascii.Error, ValueError):
        return "%s is not base64" % name
    return None if decoded else "%s is empty" % name


def _problems(rows, serial_name, hash_name):
    """What is wrong with the rows, each naming its row; [] when all can be imported."""
    problems, seen = [], {}
    for row in rows:
        if not row.serial_number:
            problems.append(_named(row, "%s is missing" % serial_name))
        elif row.key in seen:
            problems.append(_named(row, "the same serial number as %s (serial numbers compare "
                                        "ignoring case)" % seen[row.key].where))
        else:
            seen[row.key] = row
        problem = _hash_problem(row.hardware_hash, hash_name)
        if problem:
            problems.append(_named(row, problem))
    return problems


def check_rows(rows, option, serial_name, hash_name):
    """Raise ConfigurationError, naming every bad row (the first few), before any request."""
    problems = _problems(rows, serial_name, hash_name)
    if not problems:
        return rows
    listed = problems[:_LISTED_PROBLEMS]
    more = len(problems) - len(listed)
    raise ConfigurationError(option, "%d problem%s in %s, nothing was imported: %s%s." % (
        len(problems), "" if len(problems) == 1 else "s", option, "; ".join(listed),
        "; and %d more" % more if more else ""))


def rows_from_devices(devices, group_tag=None):
    """The ``devices`` option (validated dicts) as checked rows; ``group_tag`` for rows without one."""
    rows = [ImportRow(i, "devices[%d]" % i, d.get("serial_number"), d.get("hardware_hash"),
                      d.get("product_key"), _text(d.get("group_tag")) or group_tag, d.get("assigned_user"))
            for i, d in enumerate(devices)]
    return check_rows(rows, "devices", "serial_number", "hardware_hash")


def decode_csv(data, path):
    """The CSV file's bytes as text: UTF-8 (with or without a BOM) or UTF-16 with a BOM."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            break
    else:
        encoding = "utf-8"
        if b"\x00" in data[:200]:
            raise ConfigurationError("csv_path", "%s looks like UTF-16 without a byte order mark; save it "
                                                 "as UTF-8, or as UTF-16 with a BOM." % path)
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise ConfigurationError("csv_path", "%s is not %s text (byte %d): save it as UTF-8, or as UTF-16 "
                                             "with a BOM." % (path, encoding.upper().replace("-SIG", ""),
                                                              exc.start))


def _columns(header, path):
    """{field: column index} from the header line; ConfigurationError when a required column lacks."""
    names = [(name or "").strip().lower() for name in header]
    found = dict((field, names.index(column.lower())) for column, field in CSV_COLUMNS
                 if column.lower() in names)
    missing = [column for column in REQUIRED_CSV_COLUMNS if dict(CSV_COLUMNS)[column] not in found]
    if missing:
        raise ConfigurationError("csv_path", "%s has no %s column%s: the first line must name the "
                                             "columns as Get-WindowsAutopilotInfo writes them (%s)."
                                 % (path, " and no ".join("'%s'" % c for c in missing),
                                    "s" if len(missing) > 1 else "",
                                    ", ".join(column[0] for column in CSV_COLUMNS)))
    return found


def parse_csv(text, path, group_tag=None):
    """Rows from the CSV text; blank lines are skipped; ``group_tag`` for rows without one."""
    # strict: an unclosed quote is an error, not a cell that swallows the rest of the file
    reader = csv.reader(io.StringIO(text), strict=True)
    try:
        header = next(reader, None)
        if not header:
            raise ConfigurationError("csv_path", "%s is empty: it needs a header line and one line per "
                                                 "device." % path)
        columns = _columns(header, path)
        rows = []
        for line in reader:
            if not any(cell.strip() for cell in line):
                continue
            cells = dict((field, line[i] if i < len(line) else None) for field, i in columns.items())
            rows.append(ImportRow(len(rows), "line %d of %s" % (reader.line_num, path),
                                  cells.get("serial_number"), cells.get("hardware_hash"), cells.get("product_key"),
                                  _text(cells.get("group_tag")) or group_tag, cells.get("assigned_user")))
    except csv.Error as exc:
        raise ConfigurationError("csv_path", "%s is not a readable CSV file (line %d: %s)."
                                 % (path, reader.line_num, exc))
    return check_rows(rows, "csv_path", "'Device Serial Number'", "'Hardware Hash'")


def rows_from_csv(path, group_tag=None):
    """The checked rows of the CSV file at ``path``."""
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except (IOError, OSError) as exc:
        raise ConfigurationError("csv_path", "Cannot read csv_path %s: %s." % (path, exc.strerror or exc))
    return parse_csv(decode_csv(data, path), path, group_tag)


def import_rows(params):
    """The rows of the task: exactly one of ``devices`` and ``csv_path``."""
    devices, path = params.get("devices"), params.get("csv_path")
    if (devices is None) == (path is None):
        raise ConfigurationError("devices", "Give exactly one of devices and csv_path (got %s)."
                                 % ("both" if path is not None else "neither"))
    group_tag = _text(params.get("group_tag"))
    if devices is not None:
        return rows_from_devices(devices, group_tag)
    return rows_from_csv(path, group_tag)


def check_batch_size(batch_size):
    if not 1 <= batch_size <= MAX_BATCH_SIZE:
        raise ConfigurationError("batch_size", "batch_size must be from 1 to %d, got %d."
                                 % (MAX_BATCH_SIZE, batch_size))
    return batch_size


def batches(rows, batch_size):
    """The rows in import requests of at most ``batch_size``, in input order."""
    return [rows[start:start + batch_size] for start in range(0, len(rows), batch_size)]
