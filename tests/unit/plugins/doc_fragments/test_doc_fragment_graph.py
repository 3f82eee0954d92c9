# -*- coding: utf-8 -*-
"""The intune.autopilot.graph doc fragment names the environment variables the options really read."""

import re

import yaml

from ansible_collections.intune.autopilot.plugins.doc_fragments.graph import ModuleDocFragment
from ansible_collections.intune.autopilot.plugins.module_utils._base._options import connection_argument_spec

# Read by the settings themselves (so that a bad value names the variable), not by a spec fallback.
READ_BY_THE_SETTINGS = {"cloud": ["AZURE_CLOUD_ENVIRONMENT"]}


def documented_variables(option_doc):
    """The variables of the option's "If not set, the environment variable ..." sentence, in order
    (up to an ", else" that names the default: cache_path's E(XDG_CACHE_HOME))."""
    sentences = [line.split(", else")[0] for line in option_doc["description"] if line.startswith("If not set")]
    return [name for sentence in sentences for name in re.findall(r"E\((\w+)\)", sentence)]


def test_each_option_documents_exactly_the_variables_it_falls_back_to():
    documented = yaml.safe_load(ModuleDocFragment.DOCUMENTATION)["options"]
    spec = connection_argument_spec()
    assert sorted(documented) == sorted(spec)
    expected = {name: option["fallback"][1] for name, option in spec.items() if "fallback" in option}
    expected.update(READ_BY_THE_SETTINGS)
    found = {name: documented_variables(doc) for name, doc in documented.items() if documented_variables(doc)}
    assert found == expected
    assert found["graph_endpoint"] == ["INTUNE_AUTOPILOT_GRAPH_ENDPOINT"]
    assert found["ca_path"] == ["INTUNE_AUTOPILOT_CA_PATH"]
