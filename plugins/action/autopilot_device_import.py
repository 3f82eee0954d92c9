# -*- coding: utf-8 -*-
# Copyright: intune.autopilot contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Runs intune.autopilot.autopilot_device_import in the controller for local connections, else as the module."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.intune.autopilot.plugins.module_utils._autopilot import _device_import_core
from ansible_collections.intune.autopilot.plugins.plugin_utils._local_action import LocalAction


class ActionModule(LocalAction):
    CORE = _device_import_core
