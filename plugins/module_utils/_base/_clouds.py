# -*- coding: utf-8 -*-
# Copyright: intune.autopilot contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# FOR INTERNAL COLLECTION USE ONLY: the interfaces may change in any release.
"""The Microsoft national clouds: where to log in and where Graph lives."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from collections import namedtuple

Cloud = namedtuple("Cloud", ["name", "authority_host", "graph_endpoint"])

CLOUDS = {
    "global": Cloud("global", "https://login.microsoftonline.com", "https://graph.microsoft.com"),
    "usgov": Cloud("usgov", "https://login.microsoftonline.us", "https://graph.microsoft.us"),
    "usgov_dod": Cloud("usgov_dod", "https://login.microsoftonline.us", "https://dod-graph.microsoft.us"),
    "china": Cloud("china", "https://login.chinacloudapi.cn", "https://microsoftgraph.chinacloudapi.cn"),
}

# The names AWX's Azure Resource Manager credential and azure.azcollection put
# into AZURE_CLOUD_ENVIRONMENT. Azure has no separate DoD name there.
ENVIRONMENT_ALIASES = {
    "AzureCloud": "global",
    "AzureUSGovernment": "usgov",
    "AzureChinaCloud": "china",
}


def graph_scope(cloud):
    """The client-credentials scope for Graph in ``cloud``.

    The audience is the cloud's Graph resource even when ``graph_endpoint`` is
    overridden (a reverse proxy or a test double still needs a Graph token).
    """
    return cloud.graph_endpoint + "/.default"
