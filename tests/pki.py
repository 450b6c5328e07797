"""Certificates and CRLs made in the tests (real ones, signed with cryptography)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

NOW = datetime(2026, 6, 1, tzinfo=UTC)
Key = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey


@dataclass
class Ca:
    cert: x509.Certificate
    key: Key

    @property
    def pem(self) -> str:
        return self.cert.public_bytes(serialization.Encoding.PEM).decode()

    @property
    def fingerprint(self) -> str:
        return hashlib.sha256(self.cert.public_bytes(serialization.Encoding.DER)).hexdigest()


def make_ca(
    cn: str,
    *,
    not_after: datetime = NOW + timedelta(days=3650),
    issuer: Ca | None = None,
    key: Key | None = None,
    ca: bool | None = True,
) -> Ca:
    """A CA certificate: self-signed, or issued by ``issuer``."""
    key = key or ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Example"),
            x509.NameAttribute(NameOID.COMMON_NAME, cn),
        ]
    )
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer.cert.subject if issuer else name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - timedelta(days=365))
        .not_valid_after(not_after)
    )
    if ca is not None:
        builder = builder.add_extension(
            x509.BasicConstraints(ca=ca, path_length=None), critical=True
        )
    signer = issuer.key if issuer else key
    return Ca(builder.sign(signer, hashes.SHA256()), key)


def make_crl(ca: Ca, next_update: datetime, *, pem: bool = True) -> bytes:
    crl = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(ca.cert.subject)
        .last_update(next_update - timedelta(days=7))
        .next_update(next_update)
        .sign(ca.key, hashes.SHA256())
    )
    return crl.public_bytes(serialization.Encoding.PEM if pem else serialization.Encoding.DER)


SHA256_WITH_RSA = bytes.fromhex("06092a864886f70d01010b")
SHA1_WITH_RSA = bytes.fromhex("06092a864886f70d010105")


def sha1_signed_pem(ca: Ca) -> str:
    """The certificate relabelled as sha1WithRSAEncryption (cryptography no longer signs SHA-1;
    the signature is then invalid, which parsing does not check)."""
    der = ca.cert.public_bytes(serialization.Encoding.DER)
    assert der.count(SHA256_WITH_RSA) == 2
    patched = x509.load_der_x509_certificate(der.replace(SHA256_WITH_RSA, SHA1_WITH_RSA))
    return patched.public_bytes(serialization.Encoding.PEM).decode()


def weak_rsa_ca(cn: str = "Legacy CA") -> Ca:
    return make_ca(cn, key=rsa.generate_private_key(65537, 1024))
