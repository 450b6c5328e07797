"""RA-TRUST-* checks on inventories built from dicts: evidence, severities, FP pitfalls."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import pytest

from remediations.checks import checks_in
from remediations.checks import trust as checks
from remediations.checks.context import ScanContext
from remediations.findings import Finding, Severity
from remediations.model import Inventory, Role, TrustAnchor
from remediations.settings import Settings

ACCOUNT = "111122223333"
REGION = "eu-west-1"
TA = f"arn:aws:rolesanywhere:{REGION}:{ACCOUNT}:trust-anchor/aaaa"
TA2 = f"arn:aws:rolesanywhere:{REGION}:{ACCOUNT}:trust-anchor/bbbb"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/ra-pay-prod"
ALL = ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"]
CN = "aws:PrincipalTag/x509Subject/CN"
ISSUER_CN = "aws:PrincipalTag/x509Issuer/CN"
RA = {"Service": "rolesanywhere.amazonaws.com"}

CheckFn = Callable[[ScanContext], Iterable[Finding]]


def stmt(condition: dict[str, Any] | None = None, **kw: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"Effect": "Allow", "Principal": RA, "Action": ALL}
    if condition:
        out["Condition"] = condition
    out.update(kw)
    return out


def hardened(**extra: dict[str, Any]) -> dict[str, Any]:
    condition: dict[str, Any] = {
        "ArnEquals": {"aws:SourceArn": TA},
        "StringEquals": {CN: "pay.batch.prod", ISSUER_CN: "Issuing CA"},
    }
    for operator, entries in extra.items():
        condition.setdefault(operator, {}).update(entries)
    return stmt(condition)


def policy(*statements: dict[str, Any], version: str | None = "2012-10-17") -> dict[str, Any]:
    out: dict[str, Any] = {"Statement": list(statements)}
    if version:
        out["Version"] = version
    return out


def context(
    document: dict[str, Any],
    *,
    anchors: Iterable[str] = (TA, TA2),
    coverage: Iterable[str] = ("iam", "rolesanywhere"),
    settings: Settings | None = None,
    privileged: bool | None = None,
) -> ScanContext:
    inventory = Inventory(account_id=ACCOUNT, regions=[REGION], coverage=set(coverage))
    inventory.roles[ROLE] = Role(arn=ROLE, name="ra-pay-prod", trust_policy=document)
    for arn in anchors:
        inventory.trust_anchors[arn] = TrustAnchor(
            arn=arn, anchor_id=arn.rsplit("/", 1)[1], name="ta", region=REGION
        )
    ctx = ScanContext(inventory, settings)
    # Privilege comes from another engineer's analysis; pin it for these tests.
    ctx.privileged = lambda role: privileged  # type: ignore[method-assign]
    return ctx


def run(fn: CheckFn, ctx: ScanContext) -> list[Finding]:
    return list(fn(ctx))


def one(fn: CheckFn, ctx: ScanContext) -> Finding:
    found = run(fn, ctx)
    assert len(found) == 1, found
    return found[0]


ALL_CHECKS = checks_in("trust")


def all_ids(ctx: ScanContext) -> set[str]:
    return {f.id for fn in ALL_CHECKS for f in fn(ctx)}


def test_hardened_trust_has_no_findings() -> None:
    assert all_ids(context(policy(hardened()))) == set()


def test_every_trust_id_is_registered() -> None:
    from remediations.catalog import CATALOG
    from remediations.checks import REGISTRY

    registered = {i for ids, _ in REGISTRY for i in ids}
    trust_ids = {i for i in CATALOG if i.startswith("RA-TRUST-")}
    assert trust_ids <= registered


# --- F-TRUST-01 --------------------------------------------------------------------------------


def test_no_subject_high_with_evidence() -> None:
    doc = policy(stmt({"ArnEquals": {"aws:SourceArn": TA}}, Sid="Anchor"))
    f = one(checks.no_subject_condition, context(doc, privileged=False))
    assert f.severity is Severity.HIGH
    assert 'Sid "Anchor"' in f.detail
    assert f.evidence["statement_indexes"] == [0]
    assert f.evidence["actions"] == sorted(ALL)


def test_no_subject_critical_when_privileged() -> None:
    f = one(checks.no_subject_condition, context(policy(stmt()), privileged=True))
    assert f.severity is Severity.CRITICAL


def test_no_subject_medium_for_issuer_only_pin_01d() -> None:
    doc = policy(stmt({"StringEquals": {ISSUER_CN: "CA"}}))
    f = one(checks.no_subject_condition, context(doc))
    assert f.severity is Severity.MEDIUM
    assert f.evidence["issuer_pinned"] is True


def test_no_subject_works_without_a_privilege_probe() -> None:
    ctx = context(policy(stmt()))
    del ctx.privileged  # falls back to the class method; must still work
    assert one(checks.no_subject_condition, ctx).severity in (Severity.HIGH, Severity.CRITICAL)


@pytest.mark.parametrize(
    "document",
    [
        # (a) pin only on TagSession
        policy(
            stmt(Action=["sts:AssumeRole", "sts:SetSourceIdentity"]),
            stmt({"StringEquals": {CN: "a"}}, Action="sts:TagSession"),
        ),
        # (b) Deny-side pin
        policy(stmt(), stmt({"StringNotEquals": {CN: "a"}}, Effect="Deny")),
        # (c) source identity and SPIFFE pins
        policy(stmt({"StringEquals": {"sts:SourceIdentity": "CN=a"}})),
        policy(stmt({"StringEquals": {"aws:PrincipalTag/x509SAN/URI": "spiffe://td/ns/a/sa/b"}})),
        # (f) key case
        policy(stmt({"StringEquals": {"aws:principaltag/X509SUBJECT/cn": "a"}})),
    ],
)
def test_no_subject_false_positive_pitfalls(document: dict[str, Any]) -> None:
    assert run(checks.no_subject_condition, context(document)) == []


def test_session_name_binding_is_not_a_pin_01e() -> None:
    binding = {"StringEquals": {"sts:RoleSessionName": "${aws:PrincipalTag/x509Subject/CN}"}}
    f = one(checks.no_subject_condition, context(policy(stmt(binding))))
    assert f.evidence["session_name_bound"] is True


def test_broken_role_gets_no_subject_finding_but_missing_action() -> None:
    ctx = context(policy(stmt(Action="sts:AssumeRole")))
    assert run(checks.no_subject_condition, ctx) == []
    f = one(checks.missing_required_action, ctx)
    assert sorted(f.evidence["missing_actions"]) == ["sts:SetSourceIdentity", "sts:TagSession"]


# --- F-TRUST-02, 03 ----------------------------------------------------------------------------


def test_no_source_arn_and_source_account_is_not_a_pin() -> None:
    doc = policy(stmt({"StringEquals": {CN: "a", "aws:SourceAccount": ACCOUNT}}))
    f = one(checks.no_source_arn, context(doc))
    assert f.severity is Severity.HIGH
    assert f.evidence["source_account_only"] is True
    assert "aws:SourceAccount" in f.detail


def test_no_source_arn_path_gap_is_medium() -> None:
    doc = policy(
        stmt({"ArnEquals": {"aws:SourceArn": TA}}, Action=ALL[1:]),
        stmt({"StringEquals": {CN: "a"}}, Action="sts:AssumeRole"),
    )
    f = one(checks.no_source_arn, context(doc))
    assert f.severity is Severity.MEDIUM
    assert f.evidence["statement_indexes"] == [1]
    assert f.evidence["actions"] == ["sts:AssumeRole"]


def test_source_arn_wildcard_is_not_reported_as_missing() -> None:
    pattern = f"arn:aws:rolesanywhere:{REGION}:{ACCOUNT}:trust-anchor/*"
    ctx = context(policy(stmt({"ArnLike": {"aws:SourceArn": pattern}, "StringEquals": {CN: "a"}})))
    assert run(checks.no_source_arn, ctx) == []
    f = one(checks.source_arn_wildcard, ctx)
    assert f.severity is Severity.HIGH
    assert f.evidence["values"] == [pattern]


def test_stale_source_arn_only_when_that_region_was_read() -> None:
    gone = f"arn:aws:rolesanywhere:{REGION}:{ACCOUNT}:trust-anchor/gone"
    doc = policy(stmt({"ArnEquals": {"aws:SourceArn": [TA, gone]}, "StringEquals": {CN: "a"}}))
    f = one(checks.source_arn_stale, context(doc))
    assert f.severity is Severity.LOW
    assert f.evidence == {**f.evidence, "values": [gone], "only_pins": False}
    assert run(checks.source_arn_stale, context(doc, coverage=("iam",))) == []
    elsewhere = gone.replace(REGION, "ap-south-1")
    doc2 = policy(stmt({"ArnEquals": {"aws:SourceArn": [TA, elsewhere]}}))
    assert run(checks.source_arn_stale, context(doc2)) == []


def test_stale_only_pin_says_role_is_unusable() -> None:
    gone = f"arn:aws:rolesanywhere:{REGION}:{ACCOUNT}:trust-anchor/gone"
    f = one(checks.source_arn_stale, context(policy(stmt({"ArnEquals": {"aws:SourceArn": gone}}))))
    assert f.evidence["only_pins"] is True and "cannot be used" in f.detail


# --- F-TRUST-04, 05 and naming -----------------------------------------------------------------


def test_subject_wildcard_high_and_spiffe_namespace_medium() -> None:
    f = one(checks.subject_wildcard, context(policy(stmt({"StringLike": {CN: "prod-*"}}))))
    assert f.severity is Severity.HIGH and f.evidence["values"] == ["prod-*"]
    uri = "aws:PrincipalTag/x509SAN/URI"
    spiffe = policy(stmt({"StringLike": {uri: "spiffe://td/ns/payments/sa/*"}}))
    g = one(checks.subject_wildcard, context(spiffe))
    assert g.severity is Severity.MEDIUM and g.evidence["spiffe_namespace"] is True


def test_stringlike_without_wildcard_is_an_exact_pin() -> None:
    uri = "aws:PrincipalTag/x509SAN/URI"
    ctx = context(policy(stmt({"StringLike": {uri: "spiffe://td/ns/a/sa/b"}})))
    assert run(checks.subject_wildcard, ctx) == []
    assert run(checks.no_subject_condition, ctx) == []


def test_multiple_subjects() -> None:
    f = one(checks.multiple_subjects, context(policy(stmt({"StringEquals": {CN: ["a", "b"]}}))))
    assert f.evidence["subject_count"] == 2
    assert f.evidence["subjects"] == {"x509subject/cn": ["a", "b"]}


@pytest.mark.parametrize(
    ("cn", "fragment"),
    [
        ("app(1).prod", "charset"),
        ("a" * 62, "62 characters"),
    ],
)
def test_subject_naming_charset_and_length(cn: str, fragment: str) -> None:
    f = one(checks.subject_naming, context(policy(stmt({"StringEquals": {CN: cn}}))))
    assert fragment in f.detail


def test_subject_naming_convention_from_settings() -> None:
    settings = Settings(cn_pattern=r"[a-z]+\.[a-z]+\.(prod|dev)", ou_pattern=r"[a-z]+")
    doc = policy(
        stmt({"StringEquals": {CN: "pay.batch.prod", "aws:PrincipalTag/x509Subject/OU": "Pay"}})
    )
    f = one(checks.subject_naming, context(doc, settings=settings))
    assert "OU 'Pay'" in f.detail and "pay.batch.prod" not in f.detail
    assert run(checks.subject_naming, context(doc)) == []


# --- F-TRUST-06 --------------------------------------------------------------------------------


def test_issuer_not_pinned_medium_and_low_with_one_anchor() -> None:
    doc = policy(stmt({"ArnEquals": {"aws:SourceArn": TA}, "StringEquals": {CN: "a"}}))
    assert one(checks.issuer_not_pinned, context(doc)).severity is Severity.MEDIUM
    f = one(checks.issuer_not_pinned, context(doc, anchors=[TA]))
    assert f.severity is Severity.LOW and f.evidence["single_trust_anchor"] is True


def test_issuer_pattern_is_low() -> None:
    doc = policy(stmt({"StringLike": {ISSUER_CN: "DOD ID CA-*"}, "StringEquals": {CN: "a"}}))
    f = one(checks.issuer_not_pinned, context(doc))
    assert f.severity is Severity.LOW and "DOD ID CA-*" in f.detail


# --- F-TRUST-07 --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "operator", ["StringNotEquals", "StringEqualsIfExists", "ForAllValues:StringLike", "ArnNotLike"]
)
def test_fail_open_operator_high(operator: str) -> None:
    key = "aws:SourceArn" if operator.startswith("Arn") else CN
    f = one(checks.fail_open_operator, context(policy(hardened(**{operator: {key: "x"}}))))
    assert f.severity is Severity.HIGH
    assert f.evidence["operators"] == [operator]


def test_for_any_value_is_low() -> None:
    doc = policy(hardened(**{"ForAnyValue:StringEquals": {"aws:PrincipalTag/x509Subject/OU": "x"}}))
    f = one(checks.fail_open_operator, context(doc))
    assert f.severity is Severity.LOW and f.evidence["fails_closed"] is True


def test_negated_operator_in_deny_is_not_fail_open() -> None:
    doc = policy(hardened(), stmt({"StringNotEquals": {ISSUER_CN: "Issuing CA"}}, Effect="Deny"))
    assert run(checks.fail_open_operator, context(doc)) == []


def test_fail_open_on_unrelated_key_is_not_reported() -> None:
    doc = policy(hardened(StringNotEquals={"aws:RequestedRegion": "us-east-1"}))
    assert run(checks.fail_open_operator, context(doc)) == []


# --- F-TRUST-08, 09 ----------------------------------------------------------------------------


def test_mixed_principals_high_and_medium_for_one_named_role() -> None:
    root = {
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
        "Action": "sts:AssumeRole",
    }
    f = one(checks.mixed_principals, context(policy(hardened(), root)))
    assert f.severity is Severity.HIGH
    assert f.evidence["other_principals"] == [f"AWS:arn:aws:iam::{ACCOUNT}:root"]
    breakglass = {**root, "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:role/breakglass"}}
    assert one(checks.mixed_principals, context(policy(hardened(), breakglass))).severity is (
        Severity.MEDIUM
    )


def test_mixed_principals_pitfalls_08b_08c() -> None:
    both = {"Service": ["rolesanywhere.amazonaws.com", "ec2.amazonaws.com"]}
    doc = policy(
        stmt({"StringEquals": {CN: "a"}, "ArnEquals": {"aws:SourceArn": TA}}, Principal=both)
    )
    assert run(checks.mixed_principals, context(doc)) == []
    chain = stmt(
        {"StringEquals": {"sts:RoleSessionName": "${aws:PrincipalTag/x509Subject/CN}"}},
        Principal={"AWS": f"arn:aws:iam::{ACCOUNT}:role/intermediate"},
        Action="sts:AssumeRole",
    )
    assert run(checks.mixed_principals, context(policy(hardened(), chain))) == []
    unconditioned = policy(stmt(Principal=both))
    assert one(checks.mixed_principals, context(unconditioned)).evidence["other_principals"] == [
        "Service:ec2.amazonaws.com"
    ]


@pytest.mark.parametrize("principal", ["*", {"AWS": "*"}])
def test_wildcard_principal_critical_even_with_conditions(principal: Any) -> None:
    doc = policy(stmt({"StringEquals": {"aws:PrincipalOrgID": "o-1"}}, Principal=principal))
    ctx = context(doc)
    assert one(checks.wildcard_principal, ctx).severity is Severity.CRITICAL
    assert run(checks.mixed_principals, ctx) == []
    assert one(checks.no_subject_condition, ctx)  # the org condition does nothing for RA


# --- F-TRUST-10, 11, 12 ------------------------------------------------------------------------


def test_missing_action_allowance_from_another_statement_10() -> None:
    doc = policy(
        stmt({"StringEquals": {CN: "a"}}, Action="sts:AssumeRole"),
        stmt({"StringEquals": {CN: "a"}}, Action=["sts:TagSession", "sts:SetSourceIdentity"]),
    )
    assert run(checks.missing_required_action, context(doc)) == []


def test_source_ip_positive_breaks_negated_is_meaningless() -> None:
    positive = policy(hardened(IpAddress={"aws:SourceIp": "203.0.113.0/24"}))
    f = one(checks.source_ip_condition, context(positive))
    assert f.evidence["breaks_path"] is True and f.severity is Severity.MEDIUM
    negated = policy(hardened(NotIpAddress={"aws:SourceIp": "203.0.113.0/24"}))
    assert one(checks.source_ip_condition, context(negated)).evidence["breaks_path"] is False


@pytest.mark.parametrize("version", [None, "2008-10-17"])
def test_legacy_version_with_variables(version: str | None) -> None:
    binding = {"sts:RoleSessionName": "${aws:PrincipalTag/x509Subject/CN}"}
    doc = policy(hardened(StringEquals=binding), version=version)
    f = one(checks.legacy_version, context(doc))
    assert f.evidence["keys"] == ["sts:RoleSessionName"]
    assert run(checks.legacy_version, context(policy(hardened(StringEquals=binding)))) == []


def test_role_without_ra_trust_is_ignored() -> None:
    ec2 = {
        "Effect": "Allow",
        "Principal": {"Service": "ec2.amazonaws.com"},
        "Action": "sts:AssumeRole",
    }
    assert all_ids(context(policy(ec2))) == set()


def test_findings_are_json_ready() -> None:
    import json

    ctx = context(policy(stmt({"StringNotEquals": {CN: "x"}}, Principal="*")))
    for fn in ALL_CHECKS:
        for f in fn(ctx):
            json.dumps(f.to_json())


def test_multiple_subjects_flags_likely_rotation_aliases_05() -> None:
    doc = policy(stmt({"StringEquals": {CN: ["app-a", "app-a-v2", "batch"]}}))
    f = one(checks.multiple_subjects, context(doc))
    assert f.evidence["possible_rotation_aliases"] == [["app-a", "app-a-v2"]]
    assert "alias group" in f.detail
    plain = one(checks.multiple_subjects, context(policy(stmt({"StringEquals": {CN: ["a", "b"]}}))))
    assert plain.evidence["possible_rotation_aliases"] == []


def test_subject_wildcard_counts_matching_subjects_seen() -> None:
    from remediations.model import Subject

    ctx = context(
        policy(stmt({"StringLike": {CN: "prod-*"}})), coverage=("iam", "rolesanywhere", "subjects")
    )
    for i, dn in enumerate(["CN=prod-a,OU=x", "CN=prod-b", "CN=dev-a"]):
        ctx.inventory.subjects[f"s{i}"] = Subject(
            arn=f"s{i}", subject_id=f"{i}", region=REGION, x509_subject=dn
        )
    f = one(checks.subject_wildcard, ctx)
    assert f.evidence["matching_subjects_seen"] == {"prod-*": 2}
    unread = one(checks.subject_wildcard, context(policy(stmt({"StringLike": {CN: "prod-*"}}))))
    assert unread.evidence["matching_subjects_seen"] == {"prod-*": None}
