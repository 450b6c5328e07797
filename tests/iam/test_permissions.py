"""Identity and session policy analysis (remediations.iam.permissions)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from remediations.iam.permissions import (
    GUARDRAIL_DENIES,
    action_matches,
    analyze_role_privilege,
    resource_matches,
    role_privilege,
)
from remediations.iam.session_policies import SessionPolicyAnalysis, analyze_session_policies
from remediations.iam.statements import condition_is_vacuous
from remediations.model import ManagedPolicy, Role
from tests.builders import GUARDRAIL_TEMPLATE, allow, deny, doc

ACCOUNT = "111122223333"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/app"
PROFILE_ARN = f"arn:aws:rolesanywhere:eu-west-1:{ACCOUNT}:profile/p1"
AWS_POLICY = "arn:aws:iam::aws:policy/"
CUSTOMER_POLICY = f"arn:aws:iam::{ACCOUNT}:policy/custom"


def role(
    inline: Sequence[dict[str, Any] | None] | None = None,
    attached: list[str] | None = None,
    boundary: str | None = None,
) -> Role:
    return Role(
        arn=ROLE_ARN,
        name="app",
        inline_policies=[(f"p{i}", d) for i, d in enumerate(inline or [])],
        attached_policy_arns=attached or [],
        permissions_boundary_arn=boundary,
    )


def managed(arn: str, document: dict[str, Any] | None) -> dict[str, ManagedPolicy]:
    return {arn: ManagedPolicy(arn=arn, name=arn.rsplit("/", 1)[-1], document=document)}


# --- matching ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "action", "expected"),
    [
        ("iam:*", "IAM:PassRole", True),
        ("IAM:passrole", "iam:PassRole", True),
        ("iam:Pass????", "iam:PassRole", True),
        ("iam:Pass???", "iam:PassRole", False),
        ("s3:*", "iam:PassRole", False),
        ("*", "anything:AtAll", True),
        ("iam:Get*", "iam:PassRole", False),
    ],
)
def test_action_matching_is_case_insensitive_with_wildcards(
    pattern: str, action: str, expected: bool
) -> None:
    assert action_matches(pattern, action) is expected


def test_resource_matching_is_case_sensitive() -> None:
    assert resource_matches("arn:aws:iam::*:role/*", ROLE_ARN)
    assert not resource_matches("arn:aws:iam::*:ROLE/*", ROLE_ARN)
    assert not resource_matches("arn:aws:s3:::bucket", ROLE_ARN)


def test_vacuous_conditions() -> None:
    assert condition_is_vacuous(None)
    assert condition_is_vacuous({"IpAddress": {"aws:SourceIp": "0.0.0.0/0"}})
    assert condition_is_vacuous({"IpAddress": {"AWS:SourceIP": ["10.0.0.0/8", "0.0.0.0/0"]}})
    assert not condition_is_vacuous({"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}})
    assert not condition_is_vacuous({"NotIpAddress": {"aws:SourceIp": "0.0.0.0/0"}})
    assert not condition_is_vacuous({"Bool": {"aws:SecureTransport": "true"}})
    assert not condition_is_vacuous("not a mapping")


# --- roles -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("policy", "grant"),
    [
        (allow("*"), "*:*"),
        (allow("*:*"), "*:*"),
        (allow("iam:*"), "iam:*"),
        (allow("IAM:*", f"arn:aws:iam::{ACCOUNT}:role/*"), "iam:*"),
        (allow("iam:PassRole"), "iam:PassRole"),
        (allow(["s3:GetObject", "iam:PutRolePolicy"]), "iam:PutRolePolicy"),
        ({"Effect": "Allow", "NotAction": "s3:*", "Resource": "*"}, "*:*"),
    ],
)
def test_privileged_roles(policy: dict[str, Any], grant: str) -> None:
    verdict = analyze_role_privilege(role([doc(policy)]), {})
    assert verdict.privileged is True
    assert grant in verdict.grants


@pytest.mark.parametrize(
    "policy",
    [
        allow(["s3:*", "dynamodb:*"]),
        allow("iam:PassRole", f"arn:aws:iam::{ACCOUNT}:role/app-worker"),
        allow("iam:Get*"),
        # A condition-guarded Allow proves nothing (FINDINGS F-ROLE-01).
        allow("*", Condition={"StringEquals": {"aws:RequestedRegion": "eu-west-1"}}),
        allow(
            "iam:PassRole", Condition={"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}}
        ),
        # NotAction iam:* (PowerUserAccess's shape) is not everything.
        {"Effect": "Allow", "NotAction": ["iam:*", "organizations:*"], "Resource": "*"},
    ],
)
def test_least_privilege_roles(policy: dict[str, Any]) -> None:
    assert role_privilege(role([doc(policy)]), {}) is False


def test_unconditional_deny_removes_the_grant() -> None:
    verdict = analyze_role_privilege(role([doc(allow("*"), deny("iam:*"))]), {})
    assert verdict.privileged is False


def test_conditional_deny_does_not_remove_the_grant() -> None:
    conditional = deny("*", Condition={"Bool": {"aws:SecureTransport": "false"}})
    assert role_privilege(role([doc(allow("*"), conditional)]), {}) is True


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("AdministratorAccess", True),
        ("IAMFullAccess", True),
        ("PowerUserAccess", False),
        ("ReadOnlyAccess", False),
        ("AmazonS3FullAccess", False),
        ("AmazonS3ReadOnlyAccess", False),
        ("job-function/ViewOnlyAccess", False),
        ("AWSRolesAnywhereFullAccess", False),
    ],
)
def test_builtin_aws_managed_policies(name: str, expected: bool) -> None:
    assert role_privilege(role(attached=[AWS_POLICY + name]), {}) is expected


def test_builtin_table_works_for_other_partitions() -> None:
    r = role(attached=["arn:aws-cn:iam::aws:policy/AdministratorAccess"])
    assert role_privilege(r, {}) is True


def test_inventory_documents_come_before_the_builtin_table() -> None:
    arn = AWS_POLICY + "AdministratorAccess"
    assert role_privilege(role(attached=[arn]), managed(arn, doc(allow("s3:*")))) is False


def test_customer_managed_documents_are_used() -> None:
    r = role(attached=[CUSTOMER_POLICY])
    assert role_privilege(r, managed(CUSTOMER_POLICY, doc(allow("iam:*")))) is True
    assert role_privilege(r, managed(CUSTOMER_POLICY, doc(allow("s3:*")))) is False


def test_unknown_documents_make_it_undecidable() -> None:
    verdict = analyze_role_privilege(role(attached=[CUSTOMER_POLICY]), {})
    assert verdict.privileged is None
    assert verdict.unknown == (CUSTOMER_POLICY,)
    malformed = analyze_role_privilege(role([None]), {})
    assert malformed.privileged is None
    assert malformed.unknown == ("inline:p0",)


def test_known_grant_wins_over_unknown_documents() -> None:
    assert role_privilege(role([doc(allow("*"))], attached=[CUSTOMER_POLICY]), {}) is True


def test_permissions_boundary_intersects() -> None:
    boundary = f"arn:aws:iam::{ACCOUNT}:policy/boundary"
    admin = [doc(allow("*"))]
    s3_only = managed(boundary, doc(allow("s3:*")))
    verdict = analyze_role_privilege(role(admin, boundary=boundary), s3_only)
    assert verdict.privileged is False
    assert verdict.bounded
    both = managed(boundary, doc(allow(["s3:*", "iam:PassRole"])))
    kept = analyze_role_privilege(role(admin, boundary=boundary), both)
    assert kept.privileged is True
    assert kept.grants == ("iam:PassRole",)


def test_unknown_boundary_is_undecidable_only_when_it_matters() -> None:
    boundary = f"arn:aws:iam::{ACCOUNT}:policy/boundary"
    assert role_privilege(role([doc(allow("*"))], boundary=boundary), {}) is None
    assert role_privilege(role([doc(allow("s3:*"))], boundary=boundary), {}) is False


def test_odd_shapes_do_not_crash() -> None:
    odd = {"Statement": [{"Effect": "Allow", "Action": 5, "Resource": ["*", None]}, "text"]}
    assert role_privilege(role([odd, {"Statement": {"Effect": "Allow"}}]), {}) is False


# --- session policies --------------------------------------------------------------------------


def session(
    inline: dict[str, Any] | None,
    arns: list[str] | None = None,
    policies: dict[str, ManagedPolicy] | None = None,
) -> SessionPolicyAnalysis:
    return analyze_session_policies(PROFILE_ARN, inline, arns or [], policies or {})


def test_vacuous_source_ip_session_policy_is_permissive() -> None:
    """profiles/003: Allow * gated only by aws:SourceIp 0.0.0.0/0 limits nothing."""
    analysis = session(doc(allow("*", Condition={"IpAddress": {"aws:SourceIp": "0.0.0.0/0"}})))
    assert analysis.grants_everything
    assert analysis.keeps_allow


def test_real_ip_condition_is_not_permissive() -> None:
    analysis = session(doc(allow("*", Condition={"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}})))
    assert analysis.dangerous_allowed == ()
    assert analysis.keeps_allow


def test_deny_only_session_policy_grants_nothing() -> None:
    """profiles/002: a Deny-only session policy yields no permissions, so it is not permissive."""
    analysis = session(
        doc(
            deny("*", Condition={"Bool": {"aws:SecureTransport": "false"}}),
            {"Effect": "Deny", "NotAction": ["iam:*", "sts:*"], "Resource": "*"},
        )
    )
    assert not analysis.keeps_allow
    assert analysis.dangerous_allowed == ()
    assert analysis.has_session_policy


def test_administrator_access_in_managed_arns_grants_everything() -> None:
    analysis = session(None, [AWS_POLICY + "AdministratorAccess"])
    assert analysis.grants_everything
    assert set(analysis.dangerous_allowed) == {
        "*:*",
        "iam:*",
        "sts:AssumeRole on *",
        "rolesanywhere:*",
        "organizations:*",
    }


def test_denies_apply_across_the_union() -> None:
    analysis = session(doc(deny("iam:*")), [AWS_POLICY + "AdministratorAccess"])
    assert "iam:*" not in analysis.dangerous_allowed
    assert not analysis.grants_everything
    assert "rolesanywhere:*" in analysis.dangerous_allowed
    assert analysis.denies_iam


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        (allow("IAM:*"), ("iam:*",)),
        (allow("sts:AssumeRole", "arn:aws:iam::*:role/*"), ("sts:AssumeRole on *",)),
        (allow("sts:AssumeRole", f"arn:aws:iam::{ACCOUNT}:role/cdk-deploy"), ()),
        (allow("rolesanywhere:*"), ("rolesanywhere:*",)),
        (allow("organizations:*"), ("organizations:*",)),
        (allow(["s3:Get*", "s3:List*"]), ()),
    ],
)
def test_dangerous_session_grants(policy: dict[str, Any], expected: tuple[str, ...]) -> None:
    assert session(doc(policy)).dangerous_allowed == expected


def test_guardrail_template_is_complete() -> None:
    analysis = session(GUARDRAIL_TEMPLATE)
    assert analysis.missing_denies == ()
    assert analysis.denies_iam
    assert analysis.keeps_allow
    assert analysis.dangerous_allowed == ()


def test_missing_guardrails_are_the_allowed_ones_not_denied() -> None:
    analysis = session(doc(allow(["s3:*", "iam:PassRole"]), deny("s3:DeleteBucket")))
    assert "iam:*" in analysis.missing_denies
    assert "s3:PutBucketPolicy" in analysis.missing_denies
    assert "s3:DeleteBucket" not in analysis.missing_denies
    assert "kms:ScheduleKeyDeletion" not in analysis.missing_denies  # nothing allows it


@pytest.mark.parametrize(
    "policy",
    [
        allow(["s3:GetObject", "sqs:SendMessage"]),
        allow(["iam:Get*", "iam:List*", "s3:List*"]),
        {
            "Effect": "Allow",
            "NotAction": ["iam:*", "s3:*", "rds:*", "dynamodb:*", "kms:*"],
            "Resource": "*",
        },
    ],
)
def test_narrow_allows_need_no_guardrail_denies(policy: dict[str, Any]) -> None:
    """Session policies only filter: an action no Allow covers is already out of reach."""
    assert session(doc(policy)).missing_denies == ()


def test_allow_everything_needs_every_guardrail() -> None:
    analysis = session(doc(allow("*"), deny("iam:*")))
    assert analysis.denies_iam
    assert analysis.missing_denies == GUARDRAIL_DENIES[1:]


def test_conditional_deny_is_not_a_guardrail() -> None:
    analysis = session(
        doc(
            allow("s3:GetObject"),
            deny("iam:*", Condition={"Bool": {"aws:SecureTransport": "false"}}),
        )
    )
    assert not analysis.denies_iam


def test_unknown_managed_session_policy_is_incomplete() -> None:
    analysis = session(None, [CUSTOMER_POLICY])
    assert not analysis.complete
    assert analysis.keeps_allow  # it may hold Allows
    assert analysis.dangerous_allowed == ()
