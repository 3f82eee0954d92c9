"""Entra ID + Microsoft Graph (Windows Autopilot) simulator for the intune.autopilot tests."""
from .pki import ClientCertificate, make_client_certificate
from .server import Simulator

__all__ = ["Simulator", "ClientCertificate", "make_client_certificate"]
