"""The guarantees of a plan (issue 9), as properties over generated accounts of many shapes and
over every account built from ``../shared/corpus``:

- no new finding: after phase 1, every (ID, resource) the scan reports was reported before;
- convergence: every finding a phase-1 change claims to fix is gone, and a new plan proposes
  no phase-1 change for it (a fixpoint in one step);
- coherence: no two changes of one plan work against each other;
- generated documents are valid IAM grammar within AWS's size limits and free of
  contradictions (no Allow that an unconditioned Deny of the same document covers entirely).

The account after a plan is the inventory with each change's target state in place
(:func:`remediations.proposals.converge.inventory_after`), so each example costs three scans;
the sandbox round trip of the same guarantees (plan, apply, scan, roll back) runs on the corpus
accounts in ``test_convergence_sandbox.py``.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from remediations.findings import Finding
from remediations.iam.wildcard import has_wildcard, wildcard_match
from remediations.model import Inventory, ManagedPolicy, Profile, Role, TrustAnchor
from remediations.iam.policy import as_list
from remediations.proposals import propose
from remediations.proposals.converge import coherence_problems, inventory_after
from remediations.proposals.render import check_document
from remediations.checks.run import run_checks
from remediations.settings import Settings
from remediations.sources.offline import load_files
from tests.corpus_accounts import accounts as corpus_accounts
from tests.corpus_accounts import write_account

ACCOUNT = "210987654321"
REGIONS = ("us-east-1", "eu-west-1", "ap-southeast-2")
RA = "rolesanywhere.amazonaws.com"
ACTIONS = ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"]
SETTINGS = Settings()
AWS_READ_ONLY = "arn:aws:iam::aws:policy/ReadOnlyAccess"
CUSTOMER_SESSION = f"arn:aws:iam::{ACCOUNT}:policy/ra-session-reports"


def _uuid(*parts: object) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "/".join(map(str, parts))))


def anchor_arn(region: str, number: int) -> str:
    return (
        f"arn:aws:rolesanywhere:{region}:{ACCOUNT}:trust-anchor/{_uuid('anchor', region, number)}"
    )


# --- generated accounts --------------------------------------------------------------------


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


@st.composite
def generated_accounts(draw: st.DrawFn) -> tuple[Inventory, dict[str, str]]:
    """An account of 1-4 roles and 1-3 profiles in 1-2 regions, with the values a user would
    give with --set (each role's own CN and trust anchor, the issuing CA)."""
    regions = draw(st.lists(st.sampled_from(REGIONS), min_size=1, max_size=2, unique=True))
    anchors = [anchor_arn(r, n) for r in regions for n in range(draw(st.integers(1, 2)))]
    gone = anchor_arn(regions[0], 99)
    inv = Inventory(account_id=ACCOUNT, origin="files", regions=list(regions))
    inv.coverage = {"iam", "rolesanywhere", "profiles", "trust_anchors", "max_session_duration"}
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
            session_policy_text=None if policy is None else str(policy),
            duration_seconds=draw(st.sampled_from([None, 3600, 43200])),
            accept_role_session_name=draw(st.booleans()),
        )
        values[f"{pid}.services"] = "s3,sqs"
    return inv, values


# --- the guarantees ------------------------------------------------------------------------


def _keys(findings: list[Finding]) -> set[tuple[str, str]]:
    return {(f.id, f.resource_arn) for f in findings}


def contradictions(document: dict[str, Any]) -> list[str]:
    """Allow actions that an unconditioned Deny of the same document covers entirely."""
    statements = [s for s in as_list(document.get("Statement")) if isinstance(s, dict)]
    denies = [
        str(a)
        for s in statements
        if s.get("Effect") == "Deny" and "Condition" not in s and "NotResource" not in s
        for a in as_list(s.get("Action"))
    ]
    found = []
    for statement in statements:
        if statement.get("Effect") != "Allow":
            continue
        for action in map(str, as_list(statement.get("Action"))):
            for deny in denies:
                if has_wildcard(action):
                    head = deny[:-1]
                    covered = deny == "*" or (
                        deny.endswith("*")
                        and not has_wildcard(head)
                        and action.lower().startswith(head.lower())
                    )
                else:
                    covered = wildcard_match(deny, action, ignore_case=True)
                if covered:
                    found.append(f"Allow {action} under Deny {deny}")
    return found


def assert_guarantees(inventory: Inventory, values: dict[str, str]) -> None:
    before = run_checks(inventory, SETTINGS)
    result = propose(inventory, before, SETTINGS, values)
    assert coherence_problems(result.changes) == []
    phase_one = [c for c in result.changes if c.phase == 1]
    for change in result.changes:
        state = change.after or {}
        if change.resource_type == "role" and state.get("trustPolicy") is not None:
            check_document(state["trustPolicy"], "trust")
        if change.resource_type == "profile" and isinstance(state.get("sessionPolicy"), dict):
            check_document(state["sessionPolicy"], "session")
            assert contradictions(state["sessionPolicy"]) == [], change.summary
    after_inventory = inventory_after(inventory, phase_one)
    after = run_checks(after_inventory, SETTINGS)
    new = _keys(after) - _keys(before)
    assert not new, (new, [c.summary for c in phase_one])
    claimed = {(fid, c.resource_arn) for c in phase_one for fid in c.finding_ids}
    assert not claimed & _keys(after), claimed & _keys(after)
    again = propose(after_inventory, after, SETTINGS, values)
    repeated = {
        (fid, c.resource_arn)
        for c in again.changes
        if c.phase == 1
        for fid in c.finding_ids
        if (fid, c.resource_arn) in claimed
    }
    assert not repeated


@settings(
    max_examples=120,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(generated_accounts())
def test_plans_of_generated_accounts_converge(account: tuple[Inventory, dict[str, str]]) -> None:
    inventory, values = account
    assert_guarantees(inventory, values)


@pytest.mark.corpus
@pytest.mark.parametrize("name", sorted(corpus_accounts()) or ["(no corpus)"])
def test_plans_of_corpus_accounts_converge(name: str, tmp_path: Path) -> None:
    if name == "(no corpus)":
        pytest.skip("../shared/corpus is absent")
    inventory = load_files(write_account(name, tmp_path))
    values = {"issuer_cn": "Corp Issuing CA G2", "services": "s3"}
    for role in inventory.roles.values():
        values[f"{role.name}.cn"] = f"{role.name}.corp.example"
    assert_guarantees(inventory, values)
