# -*- coding: utf-8 -*-
# Copyright: intune.autopilot contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# FOR INTERNAL COLLECTION USE ONLY: the interfaces may change in any release.
"""Load a client certificate (PEM with key + certificate, or PFX/PKCS#12).

Done locally before any network call so that a wrong password, a file
without a key, or an expired certificate fails with a clear message instead
of an opaque AADSTS error.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime

try:
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.serialization import pkcs12
except ImportError:  # msal depends on cryptography; reported by load_client_certificate
    pass

from ansible_collections.intune.autopilot.plugins.module_utils._base._errors import ConfigurationError
from ansible_collections.intune.autopilot.plugins.module_utils._base._libraries import import_library


class ClientCertificate:
    """The decrypted key and the certificate, both as PEM text for MSAL."""

    def __init__(self, private_key_pem, certificate_pem, not_valid_after):
        self.private_key_pem = private_key_pem
        self.certificate_pem = certificate_pem
        self.not_valid_after = not_valid_after

    def msal_credential(self):
        # With public_certificate MSAL computes the SHA-256 thumbprint (x5t#S256,
        # PS256) itself and sends x5c, which also enables subject-name/issuer auth.
        return {"private_key": self.private_key_pem, "public_certificate": self.certificate_pem}


def _password_bytes(password):
    return password.encode("utf-8") if password else None


def _utc(cert, name):
    # cryptography >= 42 has the *_utc properties; older ones return naive UTC.
    value = getattr(cert, name + "_utc", None)
    if value is None:
        value = getattr(cert, name).replace(tzinfo=datetime.timezone.utc)
    return value


def _public_numbers(key_or_cert):
    public_key = key_or_cert.public_key()
    return public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def _load_pem(data, password):
    try:
        key = serialization.load_pem_private_key(data, password=_password_bytes(password))
    except TypeError:  # encrypted without password, or password for a plain key
        raise ConfigurationError(
            "client_certificate_password",
            "client_certificate_password is set but the private key in client_certificate_path is not "
            "encrypted; remove the password." if password else
            "The private key in client_certificate_path is encrypted; set client_certificate_password.")
    except ValueError:
        if b"PRIVATE KEY" not in data:
            raise ConfigurationError(
                "client_certificate_path", "client_certificate_path holds no private key; a PEM file "
                "must contain both the private key and the certificate.")
        if password:
            raise ConfigurationError(
                "client_certificate_password", "The private key in client_certificate_path could not be "
                "decrypted: client_certificate_password is wrong, or the key is malformed.")
        raise ConfigurationError(
            "client_certificate_path", "The private key in client_certificate_path is malformed.")
    try:
        certs = x509.load_pem_x509_certificates(data)
    except ValueError:
        certs = []
    if not certs:
        raise ConfigurationError(
            "client_certificate_path", "client_certificate_path holds a private key but no certificate; "
            "append the certificate (PEM) to the file.")
    return key, certs[0]


def _load_pfx(data, password):
    try:
        key, cert, _chain = pkcs12.load_key_and_certificates(data, _password_bytes(password))
    except ValueError:
        raise ConfigurationError(
            "client_certificate_password", "The PFX/PKCS#12 file in client_certificate_path could not be "
            "opened: client_certificate_password is wrong or missing, or the file is not PKCS#12.")
    if key is None or cert is None:
        raise ConfigurationError(
            "client_certificate_path", "The PFX file in client_certificate_path must hold both a private "
            "key and its certificate.")
    return key, cert


def load_client_certificate(path, password=None, now=None):
    """Read ``path`` and return a ClientCertificate, or raise ConfigurationError."""
    import_library("cryptography.hazmat.primitives.serialization.pkcs12", "cryptography")
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except (IOError, OSError) as exc:
        raise ConfigurationError("client_certificate_path", "Cannot read client_certificate_path %r: %s"
                                 % (path, exc.strerror or exc))
    if not data.strip():
        raise ConfigurationError("client_certificate_path", "client_certificate_path %r is empty." % path)
    if b"-----BEGIN" in data:
        key, cert = _load_pem(data, password)
    else:
        key, cert = _load_pfx(data, password)

    if _public_numbers(key) != _public_numbers(cert):
        raise ConfigurationError(
            "client_certificate_path", "The private key and the certificate in client_certificate_path do "
            "not belong together.")

    now = now or datetime.datetime.now(datetime.timezone.utc)
    not_after = _utc(cert, "not_valid_after")
    if not_after < now:
        raise ConfigurationError(
            "client_certificate_path", "The certificate in client_certificate_path expired on %s. Create a "
            "new one and upload its public part to the app registration." % not_after.strftime("%Y-%m-%d"))
    not_before = _utc(cert, "not_valid_before")
    if not_before > now:
        raise ConfigurationError(
            "client_certificate_path", "The certificate in client_certificate_path is not valid before %s."
            % not_before.strftime("%Y-%m-%d %H:%M:%SZ"))

    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    return ClientCertificate(key_pem.decode("ascii"), cert_pem.decode("ascii"), not_after)
