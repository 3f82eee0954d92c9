# -*- coding: utf-8 -*-
"""Unit tests for the rows of autopilot_device_import: CSV and list input, checks, batches."""

import base64
import codecs

import pytest

from ansible_collections.intune.autopilot.plugins.module_utils._autopilot import _import_rows as rows_mod
from ansible_collections.intune.autopilot.plugins.module_utils._autopilot._import_rows import (
    MAX_BATCH_SIZE,
    batches,
    check_batch_size,
    decode_csv,
    import_rows,
    parse_csv,
    rows_from_csv,
)
from ansible_collections.intune.autopilot.plugins.module_utils._base._errors import ConfigurationError

HASH = base64.b64encode(b"\x01\x02hardware-hash-of-a-test-device" * 4).decode()
HEADER = "Device Serial Number,Windows Product ID,Hardware Hash"


def device(serial="SER-1", hardware_hash=HASH, **extra):
    values = dict(serial_number=serial, hardware_hash=hardware_hash, product_key=None, group_tag=None,
                  assigned_user=None)
    values.update(extra)
    return values


def params(**values):
    base = dict(devices=None, csv_path=None, group_tag=None)
    base.update(values)
    return base


def failure(call, *args):
    with pytest.raises(ConfigurationError) as raised:
        call(*args)
    assert HASH not in raised.value.message
    return raised.value


# -- the devices option -------------------------------------------------------------------
def test_devices_become_rows_in_order_with_the_default_group_tag():
    rows = import_rows(params(devices=[device("A1"), device("b2", group_tag="Sales"), device(" C3 ")],
                              group_tag="Kiosk"))
    assert [(r.serial_number, r.group_tag) for r in rows] == [("A1", "Kiosk"), ("b2", "Sales"), ("C3", "Kiosk")]
    assert [r.where for r in rows] == ["devices[0]", "devices[1]", "devices[2]"]
    assert rows[1].key == "B2"


def test_to_graph_sends_the_import_id_and_leaves_empty_fields_out():
    row = import_rows(params(devices=[device("A1", product_key="XXXXX", assigned_user="u@contoso.com")]))[0]
    record = row.to_graph("11111111-1111-1111-1111-111111111111")
    assert record == {"@odata.type": "#microsoft.graph.importedWindowsAutopilotDeviceIdentity",
                      "serialNumber": "A1", "hardwareIdentifier": HASH,
                      "importId": "11111111-1111-1111-1111-111111111111", "productKey": "XXXXX",
                      "assignedUserPrincipalName": "u@contoso.com"}
    assert "groupTag" not in record


def test_a_row_never_shows_its_hash():
    row = import_rows(params(devices=[device("A1")]))[0]
    assert HASH not in repr(row) and "A1" in repr(row)


@pytest.mark.parametrize("bad, expected", [
    (device(serial=None), "devices[1]: serial_number is missing"),
    (device(serial="  "), "devices[1]: serial_number is missing"),
    (device(hardware_hash=None), "devices[1] (serial number 'SER-1'): hardware_hash is missing"),
    (device(hardware_hash="not base64!"), "devices[1] (serial number 'SER-1'): hardware_hash is not base64"),
    (device(hardware_hash="QUJ"), "hardware_hash is not base64"),  # bad padding
    (device(hardware_hash="===="), "hardware_hash is"),
    (device(serial="first"), "devices[1] (serial number 'first'): the same serial number as devices[0]"),
    (device(serial="FIRST"), "the same serial number as devices[0] (serial numbers compare ignoring case)"),
])
def test_bad_rows_fail_before_any_request_naming_the_row(bad, expected):
    error = failure(import_rows, params(devices=[device("first"), bad]))
    assert error.option == "devices"
    assert expected in error.message, error.message
    assert "nothing was imported" in error.message


def test_every_bad_row_is_named_up_to_ten():
    devices = [device("S%02d" % i, hardware_hash="bad*") for i in range(13)]
    error = failure(import_rows, params(devices=devices))
    assert error.message.startswith("13 problems in devices")
    assert "devices[9]" in error.message and "devices[10]" not in error.message
    assert error.message.endswith("; and 3 more.")


@pytest.mark.parametrize("given", [dict(), dict(devices=[device()], csv_path="/tmp/x.csv")])
def test_exactly_one_of_devices_and_csv_path(given):
    error = failure(import_rows, params(**given))
    assert "exactly one of devices and csv_path" in error.message


def test_an_empty_devices_list_is_nothing_to_do():
    assert import_rows(params(devices=[])) == []


# -- the CSV file ---------------------------------------------------------------------------
def csv_text(*lines, header=HEADER):
    return "\r\n".join((header,) + lines) + "\r\n"


@pytest.mark.parametrize("encoding, bom", [("utf-8", b""), ("utf-8", codecs.BOM_UTF8),
                                           ("utf-16-le", codecs.BOM_UTF16_LE), ("utf-16-be", codecs.BOM_UTF16_BE)],
                         ids=["utf-8", "utf-8-bom", "utf-16-le-bom", "utf-16-be-bom"])
def test_csv_in_every_encoding_get_windowsautopilotinfo_writes(tmp_path, encoding, bom):
    path = tmp_path / "hashes.csv"
    path.write_bytes(bom + csv_text("PF-ü1,,%s" % HASH, "PF-2,XYZ,%s" % HASH).encode(encoding))
    rows = rows_from_csv(str(path), "Kiosk")
    assert [(r.serial_number, r.product_key, r.group_tag) for r in rows] == [
        ("PF-ü1", None, "Kiosk"), ("PF-2", "XYZ", "Kiosk")]
    assert rows[0].hardware_hash == HASH
    assert rows[1].where == "line 3 of %s" % path


def test_csv_optional_columns_any_order_and_case_and_blank_lines():
    header = "hardware hash, Group Tag ,Device Serial Number,Assigned User"
    text = csv_text("%s,Sales,A1,user@contoso.com" % HASH, "", "%s,,A2," % HASH, header=header)
    rows = parse_csv(text, "x.csv", group_tag="Default")
    assert [(r.serial_number, r.group_tag, r.assigned_user) for r in rows] == [
        ("A1", "Sales", "user@contoso.com"), ("A2", "Default", None)]
    assert rows[1].where == "line 4 of x.csv"


@pytest.mark.parametrize("text, expected", [
    ("", "x.csv is empty"),
    ("Serial,Hash\r\nA1,%s\r\n" % HASH, "x.csv has no 'Device Serial Number' and no 'Hardware Hash' columns"),
    ("Device Serial Number,Windows Product ID\r\nA1,\r\n", "x.csv has no 'Hardware Hash' column:"),
    (csv_text("A1,,%s" % HASH, "a1,,%s" % HASH), "line 3 of x.csv (serial number 'a1'): the same serial number as "
                                                 "line 2 of x.csv"),
    (csv_text(",,%s" % HASH), "line 2 of x.csv: 'Device Serial Number' is missing"),
    (csv_text("A1,,"), "line 2 of x.csv (serial number 'A1'): 'Hardware Hash' is missing"),
    (csv_text("A1,,%s" % HASH[:-3]), "'Hardware Hash' is not base64"),
    (csv_text('A1,"x', "A2,,%s" % HASH), "x.csv is not a readable CSV file (line 3: unexpected end of data)"),
])
def test_bad_csv_fails_naming_the_file_and_line(text, expected):
    error = failure(parse_csv, text, "x.csv")
    assert error.option == "csv_path"
    assert expected in error.message, error.message


def test_a_truncated_row_misses_its_hash():
    error = failure(parse_csv, csv_text("A1"), "x.csv")
    assert "line 2 of x.csv (serial number 'A1'): 'Hardware Hash' is missing" in error.message


def test_unreadable_csv_file(tmp_path):
    error = failure(rows_from_csv, str(tmp_path / "missing.csv"))
    assert error.message == "Cannot read csv_path %s: No such file or directory." % (tmp_path / "missing.csv")
    error = failure(rows_from_csv, str(tmp_path))
    assert "Is a directory" in error.message


def test_csv_that_is_not_text(tmp_path):
    error = failure(decode_csv, b"Device Serial Number\r\n\xff\xfe\xfa", "x.csv")
    assert "x.csv is not UTF-8 text (byte 22)" in error.message
    error = failure(decode_csv, csv_text("A1,,QUJD").encode("utf-16-le"), "x.csv")
    assert "looks like UTF-16 without a byte order mark" in error.message


# -- batches ------------------------------------------------------------------------------------
def test_batches_keep_the_order_and_the_size():
    assert batches(list(range(7)), 3) == [[0, 1, 2], [3, 4, 5], [6]]
    assert batches(list(range(6)), 3) == [[0, 1, 2], [3, 4, 5]]
    assert batches([], 3) == []
    assert len(batches(list(range(1000)), 100)) == 10


@pytest.mark.parametrize("size", [0, -1, MAX_BATCH_SIZE + 1])
def test_batch_size_is_bounded(size):
    error = failure(check_batch_size, size)
    assert error.option == "batch_size" and "from 1 to 500" in error.message


def test_batch_size_default_is_documented_value():
    assert rows_mod.DEFAULT_BATCH_SIZE == 100 and check_batch_size(MAX_BATCH_SIZE) == MAX_BATCH_SIZE
