"""analyze_trust: who Roles Anywhere admits, per FINDINGS 3.4 and the F-TRUST pitfalls."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from remediations.trust import CertificateContext, analyze_trust

ACCOUNT = "111122223333"
ANCHOR = f"arn:aws:rolesanywhere:us-east-1:{ACCOUNT}:trust-anchor/aaaa"
OTHER_ANCHOR = f"arn:aws:rolesanywhere:us-east-1:{ACCOUNT}:trust-anchor/bbbb"
ALL = ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"]
CN = "aws:PrincipalTag/x509Subject/CN"
ISSUER_CN = "aws:PrincipalTag/x509Issuer/CN"


def stmt(
    condition: dict[str, Any] | None = None,
    *,
    actions: Any = None,
    effect: str = "Allow",
    principal: Any = None,
    sid: str | None = None,
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "Effect": effect,
        "Principal": principal or {"Service": "rolesanywhere.amazonaws.com"},
        "Action": ALL if actions is None else actions,
    }
    if condition:
        out["Condition"] = condition
    if sid:
        out["Sid"] = sid
    return out


def policy(*statements: dict[str, Any], version: str | None = "2012-10-17") -> dict[str, Any]:
    out: dict[str, Any] = {"Statement": list(statements)}
    if version:
        out["Version"] = version
    return out


HARDENED = {
    "ArnEquals": {"aws:SourceArn": ANCHOR},
    "StringEquals": {CN: "pay.batch.prod", ISSUER_CN: "Issuing CA 1"},
}


def cert(cn: str | None = "pay.batch.prod", anchor: str = ANCHOR, **kw: Any) -> CertificateContext:
    subject = {} if cn is None else {"CN": cn}
    return CertificateContext(source_arn=anchor, subject=subject, **kw)


def test_hardened_policy_is_closed_on_every_dimension() -> None:
    a = analyze_trust(policy(stmt(HARDENED)))
    assert a.trusts_ra and a.usable
    assert a.allowed_actions == frozenset(ALL)
    assert not (a.open_to_any_subject or a.open_to_any_anchor or a.open_to_any_issuer)
    assert a.pinned_source_arns == {ANCHOR}
    assert a.pinned_subjects == {"x509subject/cn": {"pay.batch.prod"}}
    assert a.subject_count == 1
    assert a.ra_statement_indexes == (0,)


def test_no_condition_is_open_everywhere() -> None:
    a = analyze_trust(policy(stmt()))
    assert a.usable and a.open_to_any_subject and a.open_to_any_anchor and a.open_to_any_issuer
    assert a.subject_count == 0


def test_admits_uses_the_certificate_context() -> None:
    a = analyze_trust(policy(stmt(HARDENED)))
    issuer = {"CN": "Issuing CA 1"}
    assert a.admits(cert(issuer=issuer))
    assert not a.admits(cert("other", issuer=issuer))
    assert not a.admits(cert(anchor=OTHER_ANCHOR, issuer=issuer))
    assert not a.admits(cert())  # issuer CN absent


# --- rule 1: per action, then intersect --------------------------------------------------------


def test_split_statements_need_all_three_actions() -> None:
    a = analyze_trust(policy(stmt(actions="sts:AssumeRole")))
    assert a.trusts_ra
    assert a.allowed_actions == {"sts:AssumeRole"}
    assert not a.usable and not a.open_to_any_subject


def test_pin_on_tagsession_only_still_restricts_pitfall_01a() -> None:
    a = analyze_trust(
        policy(
            stmt(actions=["sts:AssumeRole", "sts:SetSourceIdentity"]),
            stmt({"StringEquals": {CN: "app"}}, actions="sts:TagSession"),
        )
    )
    assert a.usable
    assert not a.open_to_any_subject
    assert "sts:AssumeRole" in a.subject_open_actions
    assert "sts:TagSession" not in a.subject_open_actions


def test_assume_role_path_without_anchor_is_a_path_gap() -> None:
    a = analyze_trust(
        policy(
            stmt({"ArnEquals": {"aws:SourceArn": ANCHOR}}, actions=ALL[1:]),
            stmt(actions="sts:AssumeRole"),
        )
    )
    assert not a.open_to_any_anchor
    assert a.anchor_open_actions == {"sts:AssumeRole"}


def test_contradictory_paths_are_not_usable() -> None:
    a = analyze_trust(
        policy(
            stmt({"StringEquals": {CN: "a"}}, actions=ALL[:2]),
            stmt({"StringEquals": {CN: "b"}}, actions=ALL[2]),
        )
    )
    assert a.allowed_actions == frozenset(ALL)
    assert not a.usable


# --- pitfall 01b: Deny-side pin ----------------------------------------------------------------


def test_deny_side_pin_is_a_fail_closed_pin() -> None:
    a = analyze_trust(policy(stmt(), stmt({"StringNotEquals": {CN: "app"}}, effect="Deny")))
    assert a.usable
    assert not a.open_to_any_subject
    assert a.pinned_subjects == {"x509subject/cn": {"app"}}
    assert a.subject_count == 1
    assert a.admits(cert("app"))
    assert not a.admits(cert(None))  # absent CN: the Deny applies


# --- pitfall 01c: source identity and SPIFFE pins ----------------------------------------------


@pytest.mark.parametrize(
    ("key", "operator", "value"),
    [
        ("sts:SourceIdentity", "StringEquals", "CN=pay.batch.prod"),
        ("aws:PrincipalTag/x509SAN/URI", "StringLike", "spiffe://td/ns/pay/sa/batch"),
        ("aws:PrincipalTag/x509SAN/DNS", "StringEquals", "batch.example.com"),
        ("aws:PrincipalTag/x509Subject/OU", "StringEqualsIgnoreCase", "payments"),
    ],
)
def test_alternative_subject_pins(key: str, operator: str, value: str) -> None:
    a = analyze_trust(policy(stmt({operator: {key: value}})))
    assert a.usable and not a.open_to_any_subject
    assert a.subject_count == 1


# --- pitfall 01d and F-TRUST-06: issuer-only ---------------------------------------------------


def test_issuer_only_pin_is_not_a_subject_pin() -> None:
    a = analyze_trust(policy(stmt({"StringEquals": {ISSUER_CN: "CA"}})))
    assert a.open_to_any_subject and not a.open_to_any_issuer


def test_issuer_wildcard_is_reported() -> None:
    a = analyze_trust(policy(stmt({"StringLike": {ISSUER_CN: "DOD ID CA-*"}})))
    assert not a.open_to_any_issuer
    assert a.issuer_wildcards == (("x509issuer/cn", "DOD ID CA-*"),)


# --- pitfall 01e: RoleSessionName binding is not a pin -----------------------------------------


def test_role_session_name_binding_binds_but_does_not_pin() -> None:
    binding = {"StringEquals": {"sts:RoleSessionName": "${aws:PrincipalTag/x509Subject/CN}"}}
    a = analyze_trust(policy(stmt(binding)))
    assert a.usable and a.open_to_any_subject
    assert a.session_name_bound
    assert a.referenced_keys == {"aws:principaltag/x509subject/cn": "positive"}
    assert a.admits(cert("node-1", role_session_name="node-1"))
    assert not a.admits(cert("node-1", role_session_name="node-2"))


def test_binding_on_only_some_assume_role_paths_is_not_bound() -> None:
    binding = {"StringEquals": {"sts:RoleSessionName": "${aws:PrincipalTag/x509Subject/CN}"}}
    a = analyze_trust(policy(stmt(binding), stmt(actions="sts:AssumeRole")))
    assert not a.session_name_bound


# --- pitfall 01f / rule 4: case-insensitive keys -----------------------------------------------


def test_condition_keys_in_any_case() -> None:
    a = analyze_trust(policy(stmt({"StringEquals": {"AWS:PRINCIPALTAG/X509SUBJECT/cn": "app"}})))
    assert not a.open_to_any_subject
    assert a.pinned_subjects == {"x509subject/cn": {"app"}}


# --- rule 3 / F-TRUST-07: fail-open operators --------------------------------------------------


@pytest.mark.parametrize(
    "operator",
    ["StringNotEquals", "StringEqualsIfExists", "ForAllValues:StringEquals", "StringNotLike"],
)
def test_fail_open_operators_open_the_subject(operator: str) -> None:
    a = analyze_trust(policy(stmt({operator: {CN: "app"}})))
    assert a.open_to_any_subject
    assert [u.operator for u in a.fail_open_conditions] == [operator]
    assert a.referenced_keys == {"aws:principaltag/x509subject/cn": "fail-open"}


def test_for_any_value_fails_closed() -> None:
    a = analyze_trust(policy(stmt({"ForAnyValue:StringEquals": {CN: "app"}})))
    assert not a.open_to_any_subject
    assert not a.fail_open_conditions
    assert [u.key for u in a.for_any_value_conditions] == [CN]


def test_referenced_keys_both() -> None:
    a = analyze_trust(
        policy(stmt({"StringEquals": {CN: "a"}}), stmt({"StringNotEquals": {CN: "b"}}))
    )
    assert a.referenced_keys["aws:principaltag/x509subject/cn"] == "both"


# --- rule 5 / F-TRUST-03,04: wildcards ---------------------------------------------------------


@pytest.mark.parametrize("pattern", ["*", "*?", "**"])
def test_match_anything_subject_patterns_are_open(pattern: str) -> None:
    a = analyze_trust(policy(stmt({"StringLike": {CN: pattern}})))
    assert a.open_to_any_subject
    assert a.subject_wildcards == (("x509subject/cn", pattern),)


def test_prefix_subject_pattern_is_a_wildcard_but_not_open() -> None:
    a = analyze_trust(policy(stmt({"StringLike": {CN: "prod-*"}})))
    assert not a.open_to_any_subject
    assert a.subject_wildcards == (("x509subject/cn", "prod-*"),)


@pytest.mark.parametrize(
    "pattern",
    [
        "arn:aws:rolesanywhere:*:*:trust-anchor/*",
        f"arn:aws:rolesanywhere:us-east-1:{ACCOUNT}:trust-anchor/*",
    ],
)
def test_source_arn_wildcards_admit_a_new_anchor(pattern: str) -> None:
    a = analyze_trust(policy(stmt({"ArnLike": {"aws:SourceArn": pattern}})))
    assert a.open_to_any_anchor
    assert a.source_arn_wildcards == (pattern,)
    assert not a.pinned_source_arns


# --- rule 7: principals ------------------------------------------------------------------------


@pytest.mark.parametrize("principal", ["*", {"AWS": "*"}])
def test_wildcard_principal_covers_ra(principal: Any) -> None:
    a = analyze_trust(policy(stmt(principal=principal)))
    assert a.trusts_ra and a.wildcard_principal and a.open_to_any_subject


def test_principal_org_condition_does_not_close_the_ra_path_09() -> None:
    a = analyze_trust(policy(stmt({"StringEquals": {"aws:PrincipalOrgID": "o-1"}}, principal="*")))
    # The key is absent for RA but the analysis is existential: a request naming it is
    # admitted, so the wildcard principal keeps its finding; subject stays unpinned.
    assert a.wildcard_principal and a.open_to_any_subject


def test_mixed_principals_are_listed() -> None:
    principal = {"Service": "rolesanywhere.amazonaws.com", "AWS": f"arn:aws:iam::{ACCOUNT}:root"}
    a = analyze_trust(policy(stmt(principal=principal)))
    assert a.other_principals == (f"AWS:arn:aws:iam::{ACCOUNT}:root",)


def test_service_list_under_x509_conditions_is_not_mixed_08b() -> None:
    principal = {"Service": ["rolesanywhere.amazonaws.com", "ec2.amazonaws.com"]}
    a = analyze_trust(policy(stmt({"StringEquals": {CN: "a"}}, principal=principal)))
    assert a.other_principals == ()
    assert a.certificate_bound_principals == ("Service:ec2.amazonaws.com",)


def test_eks_intermediate_role_chaining_is_not_mixed_08c() -> None:
    intermediate = f"arn:aws:iam::{ACCOUNT}:role/ira-intermediate"
    binding = {"StringEquals": {"sts:RoleSessionName": "${aws:PrincipalTag/x509Subject/CN}"}}
    a = analyze_trust(
        policy(
            stmt({"ArnEquals": {"aws:SourceArn": ANCHOR}}),
            stmt(binding, principal={"AWS": intermediate}, actions=["sts:AssumeRole"]),
        )
    )
    assert a.other_principals == ()
    assert a.certificate_bound_principals == (f"AWS:{intermediate}",)


def test_not_principal_in_allow_is_treated_as_wildcard() -> None:
    statement = stmt()
    statement["NotPrincipal"] = {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}
    del statement["Principal"]
    a = analyze_trust(policy(statement))
    assert a.wildcard_principal and a.trusts_ra


# --- rule 8, 9: actions and statement shapes ---------------------------------------------------


@pytest.mark.parametrize("actions", ["sts:*", "*", ["sts:AssumeRole", "sts:*Session", "sts:Set*"]])
def test_wildcard_actions(actions: Any) -> None:
    assert analyze_trust(policy(stmt(actions=actions))).usable


def test_not_action_allow_covers_the_rest() -> None:
    statement = stmt()
    del statement["Action"]
    statement["NotAction"] = "sts:AssumeRoleWithSAML"
    assert analyze_trust(policy(statement)).usable


def test_statement_object() -> None:
    a = analyze_trust({"Version": "2012-10-17", "Statement": stmt(HARDENED)})
    assert a.usable and not a.open_to_any_subject


# --- rule 10: SourceAccount does not pin the anchor --------------------------------------------


def test_source_account_is_not_an_anchor_pin() -> None:
    a = analyze_trust(policy(stmt({"StringEquals": {"aws:SourceAccount": ACCOUNT, CN: "a"}})))
    assert a.open_to_any_anchor and not a.open_to_any_subject


# --- F-TRUST-05, 11, 12 ------------------------------------------------------------------------


def test_multiple_subjects_by_list_and_by_statement() -> None:
    assert analyze_trust(policy(stmt({"StringEquals": {CN: ["a", "b"]}}))).subject_count == 2
    two = policy(
        stmt({"StringEquals": {CN: "a"}}),
        stmt({"StringEquals": {"aws:PrincipalTag/x509SAN/URI": "spiffe://td/x"}}),
    )
    assert analyze_trust(two).subject_count == 2
    # CN and the source identity derived from it name the same workload.
    same = policy(stmt({"StringEquals": {CN: "a", "sts:SourceIdentity": "CN=a"}}))
    assert analyze_trust(same).subject_count == 1


def test_positive_ip_condition_breaks_the_path() -> None:
    a = analyze_trust(policy(stmt({"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}})))
    assert not a.usable
    assert [u.category for u in a.ip_conditions] == ["ip"]
    b = analyze_trust(policy(stmt({"NotIpAddress": {"aws:SourceIp": "203.0.113.0/24"}})))
    assert b.usable and b.ip_conditions


def test_legacy_version_with_variables() -> None:
    binding = {"StringEquals": {"sts:RoleSessionName": "${aws:PrincipalTag/x509Subject/CN}"}}
    legacy = analyze_trust(policy(stmt(binding), version="2008-10-17"))
    assert legacy.legacy_version_with_variables and not legacy.session_name_bound
    assert not legacy.admits(cert("n", role_session_name="n"))
    assert not analyze_trust(policy(stmt(binding))).legacy_version_with_variables


# --- robustness --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "odd",
    [
        {},
        {"Statement": None},
        {"Statement": "x"},
        {"Statement": [None, 1, {"Effect": "Allow"}]},
        {"Statement": {"Effect": "Allow", "Principal": {"Service": 1}, "Action": []}},
        {"Statement": {"Effect": "Allow", "Principal": "*", "Action": "*", "Condition": []}},
    ],
)
def test_odd_documents_never_raise(odd: dict[str, Any]) -> None:
    a = analyze_trust(odd)
    assert not a.usable


def test_many_statements_stay_bounded() -> None:
    statements = [
        stmt({"StringEquals": {CN: f"w{i}"}}, actions=[a]) for i in range(30) for a in ALL
    ]
    a = analyze_trust(policy(*statements))
    assert a.usable and a.subject_count == 30 and not a.open_to_any_subject


def test_equal_documents_share_facts_but_keep_their_own_document() -> None:
    first = policy(stmt(copy.deepcopy(HARDENED)))
    second = policy(stmt(copy.deepcopy(HARDENED)))
    a, b = analyze_trust(first), analyze_trust(second)
    assert a.document is first and b.document is second
    assert a.pinned_source_arns == b.pinned_source_arns
    first["Statement"][0]["Condition"]["StringEquals"][CN] = "changed"
    assert analyze_trust(second).pinned_subjects == {"x509subject/cn": {"pay.batch.prod"}}
    assert analyze_trust(first).pinned_subjects == {"x509subject/cn": {"changed"}}
