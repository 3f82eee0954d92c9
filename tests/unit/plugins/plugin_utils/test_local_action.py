# -*- coding: utf-8 -*-
"""The in-process door's argument conversion (the door itself runs in the integration tests)."""

from ansible_collections.intune.autopilot.plugins.plugin_utils._local_action import as_module_receives


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
