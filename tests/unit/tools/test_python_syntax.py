"""tools/gates/python_syntax.py: the managed-node syntax check the sanity gate runs for missing Pythons."""

import importlib.util
import shutil

import pytest

from ansible_env import ROOT

_spec = importlib.util.spec_from_file_location("python_syntax", ROOT / "tools" / "gates" / "python_syntax.py")
python_syntax = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(python_syntax)

MODULE_CODE = ["plugins/modules", "plugins/module_utils"]


@pytest.mark.parametrize("construct,since,source", python_syntax.PROBES, ids=[p[0] for p in python_syntax.PROBES])
def test_each_construct_is_rejected_before_its_version_and_accepted_from_it(construct, since, source):
    before = (since[0], since[1] - 1)
    [(line, column, message)] = python_syntax.check_source(source, before)
    assert line >= 1 and column >= 0
    assert message.endswith("only supported in Python %d.%d and greater" % since)
    assert python_syntax.check_source(source, since) == []


def test_self_test_passes_on_this_python():
    assert python_syntax.self_test() == []


def test_deferred_annotations_are_not_evaluated():
    source = "from __future__ import annotations\ndef f(x: list[int]) -> int | None:\n    pass\n"
    assert python_syntax.check_source(source, (3, 8)) == []


def test_the_collections_module_code_passes_for_every_managed_node_python(capsys):
    args = ["--python", "3.8", "--python", "3.9", "--python", "3.10"] + [str(ROOT / p) for p in MODULE_CODE]
    assert python_syntax.main(args) == 0
    assert "0 finding(s)" in capsys.readouterr().out


@pytest.mark.parametrize("line,version,message", [
    ("    if (retries := 3):\n        pass\n", "3.7", "Assignment expressions"),
    ("    with (open(__file__) as a, open(__file__) as b):\n        pass\n", "3.8", "Parenthesized context managers"),
    ("    match 1:\n        case 1:\n            pass\n", "3.9", "Pattern matching"),
    ("    try:\n        pass\n    except* ValueError:\n        pass\n", "3.10", "Exception groups"),
], ids=["walrus-3.7", "parenthesized-with-3.8", "match-3.9", "except-star-3.10"])
def test_a_newer_construct_in_a_module_is_reported_where_and_for_which_python(tmp_path, capsys, line, version, message):
    tree = tmp_path / "plugins"
    shutil.copytree(ROOT / "plugins", tree)
    module = tree / "module_utils" / "_client" / "_retry.py"
    module.write_text(module.read_text() + "\n\ndef _newer():\n" + line)
    length = len(module.read_text().splitlines())

    assert python_syntax.main(["--python", version, str(tree)]) == 1
    [finding] = [out for out in capsys.readouterr().out.splitlines() if out.startswith("ERROR: ")]
    assert finding.startswith("ERROR: %s:" % module)
    assert int(finding.split(":")[2]) > length - 6
    assert "Python %s: %s" % (version, message) in finding


def test_newer_pythons_than_this_one_are_refused(capsys):
    with pytest.raises(SystemExit) as exit_info:
        python_syntax.main(["--python", "9.9", str(ROOT / "plugins")])
    assert exit_info.value.code == 2
    assert "cannot check newer versions: 9.9" in capsys.readouterr().err
