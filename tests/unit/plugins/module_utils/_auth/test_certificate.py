# -*- coding: utf-8 -*-
"""Unit tests for certificates.load_client_certificate with certificates made here."""

import datetime

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from ansible_collections.intune.autopilot.plugins.module_utils._auth._certificate import load_client_certificate
from ansible_collections.intune.autopilot.plugins.module_utils._base._errors import ConfigurationError

UTC = datetime.timezone.utc
NOW = datetime.datetime.now(UTC).replace(microsecond=0)
PASSWORD = "Pfx-Passw0rd!"


def make_cert(key, not_before, not_after):
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, u"intune-autopilot-test")])
    return (x509.CertificateBuilder()
            .subject_name(name).issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(not_before).not_valid_after(not_after)
            .sign(key, hashes.SHA256()))


@pytest.fixture(scope="module")
def key():
    return ec.generate_private_key(ec.SECP256R1())


@pytest.fixture(scope="module")
def cert(key):
    return make_cert(key, NOW - datetime.timedelta(days=1), NOW + datetime.timedelta(days=365))


def key_pem(key, password=None):
    encryption = (serialization.BestAvailableEncryption(password.encode()) if password
                  else serialization.NoEncryption())
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)


def cert_pem(cert):
    return cert.public_bytes(serialization.Encoding.PEM)


def write(tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def load_error(path, password=None, now=None):
    with pytest.raises(ConfigurationError) as info:
        load_client_certificate(path, password, now=now)
    return info.value


def assert_same_key(loaded_pem, key):
    loaded = serialization.load_pem_private_key(loaded_pem.encode("ascii"), password=None)
    assert loaded.private_numbers() == key.private_numbers()


# -- PEM --------------------------------------------------------------------------

def test_pem_key_and_certificate(tmp_path, key, cert):
    path = write(tmp_path, "client.pem", key_pem(key) + cert_pem(cert))
    loaded = load_client_certificate(path)
    assert_same_key(loaded.private_key_pem, key)
    assert loaded.certificate_pem == cert_pem(cert).decode("ascii")
    assert loaded.not_valid_after == cert.not_valid_after_utc
    credential = loaded.msal_credential()
    assert set(credential) == {"private_key", "public_certificate"}
    assert credential["public_certificate"].startswith("-----BEGIN CERTIFICATE-----")
    assert "ENCRYPTED" not in credential["private_key"]


def test_pem_certificate_before_key(tmp_path, key, cert):
    path = write(tmp_path, "client.pem", cert_pem(cert) + key_pem(key))
    loaded = load_client_certificate(path)
    assert_same_key(loaded.private_key_pem, key)


def test_encrypted_pem_with_right_password(tmp_path, key, cert):
    path = write(tmp_path, "client.pem", key_pem(key, PASSWORD) + cert_pem(cert))
    loaded = load_client_certificate(path, PASSWORD)
    assert_same_key(loaded.private_key_pem, key)
    assert "ENCRYPTED" not in loaded.private_key_pem


def test_encrypted_pem_with_wrong_password(tmp_path, key, cert):
    path = write(tmp_path, "client.pem", key_pem(key, PASSWORD) + cert_pem(cert))
    error = load_error(path, "wrong-password")
    assert error.option == "client_certificate_password"
    assert "could not be decrypted" in error.message
    assert "wrong-password" not in error.message


def test_encrypted_pem_without_password(tmp_path, key, cert):
    path = write(tmp_path, "client.pem", key_pem(key, PASSWORD) + cert_pem(cert))
    error = load_error(path, None)
    assert error.option == "client_certificate_password"
    assert "set client_certificate_password" in error.message
    assert "encrypted" in error.message


def test_pem_without_key(tmp_path, cert):
    path = write(tmp_path, "cert-only.pem", cert_pem(cert))
    error = load_error(path)
    assert error.option == "client_certificate_path"
    assert "holds no private key" in error.message


def test_key_without_certificate(tmp_path, key):
    path = write(tmp_path, "key-only.pem", key_pem(key))
    error = load_error(path)
    assert error.option == "client_certificate_path"
    assert "holds a private key but no certificate" in error.message


def test_missing_file(tmp_path):
    path = str(tmp_path / "missing.pem")
    error = load_error(path)
    assert error.option == "client_certificate_path"
    assert "Cannot read client_certificate_path %r" % path in error.message


# -- PFX ----------------------------------------------------------------------------

def pfx(key, cert, password):
    encryption = (serialization.BestAvailableEncryption(password.encode()) if password
                  else serialization.NoEncryption())
    return pkcs12.serialize_key_and_certificates(b"client", key, cert, None, encryption)


def test_pfx_with_right_password(tmp_path, key, cert):
    path = write(tmp_path, "client.pfx", pfx(key, cert, PASSWORD))
    loaded = load_client_certificate(path, PASSWORD)
    assert_same_key(loaded.private_key_pem, key)
    assert loaded.certificate_pem == cert_pem(cert).decode("ascii")


def test_pfx_with_wrong_password(tmp_path, key, cert):
    path = write(tmp_path, "client.pfx", pfx(key, cert, PASSWORD))
    error = load_error(path, "nope-nope")
    assert error.option == "client_certificate_password"
    assert "PFX/PKCS#12" in error.message
    assert "wrong or missing" in error.message
    assert "nope-nope" not in error.message


def test_pfx_without_password_when_one_is_needed(tmp_path, key, cert):
    path = write(tmp_path, "client.pfx", pfx(key, cert, PASSWORD))
    error = load_error(path, None)
    assert error.option == "client_certificate_password"


def test_unprotected_pfx(tmp_path, key, cert):
    path = write(tmp_path, "client.pfx", pfx(key, cert, None))
    assert_same_key(load_client_certificate(path).private_key_pem, key)


def test_pfx_without_key(tmp_path, cert):
    data = pkcs12.serialize_key_and_certificates(
        b"client", None, cert, None, serialization.BestAvailableEncryption(PASSWORD.encode()))
    path = write(tmp_path, "cert-only.pfx", data)
    error = load_error(path, PASSWORD)
    assert error.option == "client_certificate_path"
    assert "must hold both a private key and its certificate" in error.message


def test_neither_pem_nor_pfx(tmp_path):
    path = write(tmp_path, "junk.bin", b"\x00\x01 not a certificate")
    error = load_error(path)
    assert error.option == "client_certificate_password"
    assert "not PKCS#12" in error.message


# -- validity -------------------------------------------------------------------------

def test_expired_certificate(tmp_path, key):
    expired = make_cert(key, NOW - datetime.timedelta(days=400), NOW - datetime.timedelta(days=35))
    path = write(tmp_path, "expired.pem", key_pem(key) + cert_pem(expired))
    error = load_error(path)
    assert error.option == "client_certificate_path"
    assert "expired on %s" % (NOW - datetime.timedelta(days=35)).strftime("%Y-%m-%d") in error.message
    assert "upload its public part" in error.message


def test_not_yet_valid_certificate(tmp_path, key):
    future = make_cert(key, NOW + datetime.timedelta(days=2), NOW + datetime.timedelta(days=400))
    path = write(tmp_path, "future.pem", key_pem(key) + cert_pem(future))
    error = load_error(path)
    assert error.option == "client_certificate_path"
    expected = (NOW + datetime.timedelta(days=2)).strftime("%Y-%m-%d %H:%M:%SZ")
    assert "is not valid before %s" % expected in error.message


def test_expired_pfx(tmp_path, key):
    expired = make_cert(key, NOW - datetime.timedelta(days=400), NOW - datetime.timedelta(days=1))
    path = write(tmp_path, "expired.pfx", pfx(key, expired, PASSWORD))
    error = load_error(path, PASSWORD)
    assert "expired" in error.message


def test_now_is_injectable(tmp_path, key, cert):
    path = write(tmp_path, "client.pem", key_pem(key) + cert_pem(cert))
    later = NOW + datetime.timedelta(days=366)
    error = load_error(path, now=later)
    assert "expired on" in error.message
    earlier = NOW - datetime.timedelta(days=2)
    assert "not valid before" in load_error(path, now=earlier).message
