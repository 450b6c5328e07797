"""Plans that converge (issue 9): no change works against another, a plain apply adds no
finding, broken roles are repaired only when asked, a sandbox copy plans like its files."""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from remediations.checks.run import run_checks
from remediations.cli import main
from remediations.model import Inventory, Profile, Role, TrustAnchor
from remediations.plan import Plan
from remediations.proposals import propose
from remediations.proposals.converge import coherence_problems, inventory_after
from remediations.settings import Settings

ACCOUNT = "111122223333"
REGION = "us-east-1"
ANCHOR = (
    f"arn:aws:rolesanywhere:{REGION}:{ACCOUNT}:trust-anchor/6c3e0f55-4f5c-4b7a-9a57-0c1f1e4c7a10"
)
GONE = f"arn:aws:rolesanywhere:{REGION}:{ACCOUNT}:trust-anchor/0d9d4c1e-2f0b-4f45-8a3e-5b0c2d4e6f71"
RA = {"Service": "rolesanywhere.amazonaws.com"}
ACTIONS = ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"]
SESSION = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"},
        {"Effect": "Deny", "Action": "iam:*", "Resource": "*"},
    ],
}


def trust(actions: Any = ACTIONS, version: str = "2012-10-17", **condition: Any) -> dict[str, Any]:
    statement: dict[str, Any] = {"Effect": "Allow", "Principal": RA, "Action": actions}
    statement["Condition"] = {
        "StringEquals": {"aws:PrincipalTag/x509Subject/CN": "payroll-batch"},
        "ArnEquals": {"aws:SourceArn": ANCHOR},
        **condition,
    }
    return {"Version": version, "Statement": [statement]}


def account(document: dict[str, Any]) -> tuple[Inventory, str, str]:
    inv = Inventory(account_id=ACCOUNT, origin="files", regions=[REGION])
    inv.coverage = {"iam", "rolesanywhere", "profiles", "trust_anchors", "max_session_duration"}
    role = f"arn:aws:iam::{ACCOUNT}:role/payroll-batch"
    inv.roles[role] = Role(arn=role, name="payroll-batch", trust_policy=document)
    inv.trust_anchors[ANCHOR] = TrustAnchor(
        arn=ANCHOR, anchor_id=ANCHOR[-36:], name="corp-issuing", region=REGION
    )
    profile = (
        f"arn:aws:rolesanywhere:{REGION}:{ACCOUNT}:profile/9f1c2b3a-7d4e-4c11-8a0b-1e2f3a4b5c6d"
    )
    inv.profiles[profile] = Profile(
        arn=profile,
        profile_id=profile[-36:],
        name="payroll",
        region=REGION,
        role_arns=[role],
        session_policy=SESSION,
        session_policy_text=json.dumps(SESSION),
    )
    return inv, role, profile


BROKEN = {
    "only sts:AssumeRole": trust("sts:AssumeRole"),
    "aws:SourceIp pin": trust(IpAddress={"aws:SourceIp": "10.20.0.0/16"}),
    "only a deleted anchor": {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": RA,
                "Action": ACTIONS,
                "Condition": {
                    "StringEquals": {"aws:PrincipalTag/x509Subject/CN": "payroll-batch"},
                    "ArnEquals": {"aws:SourceArn": GONE},
                },
            }
        ],
    },
}


@pytest.mark.parametrize("shape", sorted(BROKEN))
def test_a_broken_role_is_neither_repaired_nor_orphaned_by_a_plain_plan(shape: str) -> None:
    inv, role, profile = account(BROKEN[shape])
    before = run_checks(inv, Settings())
    result = propose(inv, before, Settings())
    assert [c for c in result.changes if c.resource_arn in (role, profile)] == []
    reasons = {n.resource_arn: n.reason for n in result.not_fixable}
    assert "--repair-broken" in reasons[role]
    after = run_checks(inventory_after(inv, result.changes), Settings())
    assert {(f.id, f.resource_arn) for f in after} <= {(f.id, f.resource_arn) for f in before}


@pytest.mark.parametrize("shape", sorted(BROKEN))
def test_repair_broken_repairs_the_role_keeps_it_listed_and_says_who_gains_access(
    shape: str,
) -> None:
    inv, role, profile = account(BROKEN[shape])
    findings = run_checks(inv, Settings())
    result = propose(inv, findings, Settings(), repair_broken=True)
    (change,) = [c for c in result.changes if c.resource_arn == role]
    assert "repairs a broken role" in change.summary
    assert f"trust anchor(s) {ANCHOR} with subject CN payroll-batch" in change.summary
    assert not coherence_problems(result.changes)
    assert all(c.resource_arn != profile for c in result.changes)
    after = inventory_after(inv, result.changes)
    assert role in after.profiles[profile].role_arns
    ids = {(f.id, f.resource_arn) for f in run_checks(after, Settings())}
    assert ("RA-ROLE-ORPHANED", role) not in ids
    assert not {fid for fid in change.finding_ids if (fid, role) in ids}


def test_the_old_contradiction_is_named_by_coherence_problems() -> None:
    """A plan that repairs a role and removes it from its profile (what issue 9 saw)."""
    from remediations.plan import ProposedChange

    _, role, profile = account(trust("sts:AssumeRole"))
    before_profile = {"roleArns": [role]}
    changes = [
        ProposedChange(
            role, "role", "global", [], "repair", "", {"trustPolicy": {}}, {"trustPolicy": trust()}
        ),
        ProposedChange(
            profile, "profile", REGION, [], "drop", "", before_profile, {"roleArns": []}
        ),
    ]
    (problem,) = coherence_problems(changes)
    assert role in problem and "removed" in problem


def _aws_managed_account(folder: Path) -> list[str]:
    role = {
        "Path": "/",
        "RoleName": "reports-reader",
        "RoleId": "AROAEXAMPLEREPORTS01",
        "Arn": f"arn:aws:iam::{ACCOUNT}:role/reports-reader",
        "CreateDate": "2024-03-01T10:00:00Z",
        "AssumeRolePolicyDocument": trust(),
        "RolePolicyList": [],
        "AttachedManagedPolicies": [
            {"PolicyName": "ReportsRead", "PolicyArn": "arn:aws:iam::aws:policy/ReportsRead"}
        ],
        "Tags": [],
    }
    policy = {
        "PolicyName": "ReportsRead",
        "PolicyId": "ANPAEXAMPLEREPORTS01",
        "Arn": "arn:aws:iam::aws:policy/ReportsRead",
        "Path": "/",
        "DefaultVersionId": "v3",
        "AttachmentCount": 1,
        "IsAttachable": True,
        "PolicyVersionList": [
            {
                "Document": {
                    "Version": "2012-10-17",
                    "Statement": [{"Effect": "Allow", "Action": "s3:Get*", "Resource": "*"}],
                },
                "VersionId": "v3",
                "IsDefaultVersion": True,
            }
        ],
    }
    iam = folder / "iam.json"
    iam.write_text(json.dumps({"RoleDetailList": [role], "Policies": [policy]}), encoding="utf-8")
    return [str(iam)]


def test_sandbox_init_keeps_aws_managed_policies_aws_managed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files = _aws_managed_account(tmp_path)
    sandbox = tmp_path / "sb"
    assert main(["-q", "sandbox", "init", str(sandbox), "--from-file", *files]) == 0
    assert main(["-q", "export", "--sandbox", str(sandbox), "--out", str(tmp_path / "ex")]) == 0
    capsys.readouterr()
    iam = json.loads((tmp_path / "ex" / "iam.json").read_text(encoding="utf-8"))
    (policy,) = iam["Policies"]
    assert policy["Arn"] == "arn:aws:iam::aws:policy/ReportsRead"
    assert policy["PolicyVersionList"][0]["Document"]["Statement"][0]["Action"] == "s3:Get*"
    attached = iam["RoleDetailList"][0]["AttachedManagedPolicies"]
    assert attached == [
        {"PolicyName": "ReportsRead", "PolicyArn": "arn:aws:iam::aws:policy/ReportsRead"}
    ]


def test_plan_repair_broken_is_a_cli_flag_and_recorded_in_the_plan_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    inv, role, _ = account(trust("sts:AssumeRole"))
    iam = tmp_path / "iam.json"
    detail: dict[str, Any] = {
        "Path": "/",
        "RoleName": "payroll-batch",
        "RoleId": "AROAEXAMPLEPAYROLL01",
        "Arn": role,
        "CreateDate": "2024-03-01T10:00:00Z",
        "AssumeRolePolicyDocument": inv.roles[role].trust_policy,
        "RolePolicyList": [],
        "AttachedManagedPolicies": [],
        "Tags": [],
    }
    iam.write_text(json.dumps({"RoleDetailList": [detail], "Policies": []}), encoding="utf-8")
    plain, repair = tmp_path / "plain.json", tmp_path / "repair.json"
    assert main(["-q", "plan", "--from-file", str(iam), "-o", str(plain)]) == 0
    assert main(["-q", "plan", "--from-file", str(iam), "--repair-broken", "-o", str(repair)]) == 0
    capsys.readouterr()
    first, second = Plan.load(plain), Plan.load(repair)
    assert (first.repair_broken, second.repair_broken) == (False, True)
    assert all(c.resource_arn != role for c in first.changes)
    assert any(c.resource_arn == role for c in second.changes)


# --- session policies that end their finding ------------------------------------------------

ECR_REPLICATION = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Action": ["ecr:*"], "Resource": "*"},
        {
            "Effect": "Allow",
            "Action": "iam:CreateServiceLinkedRole",
            "Resource": "*",
            "Condition": {"StringLike": {"iam:AWSServiceName": "replication.ecr.amazonaws.com"}},
        },
        {
            "Effect": "Allow",
            "Action": ["sts:AssumeRole", "sts:TagSession"],
            "Resource": f"arn:aws:iam::{ACCOUNT}:role/cdk-*",
        },
    ],
}


def _unscoped(policy: dict[str, Any]) -> tuple[Inventory, str, str]:
    inv, role, profile = account(trust())
    inv.roles[role].inline_policies = [("work", policy)]
    inv.profiles[profile].session_policy = None
    inv.profiles[profile].session_policy_text = None
    return inv, role, profile


def _contradictions(document: dict[str, Any]) -> list[str]:
    """Allow actions an unconditioned Deny of the same document covers entirely."""
    from remediations.iam.policy import as_list
    from remediations.iam.wildcard import has_wildcard, wildcard_match

    statements = [s for s in as_list(document.get("Statement")) if isinstance(s, dict)]
    denies = [
        str(a)
        for s in statements
        if s.get("Effect") == "Deny" and "Condition" not in s
        for a in as_list(s.get("Action"))
    ]
    out = []
    for statement in statements:
        if statement.get("Effect") != "Allow":
            continue
        for action in map(str, as_list(statement.get("Action"))):
            for deny in denies:
                covered = (
                    wildcard_match(deny, action, ignore_case=True)
                    if not has_wildcard(action)
                    else deny == "*"
                    or (
                        deny.endswith("*")
                        and not has_wildcard(deny[:-1])
                        and action.lower().startswith(deny[:-1].lower())
                    )
                )
                if covered:
                    out.append(f"{action} under Deny {deny}")
    return out


def test_the_session_policy_keeps_exact_identity_grants_and_never_allows_sts_or_iam_wholesale() -> (
    None
):
    from remediations.iam.session_policies import analyze_session_policies

    inv, _, profile = _unscoped(ECR_REPLICATION)
    before = run_checks(inv, Settings())
    result = propose(inv, before, Settings())
    (change,) = [c for c in result.changes if c.resource_arn == profile]
    policy = change.after["sessionPolicy"]
    allowed = [a for s in policy["Statement"] if s["Effect"] == "Allow" for a in s["Action"]]
    assert "ecr:*" in allowed and "iam:CreateServiceLinkedRole" in allowed
    assert not {"iam:*", "sts:*", "*"} & set(allowed)
    assert _contradictions(policy) == []
    analysis = analyze_session_policies(profile, policy, [], inv.policies)
    assert analysis.dangerous_allowed == () and analysis.missing_denies == ()
    after = run_checks(inventory_after(inv, result.changes), Settings())
    added = {(f.id, f.resource_arn) for f in after} - {(f.id, f.resource_arn) for f in before}
    assert added == set()
    assert not [f for f in after if f.resource_arn == profile and f.id in change.finding_ids]


def test_a_grant_that_would_make_the_session_permissive_is_cut_and_said_so() -> None:
    wide = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": ["s3:GetObject", "sts:*"], "Resource": "*"},
            {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"},
        ],
    }
    inv, _, profile = _unscoped(wide)
    result = propose(inv, run_checks(inv, Settings()), Settings())
    (change,) = [c for c in result.changes if c.resource_arn == profile]
    assert "does not allow sts:*, iam:PassRole although a listed role grants it" in change.summary
    policy = change.after["sessionPolicy"]
    assert _contradictions(policy) == []
    assert run_checks(inventory_after(inv, result.changes), Settings()) == [
        f for f in run_checks(inv, Settings()) if f.resource_arn != profile
    ]


def test_services_may_not_name_an_identity_service() -> None:
    inv, _, profile = _unscoped(ECR_REPLICATION)
    result = propose(inv, run_checks(inv, Settings()), Settings(), {"services": "s3,iam"})
    assert all(c.resource_arn != profile for c in result.changes)
    (refusal,) = [n for n in result.not_fixable if n.resource_arn == profile]
    assert "iam:*" in refusal.reason


def test_accept_role_session_name_off_warns_that_clients_sending_one_are_refused() -> None:
    inv, _, profile = account(trust())
    inv.profiles[profile].accept_role_session_name = True
    result = propose(inv, run_checks(inv, Settings()), Settings())
    (change,) = [c for c in result.changes if c.resource_arn == profile]
    assert "--role-session-name" in change.summary and "refuses" in change.summary


def test_the_issuer_pin_names_only_the_issuing_ca_not_the_root_above_it() -> None:
    from tests.pki import make_ca

    root = make_ca("Example Root CA 2026")
    issuing = make_ca("Example Issuing CA 07", issuer=root)
    document = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": RA,
                "Action": ACTIONS,
                "Condition": {
                    "StringEquals": {"aws:PrincipalTag/x509Subject/CN": "payroll-batch"},
                    "ArnEquals": {"aws:SourceArn": ANCHOR},
                },
            }
        ],
    }
    inv, role, _ = account(document)
    inv.trust_anchors[ANCHOR].certificate_pem = issuing.pem + root.pem
    inv.trust_anchors[ANCHOR].source_type = "CERTIFICATE_BUNDLE"
    result = propose(inv, run_checks(inv, Settings()), Settings())
    (change,) = [c for c in result.changes if c.resource_arn == role]
    condition = change.after["trustPolicy"]["Statement"][0]["Condition"]
    assert condition["StringEquals"]["aws:PrincipalTag/x509Issuer/CN"] == "Example Issuing CA 07"


# --- detection that agrees with the AWS documentation ---------------------------------------


def _role_findings(document: dict[str, Any], inv: Inventory | None = None) -> dict[str, Any]:
    inv2, role, _ = account(document)
    if inv is not None:
        inv2.trust_anchors = inv.trust_anchors
    return {f.id: f for f in run_checks(inv2, Settings()) if f.resource_arn == role}


def test_a_statement_whose_variables_have_no_value_admits_nobody_and_every_verdict_agrees() -> None:
    """IAM: a variable with no value matches no StringEquals/StringLike, and the statement does
    not take effect ("Policy variables with no value")."""
    document: dict[str, Any] = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": RA,
                "Action": ACTIONS,
                "Condition": {"StringEquals": {"sts:SourceIdentity": "${a}${b}"}},
            }
        ],
    }
    found = _role_findings(document)
    assert set(found) == {"RA-TRUST-MISSING-REQUIRED-ACTION"}
    assert "a, b" in found["RA-TRUST-MISSING-REQUIRED-ACTION"].detail
    # An inverted operator matches a null value: the statement then applies to everyone.
    inverted = copy.deepcopy(document)
    inverted["Statement"][0]["Condition"] = {"StringNotEquals": {"sts:SourceIdentity": "${a}"}}
    opened = _role_findings(inverted)
    assert {"RA-TRUST-NO-SUBJECT-CONDITION", "RA-TRUST-NO-SOURCEARN"} <= set(opened)


def _issuer_pattern_trust() -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": RA,
                "Action": ACTIONS,
                "Condition": {
                    "ArnEquals": {"aws:SourceArn": ANCHOR},
                    "StringEquals": {
                        "aws:PrincipalTag/x509Subject/CN": "payroll-batch",
                        "aws:PrincipalTag/x509Issuer/O": "Example",
                    },
                    "StringLike": {"aws:PrincipalTag/x509Issuer/CN": "Example Issuing CA-*"},
                },
            }
        ],
    }


def _pathlen_ca(cn: str, path_length: int | None) -> str:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    from tests.pki import NOW

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Example"),
            x509.NameAttribute(NameOID.COMMON_NAME, cn),
        ]
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - dt.timedelta(days=30))
        .not_valid_after(NOW + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode()


@pytest.mark.parametrize(("path_length", "reported"), [(0, False), (None, True), (1, True)])
def test_an_issuer_pattern_is_a_pin_when_the_pinned_anchors_are_the_issuing_cas(
    path_length: int | None, reported: bool
) -> None:
    inv, _, _ = account(_issuer_pattern_trust())
    anchor = inv.trust_anchors[ANCHOR]
    anchor.source_type = "CERTIFICATE_BUNDLE"
    anchor.certificate_pem = _pathlen_ca("Example Issuing CA-07", path_length)
    found = _role_findings(_issuer_pattern_trust(), inv)
    assert ("RA-TRUST-ISSUER-NOT-PINNED" in found) is reported


def _spiffe_role(inv: Inventory, name: str, uri: str) -> str:
    arn = f"arn:aws:iam::{ACCOUNT}:role/{name}"
    statement = {
        "Effect": "Allow",
        "Principal": RA,
        "Action": ACTIONS,
        "Condition": {
            "ArnEquals": {"aws:SourceArn": ANCHOR},
            "StringEquals": {"aws:PrincipalTag/x509Issuer/CN": "Example Issuing CA-07"},
            "StringLike": {"aws:PrincipalTag/x509SAN/URI": uri},
        },
    }
    inv.roles[arn] = Role(
        arn=arn, name=name, trust_policy={"Version": "2012-10-17", "Statement": [statement]}
    )
    return arn


@pytest.mark.parametrize(
    ("second", "overlap"),
    [
        ("spiffe://example/Team1/App2/*", False),
        ("spiffe://example/Team1/*", True),
        ("spiffe://example/*/App1/*", True),
        ("spiffe://example/Team2/App1/*", False),
    ],
)
def test_fanout_is_decided_by_whether_the_patterns_can_match_a_common_value(
    second: str, overlap: bool
) -> None:
    inv, role, profile = account(trust())
    del inv.roles[role]
    first = _spiffe_role(inv, "team1-app1", "spiffe://example/Team1/App1/*")
    other = _spiffe_role(inv, "other-app", second)
    inv.profiles[profile].role_arns = [first, other]
    found = [
        f.id
        for f in run_checks(inv, Settings())
        if f.resource_arn == profile and f.id == "RA-PROFILE-ROLE-FANOUT-WITHOUT-BINDING"
    ]
    assert bool(found) is overlap
