"""PEM bundles and CRLs (remediations.iam.x509), on certificates made in the test."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from remediations.iam.x509 import days_until, parse_certificate_bundle, parse_crl, to_json
from tests.pki import NOW, Ca, make_ca, make_crl, sha1_signed_pem, weak_rsa_ca


@pytest.fixture(scope="module")
def root() -> Ca:
    return make_ca("Example Root CA")


def test_bundle_of_two_certificates(root: Ca) -> None:
    intermediate = make_ca("Example Issuing CA", issuer=root, not_after=NOW + timedelta(days=30))
    result = parse_certificate_bundle(root.pem + intermediate.pem)
    assert result.error is None
    first, second = result.certificates
    assert first.subject == (("O", "Example"), ("CN", "Example Root CA"))
    assert first.rdn("cn") == "Example Root CA"
    assert first.self_signed and first.is_ca
    assert not second.self_signed
    assert second.issuer == first.subject
    assert second.not_after == NOW + timedelta(days=30)
    assert second.not_after.tzinfo is not None
    assert first.sha256_fingerprint == root.fingerprint
    assert (first.key_type, first.key_size, first.signature_hash) == ("EC", 256, "sha256")


def test_weak_rsa_sha1_ca_is_described() -> None:
    (info,) = parse_certificate_bundle(sha1_signed_pem(weak_rsa_ca())).certificates
    assert (info.key_type, info.key_size, info.signature_hash) == ("RSA", 1024, "sha1")
    assert not info.self_signed  # the relabelled signature no longer verifies


def test_missing_basic_constraints_is_none() -> None:
    (info,) = parse_certificate_bundle(make_ca("No BC", ca=None).pem).certificates
    assert info.is_ca is None


def test_same_name_but_other_signer_is_not_self_signed(root: Ca) -> None:
    impostor = make_ca("Example Root CA", issuer=make_ca("Example Root CA"))
    (info,) = parse_certificate_bundle(impostor.pem).certificates
    assert info.subject == info.issuer
    assert not info.self_signed


@pytest.mark.parametrize(
    "text",
    [
        "not a certificate",
        "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n",
        "-----BEGIN CERTIFICATE-----\nçà\n-----END CERTIFICATE-----\n",
        "-----BEGIN CERTIFICATE-----\n" + "A" * 1_000_001,
        "",
    ],
)
def test_bad_pem_is_an_error_value(text: str) -> None:
    result = parse_certificate_bundle(text)
    assert result.certificates == ()
    assert result.error and "\n" not in result.error


def test_crl_pem_and_der(root: Ca) -> None:
    next_update = NOW + timedelta(days=3)
    for data in (make_crl(root, next_update), make_crl(root, next_update, pem=False)):
        result = parse_crl(data)
        assert result.error is None and result.crl is not None
        assert result.crl.next_update == next_update
        assert result.crl.issuer == (("O", "Example"), ("CN", "Example Root CA"))
        assert result.crl.revoked_count == 0


def test_crl_given_as_text(root: Ca) -> None:
    result = parse_crl(make_crl(root, NOW).decode())
    assert result.crl is not None


@pytest.mark.parametrize("data", [b"", b"garbage", "crl é", b"-----BEGIN X509 CRL-----\nxx\n"])
def test_bad_crl_is_an_error_value(data: bytes | str) -> None:
    result = parse_crl(data)
    assert result.crl is None
    assert result.error


def test_days_until_treats_naive_times_as_utc() -> None:
    assert days_until(NOW + timedelta(days=2), NOW) == 2
    assert days_until(datetime(2026, 5, 31), NOW) == -1


def test_to_json_is_json_ready(root: Ca) -> None:
    (info,) = parse_certificate_bundle(root.pem).certificates
    facts = to_json(info)
    assert facts["sha256_fingerprint"] == root.fingerprint
    assert facts["not_after"].startswith("2036-")


def test_cryptography_is_loaded_only_when_there_is_pem_data() -> None:
    """An account without PEMs does not pay for importing cryptography."""
    code = (
        "import sys\n"
        "from remediations.model import Inventory, TrustAnchor\n"
        "from remediations.checks.run import run_checks\n"
        "anchor = TrustAnchor('arn:aws:rolesanywhere:eu-west-1:1:trust-anchor/a', 'a', 'a',"
        " 'eu-west-1', source_type='AWS_ACM_PCA')\n"
        "run_checks(Inventory(trust_anchors={anchor.arn: anchor}, coverage={'rolesanywhere'}))\n"
        "print('cryptography' in sys.modules)\n"
    )
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=root,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"
