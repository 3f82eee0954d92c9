"""Certificates: the simulator's TLS (three listeners) and client certificates for tests.

TLS material comes from trustme. Client certificates are self-signed RSA
(Entra app credentials are usually self-signed, and MSAL signs with PS256/RS256).
"""
import datetime
import os
import ssl
from dataclasses import dataclass

import trustme
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

WRONG_HOST = "other.invalid"


class ServerPKI:
    """CA + server certificates; writes ca.pem (trusted) and untrusted-ca.pem into state_dir."""

    def __init__(self, state_dir, hosts):
        self.ca = trustme.CA()
        self.stranger_ca = trustme.CA()  # signs the "untrusted" listener; not in ca.pem
        self.server_cert = self.ca.issue_cert(*hosts)
        self.wrong_host_cert = self.ca.issue_cert(WRONG_HOST)
        self.untrusted_cert = self.stranger_ca.issue_cert(*hosts)
        self.ca_path = os.path.join(state_dir, "ca.pem")
        self.untrusted_ca_path = os.path.join(state_dir, "untrusted-ca.pem")
        self.ca.cert_pem.write_to_path(self.ca_path)
        self.stranger_ca.cert_pem.write_to_path(self.untrusted_ca_path)

    @staticmethod
    def server_context(leaf):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        leaf.configure_cert(ctx)
        return ctx


@dataclass
class ClientCertificate:
    cert_pem: str           # public certificate: what gets registered on the app
    key_pem: str            # private key (encrypted when pem_password was given)
    pem_path: str           # key + certificate in one PEM file
    pfx_path: str           # PKCS#12 with the same key and certificate
    password: str           # password of the PFX (None = unencrypted)
    pem_password: str       # password of the PEM key (None = unencrypted)
    sha1_thumbprint: str    # upper-case hex, as the Azure portal shows it
    sha256_thumbprint: str
    not_valid_after: datetime.datetime


def make_client_certificate(directory, name="client", password="pfx-password", pem_password=None,
                            expired=False, days=365, common_name="intune-autopilot-test"):
    """Create a self-signed RSA certificate and write NAME.pem and NAME.pfx into directory."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = datetime.datetime.now(datetime.timezone.utc)
    if expired:
        not_before, not_after = now - datetime.timedelta(days=30), now - datetime.timedelta(days=1)
    else:
        not_before, not_after = now - datetime.timedelta(minutes=5), now + datetime.timedelta(days=days)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(not_before).not_valid_after(not_after)
            .sign(key, hashes.SHA256()))
    cert_pem = cert.public_bytes(serialization.Encoding.PEM).decode()
    key_encryption = (serialization.BestAvailableEncryption(pem_password.encode())
                      if pem_password else serialization.NoEncryption())
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                key_encryption).decode()
    os.makedirs(directory, exist_ok=True)
    pem_path = os.path.join(str(directory), name + ".pem")
    pfx_path = os.path.join(str(directory), name + ".pfx")
    with open(pem_path, "w") as handle:
        handle.write(key_pem + cert_pem)
    pfx_encryption = (serialization.BestAvailableEncryption(password.encode())
                      if password else serialization.NoEncryption())
    with open(pfx_path, "wb") as handle:
        handle.write(pkcs12.serialize_key_and_certificates(
            name.encode(), key, cert, None, pfx_encryption))
    return ClientCertificate(
        cert_pem=cert_pem, key_pem=key_pem, pem_path=pem_path, pfx_path=pfx_path,
        password=password, pem_password=pem_password,
        sha1_thumbprint=cert.fingerprint(hashes.SHA1()).hex().upper(),
        sha256_thumbprint=cert.fingerprint(hashes.SHA256()).hex().upper(),
        not_valid_after=not_after)
