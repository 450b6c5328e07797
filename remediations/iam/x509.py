"""X.509 certificates of trust anchors and imported CRLs (``cryptography``).

``cryptography`` is imported on first use, so scanning an account without PEM data does not pay
for it. Parsing never raises: a bad bundle or CRL gives a result whose ``error`` says why in one
line, and the checks carry on with the rest of the account.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cryptography.x509 import Certificate, Name

#: The API allows 16,000 characters of PEM per trust anchor; refuse far larger input outright.
MAX_PEM_CHARS = 1_000_000
#: ImportCrl accepts 1..300,000 bytes.
MAX_CRL_BYTES = 1_000_000

RDN = tuple[str, str]


@dataclass(frozen=True, slots=True)
class CertificateInfo:
    """The facts rafix needs about one CA certificate."""

    #: RDNs in certificate order, as (short name, value), e.g. (("C", "ES"), ("CN", "Root")).
    subject: tuple[RDN, ...]
    issuer: tuple[RDN, ...]
    #: RFC 4514 text of subject and issuer (for messages).
    subject_text: str
    issuer_text: str
    not_before: datetime
    not_after: datetime
    #: Lower-case hex, no colons.
    sha256_fingerprint: str
    #: RSA | EC | Ed25519 | Ed448 | DSA | ML-DSA | unknown
    key_type: str
    #: Key size in bits (RSA/EC/DSA), None when it has no meaning.
    key_size: int | None
    #: Hash algorithm of the signature, e.g. "sha256", "sha1"; None when none (Ed25519).
    signature_hash: str | None
    self_signed: bool
    #: basicConstraints CA flag; None when the extension is absent.
    is_ca: bool | None
    #: basicConstraints pathLenConstraint (0: it issues no CA, only end entities); None when
    #: unlimited or absent.
    path_length: int | None = None

    def rdn(self, name: str) -> str | None:
        """The first subject value of an RDN (``CN``, ``OU``...), or None."""
        return next((v for k, v in self.subject if k.upper() == name.upper()), None)


@dataclass(frozen=True, slots=True)
class BundleResult:
    """The certificates of a PEM bundle, or why it could not be read."""

    certificates: tuple[CertificateInfo, ...] = ()
    error: str | None = None


@dataclass(frozen=True, slots=True)
class CrlInfo:
    issuer: tuple[RDN, ...]
    issuer_text: str
    last_update: datetime | None
    #: None when the CRL does not say (nextUpdate is optional in X.509).
    next_update: datetime | None
    revoked_count: int


@dataclass(frozen=True, slots=True)
class CrlResult:
    crl: CrlInfo | None = None
    error: str | None = None


def _rdns(name: Name) -> tuple[RDN, ...]:
    out: list[RDN] = []
    for attribute in name:
        label = attribute.rfc4514_attribute_name
        value = attribute.value
        out.append((label, value if isinstance(value, str) else value.hex()))
    return tuple(out)


def _key_facts(cert: Certificate) -> tuple[str, int | None]:
    from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa

    try:
        key = cert.public_key()
    except Exception:  # unsupported algorithms (e.g. ML-DSA in old OpenSSL)
        return "unknown", None
    if isinstance(key, rsa.RSAPublicKey):
        return "RSA", key.key_size
    if isinstance(key, ec.EllipticCurvePublicKey):
        return "EC", key.key_size
    if isinstance(key, dsa.DSAPublicKey):
        return "DSA", key.key_size
    if isinstance(key, ed25519.Ed25519PublicKey):
        return "Ed25519", None
    if isinstance(key, ed448.Ed448PublicKey):
        return "Ed448", None
    name = type(key).__name__
    return ("ML-DSA" if "MLDSA" in name.upper() else "unknown"), None


def _signature_hash(cert: Certificate) -> str | None:
    try:
        algorithm = cert.signature_hash_algorithm
    except Exception:  # unknown signature OIDs raise UnsupportedAlgorithm
        return None
    return algorithm.name if algorithm is not None else None


def _basic_constraints(cert: Certificate) -> tuple[bool | None, int | None]:
    from cryptography import x509

    try:
        ext = cert.extensions.get_extension_for_class(x509.BasicConstraints)
    except x509.ExtensionNotFound:
        return None, None
    except ValueError:  # a malformed extension
        return None, None
    return ext.value.ca, ext.value.path_length


def _is_ca(cert: Certificate) -> bool | None:
    return _basic_constraints(cert)[0]


def _self_signed(cert: Certificate) -> bool:
    if cert.issuer != cert.subject:
        return False
    try:
        cert.verify_directly_issued_by(cert)
    except Exception:  # any failure means "not provably self-signed"
        return False
    return True


def _certificate_info(cert: Certificate, der: bytes) -> CertificateInfo:
    key_type, key_size = _key_facts(cert)
    return CertificateInfo(
        subject=_rdns(cert.subject),
        issuer=_rdns(cert.issuer),
        subject_text=cert.subject.rfc4514_string(),
        issuer_text=cert.issuer.rfc4514_string(),
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
        sha256_fingerprint=hashlib.sha256(der).hexdigest(),
        key_type=key_type,
        key_size=key_size,
        signature_hash=_signature_hash(cert),
        self_signed=_self_signed(cert),
        is_ca=_is_ca(cert),
        path_length=_basic_constraints(cert)[1],
    )


@lru_cache(maxsize=256)
def parse_certificate_bundle(pem: str) -> BundleResult:
    """Every certificate of a PEM bundle (a trust anchor's ``x509CertificateData``)."""
    if len(pem) > MAX_PEM_CHARS:
        return BundleResult(error=f"certificate bundle is {len(pem):,} characters; too large")
    try:
        data = pem.encode("ascii")
    except UnicodeEncodeError:
        return BundleResult(error="certificate bundle is not PEM (non-ASCII characters)")
    if b"-----BEGIN CERTIFICATE-----" not in data:
        return BundleResult(error="certificate bundle has no PEM certificate")
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding

    try:
        certs = x509.load_pem_x509_certificates(data)
        infos = tuple(_certificate_info(c, c.public_bytes(Encoding.DER)) for c in certs)
    except Exception as exc:  # any parse failure becomes an error value
        return BundleResult(error=f"certificate bundle could not be parsed ({_reason(exc)})")
    return BundleResult(certificates=infos)


def _reason(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__


def _as_bytes(data: bytes | str) -> bytes | None:
    if isinstance(data, bytes):
        return data
    try:
        return data.encode("ascii")
    except UnicodeEncodeError:
        return None


@lru_cache(maxsize=64)
def parse_crl(data: bytes | str) -> CrlResult:
    """An imported CRL's issuer and update times, from PEM or DER."""
    raw = _as_bytes(data)
    if raw is None:
        return CrlResult(error="CRL is neither PEM nor DER (non-ASCII text)")
    if not raw:
        return CrlResult(error="CRL data is empty")
    if len(raw) > MAX_CRL_BYTES:
        return CrlResult(error=f"CRL is {len(raw):,} bytes; too large")
    from cryptography import x509

    try:
        if b"-----BEGIN X509 CRL-----" in raw:
            crl = x509.load_pem_x509_crl(raw)
        else:
            crl = x509.load_der_x509_crl(raw)
        info = CrlInfo(
            issuer=_rdns(crl.issuer),
            issuer_text=crl.issuer.rfc4514_string(),
            last_update=crl.last_update_utc,
            next_update=crl.next_update_utc,
            revoked_count=len(crl),
        )
    except Exception as exc:  # any parse failure becomes an error value
        return CrlResult(error=f"CRL could not be parsed ({_reason(exc)})")
    return CrlResult(crl=info)


def days_until(moment: datetime, now: datetime) -> float:
    """Days from ``now`` to ``moment`` (negative when it has passed); naive times are UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    return (moment - now).total_seconds() / 86400


def to_json(info: CertificateInfo) -> dict[str, Any]:
    """JSON-ready facts of a certificate, for finding evidence."""
    return {
        "subject": info.subject_text,
        "issuer": info.issuer_text,
        "not_before": info.not_before.isoformat(),
        "not_after": info.not_after.isoformat(),
        "sha256_fingerprint": info.sha256_fingerprint,
        "key_type": info.key_type,
        "key_size": info.key_size,
        "signature_hash": info.signature_hash,
        "self_signed": info.self_signed,
        "is_ca": info.is_ca,
    }


# --- a workload's own certificate or CSR (onboarding) -----------------------------------------


@dataclass(frozen=True, slots=True)
class WorkloadCertificate:
    """What onboarding reads from a workload's certificate or certificate signing request."""

    #: "certificate" or "CSR"
    kind: str
    subject: tuple[RDN, ...]
    subject_text: str
    #: None for a CSR (no issuer yet).
    issuer: tuple[RDN, ...] | None
    issuer_text: str | None
    #: subjectAltName URIs (SPIFFE IDs) and DNS names.
    uris: tuple[str, ...] = ()
    dns_names: tuple[str, ...] = ()
    not_after: datetime | None = None

    def rdn(self, name: str) -> str | None:
        """The first subject value of an RDN (``CN``, ``OU``...), or None."""
        return next((v for k, v in self.subject if k.upper() == name.upper()), None)

    def rdns(self, name: str) -> list[str]:
        """Every subject value of an RDN (a subject may carry several OUs)."""
        return [v for k, v in self.subject if k.upper() == name.upper()]

    def issuer_cn(self) -> str | None:
        return next((v for k, v in self.issuer or () if k.upper() == "CN"), None)


def _san(extensions: Any) -> tuple[tuple[str, ...], tuple[str, ...]]:
    from cryptography import x509

    try:
        ext = extensions.get_extension_for_class(x509.SubjectAlternativeName)
    except x509.ExtensionNotFound:
        return (), ()
    uris = tuple(str(v) for v in ext.value.get_values_for_type(x509.UniformResourceIdentifier))
    dns = tuple(str(v) for v in ext.value.get_values_for_type(x509.DNSName))
    return uris, dns


def parse_workload_certificate(data: bytes) -> WorkloadCertificate:
    """A workload's certificate or CSR, PEM or DER.

    Raises:
        ValueError: the data is neither; the message says why in one line.
    """
    if len(data) > MAX_PEM_CHARS:
        raise ValueError(f"{len(data):,} bytes; too large for a certificate or CSR")
    from cryptography import x509

    loaders: list[tuple[str, Any]]
    if b"-----BEGIN" in data:
        if b"CERTIFICATE REQUEST-----" in data:
            loaders = [("CSR", x509.load_pem_x509_csr)]
        else:
            loaders = [("certificate", x509.load_pem_x509_certificate)]
    else:
        loaders = [("certificate", x509.load_der_x509_certificate), ("CSR", x509.load_der_x509_csr)]
    reasons = []
    for kind, loader in loaders:
        try:
            parsed = loader(data)
            uris, dns = _san(parsed.extensions)
        except Exception as exc:  # any parse failure: try the next form, then explain
            reasons.append(_reason(exc))
            continue
        issuer = getattr(parsed, "issuer", None)
        return WorkloadCertificate(
            kind=kind,
            subject=_rdns(parsed.subject),
            subject_text=parsed.subject.rfc4514_string(),
            issuer=_rdns(issuer) if issuer is not None else None,
            issuer_text=issuer.rfc4514_string() if issuer is not None else None,
            uris=uris,
            dns_names=dns,
            not_after=getattr(parsed, "not_valid_after_utc", None),
        )
    raise ValueError(f"neither a PEM/DER certificate nor a CSR ({reasons[0]})")


def issuing_ca_cns(pem: str) -> list[str]:
    """CNs of the CAs in a trust anchor's bundle that can issue workload certificates: the
    certificates that issued no other certificate of the bundle (with one certificate, it)."""
    bundle = parse_certificate_bundle(pem)
    certs = [c for c in bundle.certificates if c.is_ca is not False]
    issuers = {c.issuer for c in certs if not c.self_signed}
    lowest = [c for c in certs if c.subject not in issuers]
    return sorted({cn for c in lowest if (cn := c.rdn("CN"))})
