"""Certificate contexts on a path, distinguished names, and what a profile's attribute mapping
drops."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from remediations.access.model import CERT_PREFIXES, TAG, CertificateQuery
from remediations.model import Profile

# --- certificate contexts -----------------------------------------------------------------------


def parse_dn(text: str) -> dict[str, str]:
    """``CN=app.prod,OU=platform,OU=eng`` -> {"CN": "app.prod", "OU": "platform/eng"}.

    Multi-valued RDNs are joined with ``/`` in order, as Roles Anywhere does (FINDINGS 3.1).
    A comma inside a value is written ``\\,``.

    Raises:
        ValueError: a part that is not ``NAME=value``.
    """
    out: dict[str, list[str]] = {}
    parts, current, escaped = [], "", False
    for char in text:
        if escaped:
            current += char
            escaped = False
        elif char == "\\":
            escaped = True
        elif char in ",+":
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    for part in parts:
        if not part.strip():
            continue
        name, sep, value = part.partition("=")
        if not sep or not name.strip():
            raise ValueError(f"{part.strip()!r} is not NAME=value (e.g. CN=app.prod,OU=platform)")
        key = _RDN_NAMES.get(name.strip().upper(), name.strip())
        out.setdefault(key, []).append(value.strip())
    return {k: "/".join(v) for k, v in out.items()}


_RDN_NAMES = {
    "CN": "CN",
    "OU": "OU",
    "O": "O",
    "C": "C",
    "ST": "ST",
    "L": "L",
    "UID": "UID",
    "DC": "DC",
    "EMAILADDRESS": "emailAddress",
}


def query_from_certificate(data: bytes, trust_anchor_arn: str | None = None) -> CertificateQuery:
    """The reverse question for a PEM/DER certificate (subject, issuer, first URI/DNS SAN).

    Raises:
        ValueError: not a certificate (the message says why in one line).
    """
    from remediations.iam.x509 import parse_workload_certificate

    cert = parse_workload_certificate(data)
    if cert.kind != "certificate":
        raise ValueError("a certificate signing request has no issuer yet; give the certificate")

    def joined(rdns: Sequence[tuple[str, str]]) -> dict[str, str]:
        out: dict[str, list[str]] = {}
        for name, value in rdns:
            out.setdefault(_RDN_NAMES.get(name.upper(), name), []).append(value)
        return {k: "/".join(v) for k, v in out.items()}

    san: dict[str, str] = {}
    if cert.dns_names:
        san["DNS"] = cert.dns_names[0]
    if cert.uris:
        san["URI"] = cert.uris[0]
    return CertificateQuery(
        subject=joined(cert.subject),
        issuer=joined(cert.issuer or ()),
        san=san,
        trust_anchor_arn=trust_anchor_arn,
    )


# --- attribute mapping --------------------------------------------------------------------------


def is_cert_key(key: str) -> bool:
    return key.startswith(TAG) and key[len(TAG) :].startswith(CERT_PREFIXES)


def attribute_name(key: str, as_written: str) -> str:
    """``x509Subject/CN`` for a certificate key (canonical case), else the key as written."""
    if not is_cert_key(key):
        return as_written
    tail = key[len(TAG) :]
    field_name, _, rest = tail.partition("/")
    pretty = {"x509subject": "x509Subject", "x509issuer": "x509Issuer", "x509san": "x509SAN"}
    if field_name == "x509san":
        head, _, sub = rest.partition("/")
        rest = {"dns": "DNS", "uri": "URI", "name": "Name"}.get(head, head) + (
            "/" + sub.upper() if sub else ""
        )
    else:
        rest = rest.upper() if len(rest) <= 3 else rest
    return f"{pretty[field_name]}/{rest}"


def dropped_by_mapping(profile: Profile, keys: Iterable[str]) -> frozenset[str]:
    """The certificate keys (lower case) among ``keys`` that the profile's mapping drops."""
    from remediations.checks.profile import key_is_mapped, mapped_specifiers

    mapped = mapped_specifiers(profile.attribute_mappings)
    return frozenset(k for k in keys if key_is_mapped(k, mapped) is False)
