"""Hypothesis strategies of Roles Anywhere trust policies (the patch-safety and trust-cache
properties), over a fixed vocabulary of anchors, CNs and issuers, and identity-policy
statements over a vocabulary the caller gives."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import strategies as st

ACCOUNT = "111122223333"
TA1 = f"arn:aws:rolesanywhere:us-east-1:{ACCOUNT}:trust-anchor/11111111-aaaa"
TA2 = f"arn:aws:rolesanywhere:us-east-1:{ACCOUNT}:trust-anchor/22222222-bbbb"
ROGUE = f"arn:aws:rolesanywhere:us-east-1:{ACCOUNT}:trust-anchor/99999999-evil"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/app"
PROFILE = f"arn:aws:rolesanywhere:us-east-1:{ACCOUNT}:profile/pppp"
CNS = ["app.prod", "app-web", "db.prod"]
ISSUERS = ["Issuing CA", "Other CA"]
RA = "rolesanywhere.amazonaws.com"
ACTIONS = ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"]

CN_KEY = "aws:PrincipalTag/x509Subject/CN"
OU_KEY = "aws:PrincipalTag/x509Subject/OU"
ISSUER_KEY = "aws:PrincipalTag/x509Issuer/CN"

one_or_list = st.sampled_from([lambda v: v, lambda v: [v]])
source_arn_conditions: st.SearchStrategy[dict[str, Any]] = st.sampled_from(
    [
        {},
        {"ArnEquals": {"aws:SourceArn": TA1}},
        {"ArnEquals": {"aws:SourceArn": [TA1, TA2]}},
        {"ArnLike": {"aws:SourceArn": f"arn:aws:rolesanywhere:us-east-1:{ACCOUNT}:trust-anchor/*"}},
        {"StringEquals": {"aws:SourceArn": TA2}},
        {"ArnNotEquals": {"aws:SourceArn": TA2}},
        {"ArnEqualsIfExists": {"aws:SourceArn": TA1}},
        {"StringEquals": {"aws:SourceAccount": ACCOUNT}},
    ]
)
subject_conditions: st.SearchStrategy[dict[str, Any]] = st.sampled_from(
    [
        {},
        {"StringEquals": {CN_KEY: "app.prod"}},
        {"StringEquals": {CN_KEY: ["app.prod", "db.prod"]}},
        {"StringLike": {CN_KEY: "app-*"}},
        {"StringLike": {CN_KEY: "*"}},
        {"StringNotEquals": {CN_KEY: "db.prod"}},
        {"StringEqualsIfExists": {CN_KEY: "app.prod"}},
        {"ForAllValues:StringEquals": {CN_KEY: "app-web"}},
        {"StringEquals": {OU_KEY: "team"}},
        {"StringEquals": {"sts:SourceIdentity": "CN=app.prod"}},
    ]
)
issuer_conditions: st.SearchStrategy[dict[str, Any]] = st.sampled_from(
    [
        {},
        {"StringEquals": {ISSUER_KEY: "Issuing CA"}},
        {"StringNotEquals": {ISSUER_KEY: "Other CA"}},
    ]
)
other_conditions: st.SearchStrategy[dict[str, Any]] = st.sampled_from(
    [
        {},
        {"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}},
        {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}},
        {"StringEquals": {"aws:RequestedRegion": "us-east-1"}},
    ]
)
principals: st.SearchStrategy[dict[str, Any]] = st.sampled_from(
    [
        {"Service": RA},
        {"Service": [RA]},
        {"Service": [RA, "ec2.amazonaws.com"]},
        {"Service": RA, "AWS": f"arn:aws:iam::{ACCOUNT}:role/admin"},
    ]
)
actions = st.sampled_from(
    [
        ACTIONS,
        list(reversed(ACTIONS)),
        "sts:*",
        ["sts:AssumeRole"],
        ["sts:AssumeRole", "sts:TagSession"],
    ]
)


def _merge(*blocks: dict[str, Any]) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for block in blocks:
        for operator, keys in block.items():
            merged.setdefault(operator, {}).update(keys)
    return merged


@st.composite
def ra_statements(draw: st.DrawFn) -> dict[str, Any]:
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": draw(principals),
        "Action": draw(actions),
    }
    if draw(st.booleans()):
        statement["Sid"] = draw(st.sampled_from(["RolesAnywhere", "Ra1", "Workload"]))
    condition = _merge(
        draw(source_arn_conditions),
        draw(subject_conditions),
        draw(issuer_conditions),
        draw(other_conditions),
    )
    if condition:
        statement["Condition"] = condition
    return statement


extra_statements: st.SearchStrategy[dict[str, Any]] = st.sampled_from(
    [
        {
            "Sid": "BreakGlass",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:role/admin"},
            "Action": "sts:AssumeRole",
        },
        {
            "Sid": "DenyDb",
            "Effect": "Deny",
            "Principal": {"Service": RA},
            "Action": ACTIONS,
            "Condition": {"StringEquals": {CN_KEY: "db.prod"}},
        },
        {
            "Effect": "Allow",
            "Principal": {"Service": "ec2.amazonaws.com"},
            "Action": "sts:AssumeRole",
        },
    ]
)


@st.composite
def trust_policies(draw: st.DrawFn) -> dict[str, Any]:
    statements = draw(st.lists(ra_statements(), min_size=1, max_size=3))
    statements += draw(st.lists(extra_statements, max_size=2, unique_by=lambda s: json.dumps(s)))
    order = draw(st.permutations(range(len(statements))))
    ordered = [statements[i] for i in order]
    for number, statement in enumerate(ordered):  # IAM requires Sids to be unique
        if "Sid" in statement:
            statement["Sid"] = f"{statement['Sid']}{number}"
    doc: dict[str, Any] = {}
    version = draw(st.sampled_from(["2012-10-17", "2012-10-17", "2008-10-17", None]))
    if version:
        doc["Version"] = version
    doc["Statement"] = ordered[0] if len(ordered) == 1 and draw(st.booleans()) else ordered
    return doc


@st.composite
def identity_statements(
    draw: st.DrawFn,
    actions: list[str],
    resources: list[str],
    conditions: list[Any],
    *,
    allows: int,
    not_resource_one_in: int,
) -> dict[str, Any]:
    """An identity-policy statement over the given vocabulary: Allow (``allows`` times as
    likely as Deny), Deny or a malformed effect; Action or now and then NotAction, as a string
    or a list; Resource or, one time in ``not_resource_one_in``, NotResource; one condition
    block or none."""
    effects = ["Allow"] * allows + ["Deny", "x"]
    statement: dict[str, Any] = {"Effect": draw(st.sampled_from(effects))}
    chosen = draw(st.lists(st.sampled_from(actions), min_size=1, max_size=3))
    statement["NotAction" if draw(st.integers(0, 5)) == 0 else "Action"] = (
        chosen if len(chosen) > 1 or draw(st.booleans()) else chosen[0]
    )
    targets = draw(st.lists(st.sampled_from(resources), min_size=1, max_size=3))
    odds = not_resource_one_in - 1
    statement["NotResource" if draw(st.integers(0, odds)) == 0 else "Resource"] = targets
    condition = draw(st.sampled_from(conditions))
    if condition is not None:
        statement["Condition"] = condition
    return statement


def identity_documents(
    statements: st.SearchStrategy[dict[str, Any]],
) -> st.SearchStrategy[dict[str, Any]]:
    """Policy documents of zero to four of ``statements``."""
    return st.builds(
        lambda sts: {"Version": "2012-10-17", "Statement": sts},
        st.lists(statements, min_size=0, max_size=4),
    )
