# -*- coding: utf-8 -*-
"""The in-process door's argument conversion and validation notes (the door itself runs in the integration tests)."""

import pytest
from ansible.module_utils.common import arg_spec
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.intune.autopilot.plugins.plugin_utils._local_action import as_module_receives, validator_notes


class TaskString(str):
    """Stands for AnsibleUnicode (2.16) and tagged strings (2.19): str subclasses of the task's args."""


def test_task_objects_become_the_plain_json_types_a_module_gets():
    args = {TaskString("tenant_id"): TaskString("contoso.onmicrosoft.com"), "timeout": 30, "validate_certs": False,
            "nested": {"list": (TaskString("a"), 1.5, None)}}
    plain = as_module_receives(args)

    assert plain == {"tenant_id": "contoso.onmicrosoft.com", "timeout": 30, "validate_certs": False,
                     "nested": {"list": ["a", 1.5, None]}}
    # Exactly str, not a subclass: what JSON gives a module.
    assert {type(plain["tenant_id"]), type(plain["nested"]["list"][0])} | set(type(k) for k in plain) == {str}
    assert plain["validate_certs"] is False  # a bool stays a bool, not the int it also is


# What the validator notes: a deprecated alias, options deprecated by version and by date, an option
# set together with its alias.
NOTED_SPEC = {
    "name": dict(type="str", aliases=["label", "title"],
                 deprecated_aliases=[dict(name="label", version="9.0.0", collection_name="intune.autopilot")]),
    "old": dict(type="str", removed_in_version="9.0.0", removed_from_collection="intune.autopilot"),
    "dated": dict(type="str", removed_at_date="2030-01-01", removed_from_collection="intune.autopilot"),
    "kept": dict(type="str"),
}


def what_ansible_module_forwards(args, monkeypatch):
    """What AnsibleModule's validator hands to warn() and deprecate() for ``args``, as (warnings, deprecations)."""
    warnings, deprecations = [], []

    def deprecate(msg, version=None, date=None, collection_name=None, deprecator=None):
        # ansible-core 2.19 passes a deprecator (PluginInfo) where 2.16 to 2.18 pass collection_name.
        deprecations.append((msg, version, date, deprecator.resolved_name if deprecator else collection_name))

    monkeypatch.setattr(arg_spec, "warn", warnings.append)
    monkeypatch.setattr(arg_spec, "deprecate", deprecate)
    arg_spec.ModuleArgumentSpecValidator(NOTED_SPEC).validate(args)
    return warnings, deprecations


@pytest.mark.parametrize("args", [
    {"label": "a", "name": "b", "old": "x", "dated": "y"},
    {"title": "a"},
    {"kept": "k"},
])
def test_the_validators_warnings_and_deprecations_are_the_ones_ansible_module_forwards(args, monkeypatch):
    warnings, deprecations = validator_notes(ArgumentSpecValidator(NOTED_SPEC).validate(args))

    as_deprecate_got_them = [(d["msg"], d.get("version"), d.get("date"), d["collection_name"]) for d in deprecations]
    assert (warnings, as_deprecate_got_them) == what_ansible_module_forwards(args, monkeypatch)
    if "old" in args:  # not an empty comparison
        assert warnings == ["Both option name and its alias label are set."]
        assert [d["msg"].split(" is ")[0] for d in deprecations] == ["Alias 'label'", "Param 'old'", "Param 'dated'"]
