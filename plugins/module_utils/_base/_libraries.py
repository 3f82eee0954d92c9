# -*- coding: utf-8 -*-
# Copyright: intune.autopilot contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# FOR INTERNAL COLLECTION USE ONLY: the interfaces may change in any release.
"""Whether the Python libraries the collection needs can be imported: the one check.

The files that use a library still guard its import at the top (so the file
itself always imports); this says, before any network call, which one is missing.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from importlib import import_module

from ansible_collections.intune.autopilot.plugins.module_utils._base._errors import MissingLibraryError

# What every task needs at run time (cryptography only for certificates).
RUNTIME_LIBRARIES = ("requests", "msal")


def import_library(name, package=None):
    """The imported module ``name``; MissingLibraryError naming ``package`` (default: ``name``) if absent."""
    try:
        return import_module(name)
    except ImportError:
        raise MissingLibraryError(package or name.split(".")[0])


def missing_libraries(names=RUNTIME_LIBRARIES):
    """Those of ``names`` that cannot be imported here."""
    missing = []
    for name in names:
        try:
            import_library(name)
        except MissingLibraryError:
            missing.append(name)
    return missing
