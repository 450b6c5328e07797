"""Generated Roles Anywhere accounts of many shapes (hypothesis), for the plan guarantees of
issue 9: split statements, Deny pins, wildcards, mixed principals, broken trusts, several
profiles per role, profiles in several regions, managed and inline session policies.

``generated_accounts()`` draws ``(inventory, values)``: the account, and the answers a user
would give with ``--set`` (each role's own CN and trust anchor, the issuing CA, the services).
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st

from remediations.model import Inventory, ManagedPolicy, Profile, Role, TrustAnchor

ACCOUNT = "210987654321"
REGIONS = ("us-east-1", "eu-west-1", "ap-southeast-2")
RA = "rolesanywhere.amazonaws.com"
ACTIONS = ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"]
AWS_READ_ONLY = "arn:aws:iam::aws:policy/ReadOnlyAccess"
CUSTOMER_SESSION = f"arn:aws:iam::{ACCOUNT}:policy/ra-session-reports"


def _uuid(*parts: object) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "/".join(map(str, parts))))


def anchor_arn(region: str, number: int) -> str:
    return (
        f"arn:aws:rolesanywhere:{region}:{ACCOUNT}:trust-anchor/{_uuid('anchor', region, number)}"
    )


@st.composite
def trust_documents(draw: st.DrawFn, index: int, anchors: list[str], gone: str) -> dict[str, Any]:
    """A Roles Anywhere trust of one of many shapes (split statements, Deny pins, wildcards,
    mixed principals, legacy versions, IP pins, missing actions, stale anchors)."""
    cn = f"svc-{index}-{draw(st.sampled_from(['billing', 'ledger', 'etl', 'cams']))}.corp.example"
    condition: dict[str, dict[str, Any]] = {}

    def put(operator: str, key: str, value: Any) -> None:
        condition.setdefault(operator, {})[key] = value

    subject = draw(st.sampled_from(["exact", "list", "wildcard", "spiffe", "ou", "none"]))
    if subject == "exact":
        put("StringEquals", "aws:PrincipalTag/x509Subject/CN", cn)
    elif subject == "list":
        put("StringEquals", "aws:PrincipalTag/x509Subject/CN", [cn, f"batch-{index}.corp.example"])
    elif subject == "wildcard":
        put("StringLike", "aws:PrincipalTag/x509Subject/CN", f"svc-{index}-*")
    elif subject == "spiffe":
        put("StringLike", "aws:PrincipalTag/x509SAN/URI", f"spiffe://corp.example/team{index}/*")
    elif subject == "ou":
        put("StringEquals", "aws:PrincipalTag/x509Subject/OU", f"unit-{index}")
    anchor = draw(st.sampled_from(["pinned", "pinned", "none", "wildcard", "stale"]))
    if anchor == "pinned":
        put("ArnEquals", "aws:SourceArn", draw(st.sampled_from(anchors)))
    elif anchor == "wildcard":
        put("ArnLike", "aws:SourceArn", anchors[0].rsplit("/", 1)[0] + "/*")
    elif anchor == "stale":
        put("ArnEquals", "aws:SourceArn", gone)
    issuer = draw(st.sampled_from(["none", "exact", "pattern"]))
    if issuer == "exact":
        put("StringEquals", "aws:PrincipalTag/x509Issuer/CN", "Corp Issuing CA G2")
    elif issuer == "pattern":
        put("StringLike", "aws:PrincipalTag/x509Issuer/CN", "Corp Issuing CA *")
    broken = draw(st.sampled_from([None, None, None, None, "missing", "sourceip", "legacy"]))
    if broken == "sourceip":
        put("IpAddress", "aws:SourceIp", "10.40.0.0/16")
    if broken == "legacy":
        put("StringEquals", "sts:RoleSessionName", "${aws:PrincipalTag/x509Subject/CN}")
    principal: Any = {"Service": RA}
    mixed = draw(st.sampled_from(["service", "service", "service-list", "with-account"]))
    if mixed == "service-list":
        principal = {"Service": [RA, "ec2.amazonaws.com"]}
    elif mixed == "with-account":
        principal = {"Service": RA, "AWS": f"arn:aws:iam::{ACCOUNT}:role/break-glass-{index}"}
    actions: Any = ["sts:AssumeRole"] if broken == "missing" else list(ACTIONS)
    statements: list[dict[str, Any]] = []
    if draw(st.booleans()) and broken != "missing":
        # Split: sts:AssumeRole carries the conditions, the other two their own statement.
        statements.append(
            {"Sid": "Assume", "Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}
        )
        statements.append(
            {"Sid": "Tags", "Effect": "Allow", "Principal": {"Service": RA}, "Action": ACTIONS[1:]}
        )
    else:
        statements.append({"Effect": "Allow", "Principal": principal, "Action": actions})
    if condition:
        statements[0]["Condition"] = condition
    if draw(st.integers(0, 4)) == 0:
        statements.append(
            {
                "Sid": "DenyOthers",
                "Effect": "Deny",
                "Principal": {"Service": RA},
                "Action": "sts:AssumeRole",
                "Condition": {"StringNotEquals": {"aws:PrincipalTag/x509Subject/CN": cn}},
            }
        )
    version = "2008-10-17" if broken == "legacy" else "2012-10-17"
    if draw(st.booleans()) and len(statements) == 1:
        return {"Version": version, "Statement": statements[0]}
    return {"Version": version, "Statement": statements}


PERMISSIONS: list[tuple[list[tuple[str, dict[str, Any]]], list[str]]] = [
    ([], []),
    ([], ["arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"]),
    ([], ["arn:aws:iam::aws:policy/AdministratorAccess"]),
    (
        [
            (
                "replication",
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Action": ["ecr:*", "sqs:SendMessage"],
                            "Resource": "*",
                        },
                        {
                            "Effect": "Allow",
                            "Action": "iam:CreateServiceLinkedRole",
                            "Resource": "*",
                            "Condition": {
                                "StringLike": {
                                    "iam:AWSServiceName": "replication.ecr.amazonaws.com"
                                }
                            },
                        },
                    ],
                },
            )
        ],
        [],
    ),
    (
        [
            (
                "deploy",
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Action": ["sts:AssumeRole", "sts:TagSession"],
                            "Resource": f"arn:aws:iam::{ACCOUNT}:role/cdk-*",
                        },
                        {"Effect": "Allow", "Action": ["s3:GetObject", "sts:*"], "Resource": "*"},
                    ],
                },
            )
        ],
        [],
    ),
]

SESSION_SHAPES = ["none", "guardrails", "allow-all", "managed", "managed+inline", "customer"]


def _session(shape: str) -> tuple[dict[str, Any] | None, list[str]]:
    allow = {"Effect": "Allow", "Action": ["s3:GetObject", "sqs:*"], "Resource": "*"}
    deny = {"Effect": "Deny", "Action": ["iam:*", "s3:DeleteBucket"], "Resource": "*"}
    if shape == "guardrails":
        return {"Version": "2012-10-17", "Statement": [allow, deny]}, []
    if shape == "allow-all":
        return {"Version": "2012-10-17", "Statement": [{**allow, "Action": "*"}]}, []
    if shape == "managed":
        return None, [AWS_READ_ONLY]
    if shape == "managed+inline":
        return {"Version": "2012-10-17", "Statement": [deny]}, [AWS_READ_ONLY]
    if shape == "customer":
        return None, [CUSTOMER_SESSION]
    return None, []


def whole_account_examples(count: int) -> settings:
    """Hypothesis settings for a test whose each example is a whole account through a sandbox
    (seconds each): ``count`` examples, the same ones every run, the first failure reported as
    found (no shrinking), fixtures shared by the examples."""
    return settings(
        max_examples=count,
        deadline=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.reuse, Phase.generate],
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )


def account_examples(count: int) -> settings:
    """Hypothesis settings for a test whose each example plans a generated account in one and
    in two processes: ``count`` examples, the same ones every run, fixtures shared."""
    return settings(
        max_examples=count,
        deadline=None,
        derandomize=True,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.function_scoped_fixture,
        ],
    )


@st.composite
def generated_accounts(draw: st.DrawFn) -> tuple[Inventory, dict[str, str]]:
    """An account of 1-4 roles and 1-3 profiles in 1-2 regions, with the values a user would
    give with --set (each role's own CN and trust anchor, the issuing CA)."""
    regions = draw(st.lists(st.sampled_from(REGIONS), min_size=1, max_size=2, unique=True))
    anchors = [anchor_arn(r, n) for r in regions for n in range(draw(st.integers(1, 2)))]
    gone = anchor_arn(regions[0], 99)
    inv = Inventory(account_id=ACCOUNT, origin="files", regions=list(regions))
    inv.coverage = {
        "iam",
        "rolesanywhere",
        "profiles",
        "trust_anchors",
        "crls",
        "max_session_duration",
    }
    for arn in anchors:
        region = arn.split(":")[3]
        inv.trust_anchors[arn] = TrustAnchor(
            arn=arn,
            anchor_id=arn.rsplit("/", 1)[1],
            name=f"corp-ca-{region}",
            region=region,
            source_type="AWS_ACM_PCA",
            acm_pca_arn=f"arn:aws:acm-pca:{region}:{ACCOUNT}:certificate-authority/{_uuid(arn)}",
        )
    inv.policies[CUSTOMER_SESSION] = ManagedPolicy(
        CUSTOMER_SESSION,
        "ra-session-reports",
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": ["s3:Get*", "s3:List*"], "Resource": "*"}],
        },
    )
    values: dict[str, str] = {"issuer_cn": "Corp Issuing CA G2"}
    role_arns: list[str] = []
    for index in range(draw(st.integers(1, 4))):
        name = f"ra-{['billing', 'ledger', 'etl', 'cams'][index]}-{draw(st.sampled_from(['prod', 'dev']))}"
        arn = f"arn:aws:iam::{ACCOUNT}:role/{name}"
        inline, attached = draw(st.sampled_from(PERMISSIONS))
        inv.roles[arn] = Role(
            arn=arn,
            name=name,
            role_id=f"AROA{_uuid(arn)[:16].upper().replace('-', '0')}",
            trust_policy=draw(trust_documents(index, anchors, gone)),
            max_session_duration=draw(st.sampled_from([3600, 14400, 43200])),
            inline_policies=list(inline),
            attached_policy_arns=list(attached),
        )
        role_arns.append(arn)
        values[f"{name}.cn"] = f"svc-{index}-pinned.corp.example"
        values[f"{name}.trust_anchor_arn"] = anchors[index % len(anchors)]
    for number in range(draw(st.integers(1, 3))):
        region = draw(st.sampled_from(regions))
        listed = draw(st.lists(st.sampled_from(role_arns), min_size=1, max_size=3, unique=True))
        policy, managed = _session(draw(st.sampled_from(SESSION_SHAPES)))
        pid = _uuid("profile", region, number)
        arn = f"arn:aws:rolesanywhere:{region}:{ACCOUNT}:profile/{pid}"
        inv.profiles[arn] = Profile(
            arn=arn,
            profile_id=pid,
            name=f"team-{number}-{region}",
            region=region,
            role_arns=listed,
            managed_policy_arns=managed,
            session_policy=policy,
            session_policy_text=None if policy is None else json.dumps(policy),
            duration_seconds=draw(st.sampled_from([None, 3600, 43200])),
            accept_role_session_name=draw(st.booleans()),
        )
        values[f"{pid}.services"] = "s3,sqs"
    return inv, values
