"""What ansible-core's argument validation notes (an option and its alias both set, a deprecated alias or
option used) shows alike on both doors.

The collection's own modules have no alias and no deprecated option yet, so a small collection made
here, ``doorcheck.notes``, opens the collection's two doors onto a core whose spec has them: its module
is ``run_module(core)`` and its action plugin ``LocalAction`` with ``CORE = core``, as every module of
intune.autopilot. Each door runs in its own ansible-playbook run: Ansible shows a repeated warning
only once per run.
"""

import pytest

from ansible_env import COLLECTIONS

NOTES = "doorcheck.notes.notes"
FILES = {
    "module_utils/notes_core.py": '''
def argument_spec(environ=None):
    return dict(
        name=dict(type="str", aliases=["label"],
                  deprecated_aliases=[dict(name="label", version="9.0.0", collection_name="doorcheck.notes")]),
        old=dict(type="str", removed_in_version="9.0.0", removed_from_collection="doorcheck.notes"))


def run(context):
    return {"changed": False, "name": context.params["name"]}
''',
    "modules/notes.py": '''
from ansible_collections.intune.autopilot.plugins.module_utils._base._module import run_module
from ansible_collections.doorcheck.notes.plugins.module_utils import notes_core

if __name__ == "__main__":
    run_module(notes_core)
''',
    "action/notes.py": '''
from ansible_collections.intune.autopilot.plugins.plugin_utils._local_action import LocalAction
from ansible_collections.doorcheck.notes.plugins.module_utils import notes_core


class ActionModule(LocalAction):
    CORE = notes_core
''',
}


def notes_collection(root):
    plugins = root / "ansible_collections" / "doorcheck" / "notes" / "plugins"
    for name, text in FILES.items():
        (plugins / name).parent.mkdir(parents=True, exist_ok=True)
        (plugins / name).write_text(text.lstrip())
    return root


@pytest.mark.smoke  # where ansible-core keeps these notes, and how it shows them, differs between releases
def test_the_validators_warnings_and_deprecations_show_on_both_doors(run_playbook, door, tmp_path):
    collections = notes_collection(tmp_path / "collections")
    run = run_playbook([{"name": "notes", NOTES: {"label": "a", "name": "b", "old": "x"}}],
                       env={"ANSIBLE_COLLECTIONS_PATH": "%s:%s" % (collections, COLLECTIONS)}, extra_args=["-vvv"])

    assert run.rc == 0, run.stdout + run.stderr
    assert ("%s runs in the controller" % NOTES if door == "in_process"
            else "%s runs as a module: intune_autopilot_in_process is false" % NOTES) in run.stdout
    shown = " ".join(run.stderr.split())  # Ansible may wrap long deprecation lines
    assert "[WARNING]: Both option name and its alias label are set." in shown
    assert "[DEPRECATION WARNING]: Alias 'label' is deprecated. See the module docs for more information" in shown
    assert "[DEPRECATION WARNING]: Param 'old' is deprecated. See the module docs for more information" in shown
