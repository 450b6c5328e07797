"""Simplified equivalents of well-known AWS managed policies, and the document of a managed policy
by ARN (the account's own, or one of these)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from remediations.model import ManagedPolicy

JSON = dict[str, Any]


# --- managed policies -------------------------------------------------------------------------


def _allow(*actions: str, condition: JSON | None = None) -> JSON:
    stmt: JSON = {"Effect": "Allow", "Action": list(actions), "Resource": "*"}
    if condition:
        stmt["Condition"] = condition
    return stmt


def _doc(*stmts: JSON) -> JSON:
    return {"Version": "2012-10-17", "Statement": list(stmts)}


_PASS_TO_SERVICE = {"StringLike": {"iam:PassedToService": "*.amazonaws.com"}}
_READ = ("*:Describe*", "*:Get*", "*:List*")

#: Simplified equivalents of well-known AWS managed policies, keyed by name. They are exact for
#: the questions this module asks (``*:*``, ``iam:*``, ``iam:PassRole``, ``sts:AssumeRole``,
#: ``rolesanywhere:*``, ``organizations:*``, the guardrail denies), not for every action.
AWS_MANAGED_POLICIES: dict[str, JSON] = {
    "AdministratorAccess": _doc(_allow("*")),
    "PowerUserAccess": _doc(
        {
            "Effect": "Allow",
            "NotAction": ["iam:*", "organizations:*", "account:*"],
            "Resource": "*",
        },
        _allow(
            "iam:CreateServiceLinkedRole",
            "iam:DeleteServiceLinkedRole",
            "iam:ListRoles",
            "organizations:DescribeOrganization",
            "account:ListRegions",
            "account:GetAccountInformation",
        ),
    ),
    "IAMFullAccess": _doc(_allow("iam:*", "organizations:DescribeAccount")),
    "IAMReadOnlyAccess": _doc(_allow("iam:Get*", "iam:List*", "iam:Generate*", "iam:Simulate*")),
    "ReadOnlyAccess": _doc(_allow(*_READ)),
    "ViewOnlyAccess": _doc(_allow("*:Describe*", "*:List*")),
    "SecurityAudit": _doc(_allow(*_READ)),
    "AmazonS3FullAccess": _doc(_allow("s3:*", "s3-object-lambda:*")),
    "AmazonS3ReadOnlyAccess": _doc(_allow("s3:Get*", "s3:List*", "s3:Describe*")),
    "AmazonDynamoDBFullAccess": _doc(
        _allow("dynamodb:*", "cloudwatch:*", "application-autoscaling:*"),
        _allow("iam:PassRole", condition=_PASS_TO_SERVICE),
    ),
    "AmazonEC2ReadOnlyAccess": _doc(_allow("ec2:Describe*", "elasticloadbalancing:Describe*")),
    "AmazonSSMManagedInstanceCore": _doc(_allow("ssm:*", "ssmmessages:*", "ec2messages:*")),
    "AWSRolesAnywhereReadOnly": _doc(_allow("rolesanywhere:Get*", "rolesanywhere:List*")),
    "AWSRolesAnywhereFullAccess": _doc(
        _allow("rolesanywhere:*"),
        _allow(
            "iam:PassRole",
            condition={"StringEquals": {"iam:PassedToService": "rolesanywhere.amazonaws.com"}},
        ),
    ),
}


def _aws_managed_name(arn: str) -> str | None:
    """``AdministratorAccess`` for ``arn:aws:iam::aws:policy/AdministratorAccess`` (any path)."""
    parts = arn.split(":", 5)
    if (
        len(parts) != 6
        or parts[2] != "iam"
        or parts[4] != "aws"
        or not parts[5].startswith("policy/")
    ):
        return None
    return parts[5].rsplit("/", 1)[-1]


def resolve_policy(arn: str, policies: Mapping[str, ManagedPolicy]) -> JSON | None:
    """The document of a managed policy: the inventory's (GAAD) first, then the built-in table."""
    known = policies.get(arn)
    if known is not None and known.document is not None:
        return known.document
    name = _aws_managed_name(arn)
    return AWS_MANAGED_POLICIES.get(name) if name else None
