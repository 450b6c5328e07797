"""The profile, role and PKI checks on the shared corpus (real ProfileDetail/TrustAnchorDetail).

Every file must scan without a crash; the cases INDEX.md singles out must give their findings.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import pytest

from remediations.checks import checks_in
from remediations.checks.context import ScanContext
from remediations.errors import PolicyError
from remediations.findings import Finding, Severity
from remediations.iam.policy import decode_policy_document
from remediations.model import Inventory, Profile, Role, TrustAnchor
from remediations.settings import Settings
from tests.builders import ADMIN, FULL_COVERAGE, S3_READ
from tests.shared import CORPUS

pytestmark = [
    pytest.mark.corpus,
    pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus is absent"),
]

MY_CHECKS = checks_in("profile", "role", "pki")


def load(folder: str, number: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((CORPUS / folder / f"{number}.json").read_text("utf-8"))
    return data


def files(folder: str) -> list[str]:
    if not CORPUS.is_dir():
        return []
    return sorted(p.stem for p in (CORPUS / folder).glob("*.json"))


def region_of(arn: str) -> str:
    return arn.split(":")[3]


def profile_from_detail(d: dict[str, Any]) -> Profile:
    """A Profile from a ProfileDetail (absent fields keep the model's API defaults)."""
    text = d.get("sessionPolicy")
    document, error = None, None
    if text is not None:
        try:
            document = decode_policy_document(text)
        except PolicyError as exc:
            error = str(exc)
    return Profile(
        arn=d["profileArn"],
        profile_id=d["profileId"],
        name=d["name"],
        region=region_of(d["profileArn"]),
        enabled=d.get("enabled", True),
        role_arns=list(d.get("roleArns") or []),
        managed_policy_arns=list(d.get("managedPolicyArns") or []),
        session_policy_text=text,
        session_policy=document,
        session_policy_error=error,
        duration_seconds=d.get("durationSeconds"),
        accept_role_session_name=bool(d.get("acceptRoleSessionName")),
        attribute_mappings=d.get("attributeMappings"),
        raw=d,
    )


def anchor_from_detail(d: dict[str, Any]) -> TrustAnchor:
    source = d.get("source") or {}
    data = source.get("sourceData") or {}
    return TrustAnchor(
        arn=d["trustAnchorArn"],
        anchor_id=d["trustAnchorId"],
        name=d["name"],
        region=region_of(d["trustAnchorArn"]),
        enabled=d.get("enabled", True),
        source_type=source.get("sourceType", ""),
        certificate_pem=data.get("x509CertificateData"),
        acm_pca_arn=data.get("acmPcaArn"),
        notification_settings=list(d.get("notificationSettings") or []),
        raw=d,
    )


def role_with_trust(arn: str, trust_file: str, attached: Iterable[str]) -> Role:
    return Role(
        arn=arn,
        name=arn.rsplit("/", 1)[-1],
        trust_policy=load("trust", trust_file),
        attached_policy_arns=list(attached),
    )


def scan(
    profiles: Iterable[Profile] = (),
    anchors: Iterable[TrustAnchor] = (),
    roles: Iterable[Role] = (),
) -> list[Finding]:
    profiles, anchors, roles = list(profiles), list(anchors), list(roles)
    inventory = Inventory(
        account_id="111122223333",
        roles={r.arn: r for r in roles},
        profiles={p.arn: p for p in profiles},
        trust_anchors={a.arn: a for a in anchors},
        regions=sorted({p.region for p in profiles} | {a.region for a in anchors}),
        coverage=set(FULL_COVERAGE),
    )
    ctx = ScanContext(inventory, Settings())
    return [f for fn in MY_CHECKS for f in fn(ctx)]


def by_id(findings: list[Finding]) -> dict[str, Finding]:
    return {f.id: f for f in findings}


@pytest.mark.parametrize("number", files("profiles"))
def test_every_profile_scans(number: str) -> None:
    findings = scan(profiles=[profile_from_detail(load("profiles", number))])
    for finding in findings:
        assert finding.detail and json.dumps(finding.to_json())


@pytest.mark.parametrize("number", files("trust_anchors"))
def test_every_trust_anchor_scans(number: str) -> None:
    findings = scan(anchors=[anchor_from_detail(load("trust_anchors", number))])
    for finding in findings:
        assert finding.detail and json.dumps(finding.to_json())


def test_whole_corpus_in_one_inventory() -> None:
    profiles = [profile_from_detail(load("profiles", n)) for n in files("profiles")]
    anchors = [anchor_from_detail(load("trust_anchors", n)) for n in files("trust_anchors")]
    findings = scan(profiles, anchors)
    assert {f.id for f in findings} >= {"RA-PROFILE-UNSCOPED-SESSION", "RA-PROFILE-LONG-DURATION"}


def test_profile_003_vacuous_session_policy_over_an_admin_role() -> None:
    p = profile_from_detail(load("profiles", "003"))
    admin = role_with_trust(p.role_arns[0], "007", [ADMIN])
    anchor = anchor_from_detail(load("trust_anchors", "002"))
    found = by_id(scan([p], [anchor], [admin]))
    permissive = found["RA-PROFILE-PERMISSIVE-SESSION-POLICY"]
    assert permissive.severity is Severity.HIGH
    assert permissive.evidence["grants_everything"] is True
    assert "RA-PROFILE-UNSCOPED-SESSION" not in found
    assert found["RA-ROLE-PRIVILEGED"].resource_arn == admin.arn
    # A Private CA anchor: no certificate to read, so no expiry or external-CA finding.
    assert "RA-TA-CA-EXPIRING" not in found and "RA-TA-EXTERNAL-CA" not in found
    assert found["RA-TA-BLAST-RADIUS"].evidence["role_arns"] == [admin.arn]


def test_profile_002_deny_only_session_policy_is_not_permissive() -> None:
    p = profile_from_detail(load("profiles", "002"))
    ids = {f.id for f in scan([p])}
    assert p.session_policy is not None
    assert not ids & {
        "RA-PROFILE-PERMISSIVE-SESSION-POLICY",
        "RA-PROFILE-UNSCOPED-SESSION",
        "RA-PROFILE-NO-GUARDRAIL-DENIES",
    }


def test_profile_012_accept_role_session_name_with_eks_binding_is_compliant() -> None:
    p = profile_from_detail(load("profiles", "012"))
    assert p.accept_role_session_name
    node = role_with_trust(p.role_arns[0], "034", [S3_READ])
    ids = {f.id for f in scan([p], roles=[node])}
    assert "RA-PROFILE-ACCEPT-ROLE-SESSION-NAME-UNBOUND" not in ids
    assert "RA-PROFILE-ROLE-NOT-RA-TRUSTED" not in ids


def test_profile_018_twelve_hour_sessions_are_medium() -> None:
    (finding,) = [
        f
        for f in scan([profile_from_detail(load("profiles", "018"))])
        if f.id == "RA-PROFILE-LONG-DURATION"
    ]
    assert finding.severity is Severity.MEDIUM
    assert finding.evidence["duration_seconds"] == 43200


def test_profile_004_managed_read_only_session_is_scoped() -> None:
    """AmazonS3ReadOnlyAccess as the session policy: nothing destructive is reachable."""
    ids = {f.id for f in scan([profile_from_detail(load("profiles", "004"))])}
    assert not ids & {
        "RA-PROFILE-UNSCOPED-SESSION",
        "RA-PROFILE-PERMISSIVE-SESSION-POLICY",
        "RA-PROFILE-NO-GUARDRAIL-DENIES",
    }


def test_trust_anchor_003_two_certificate_bundle() -> None:
    anchor = anchor_from_detail(load("trust_anchors", "003"))
    found = by_id(scan(anchors=[anchor]))
    blast = found["RA-TA-BLAST-RADIUS"]
    assert blast.severity is Severity.MEDIUM
    assert "bundle of 2 CA certificates" in blast.evidence["ca_weaknesses"]
    subjects = [c["subject"] for c in blast.evidence["certificates"]]
    assert subjects == ["CN=base2.local", "CN=engineering.base2.local"]
    assert len(found["RA-TA-EXTERNAL-CA"].evidence["unapproved_fingerprints"]) == 2


def test_trust_anchor_001_default_notifications_are_fine() -> None:
    anchor = anchor_from_detail(load("trust_anchors", "001"))
    assert len(anchor.notification_settings) == 2
    ids = {f.id for f in scan(anchors=[anchor])}
    assert "RA-TA-NOTIFICATIONS-DISABLED" not in ids
    assert "RA-TA-EXTERNAL-CA" in ids  # the Stratus attacker anchor: a bundle nobody approved


def test_trust_anchor_004_customer_threshold_of_30_days_is_fine() -> None:
    ids = {f.id for f in scan(anchors=[anchor_from_detail(load("trust_anchors", "004"))])}
    assert "RA-TA-NOTIFICATIONS-DISABLED" not in ids
