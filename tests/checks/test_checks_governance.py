"""RA-GOV-ADMIN-SURFACE and RA-GOV-SUBJECT-HYGIENE, with their false-positive pitfalls."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from remediations.checks import checks_in
from remediations.checks.context import ScanContext
from remediations.findings import Finding, Severity
from remediations.model import IamGroup, IamUser, Inventory, Profile, Role, Subject, TrustAnchor
from remediations.settings import Settings
from remediations.sources.offline import load_files
from tests.pki import make_ca
from tests.shared import ra_trust

ACCOUNT = "111122223333"
OPEN_ROLE = f"arn:aws:iam::{ACCOUNT}:role/ra-open"
PINNED_ROLE = f"arn:aws:iam::{ACCOUNT}:role/ra-pinned"
USER = f"arn:aws:iam::{ACCOUNT}:user/alice"
ANCHOR = (
    f"arn:aws:rolesanywhere:eu-west-1:{ACCOUNT}:trust-anchor/aaaaaaaa-0000-4000-8000-000000000001"
)
CHECKS = checks_in("governance")


def doc(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(action: Any, resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


RA_WRITE = allow(["rolesanywhere:CreateTrustAnchor", "rolesanywhere:CreateProfile"])
PASS_RA = allow("iam:PassRole") | {
    "Condition": {"StringEquals": {"iam:PassedToService": "rolesanywhere.amazonaws.com"}}
}


def inventory(*user_docs: dict[str, Any], boundary: dict[str, Any] | None = None) -> Inventory:
    inv = Inventory(account_id=ACCOUNT)
    inv.roles[OPEN_ROLE] = Role(arn=OPEN_ROLE, name="ra-open", trust_policy=ra_trust())
    pinned = ra_trust("app.prod")
    pinned["Statement"][0]["Condition"]["ArnEquals"] = {"aws:SourceArn": ANCHOR}
    inv.roles[PINNED_ROLE] = Role(arn=PINNED_ROLE, name="ra-pinned", trust_policy=pinned)
    inv.users[USER] = IamUser(
        arn=USER,
        name="alice",
        inline_policies=[(f"p{i}", d) for i, d in enumerate(user_docs)],
        permissions_boundary_arn="arn:aws:iam::111122223333:policy/boundary" if boundary else None,
    )
    if boundary:
        from remediations.model import ManagedPolicy

        arn = "arn:aws:iam::111122223333:policy/boundary"
        inv.policies[arn] = ManagedPolicy(arn=arn, name="boundary", document=boundary)
    return inv


def findings(inv: Inventory, settings: Settings | None = None) -> list[Finding]:
    ctx = ScanContext(inv, settings)
    return [f for fn in CHECKS for f in fn(ctx)]


def admin(inv: Inventory) -> list[Finding]:
    return [f for f in findings(inv) if f.id == "RA-GOV-ADMIN-SURFACE"]


def test_writes_plus_passrole_on_an_unpinned_role_is_the_admin_surface() -> None:
    [finding] = admin(inventory(doc(RA_WRITE, PASS_RA)))
    assert finding.resource_arn == USER and finding.resource_type == "AWS::IAM::User"
    assert finding.severity is Severity.MEDIUM
    assert list(finding.evidence["passable_roles"]) == [OPEN_ROLE]  # the pinned one is safe


def test_aws_managed_full_access_counts() -> None:
    inv = inventory()
    inv.users[USER].attached_policy_arns = ["arn:aws:iam::aws:policy/AWSRolesAnywhereFullAccess"]
    assert [f.resource_arn for f in admin(inv)] == [USER]


def test_group_policies_apply_to_their_members() -> None:
    inv = inventory()
    group = f"arn:aws:iam::{ACCOUNT}:group/ops"
    inv.groups[group] = IamGroup(
        arn=group, name="ops", inline_policies=[("p", doc(RA_WRITE, PASS_RA))]
    )
    inv.users[USER].groups = ["ops"]
    assert [f.resource_arn for f in admin(inv)] == [USER]


@pytest.mark.parametrize(
    "policy",
    [
        # PassRole only to another service.
        doc(
            RA_WRITE,
            allow("iam:PassRole")
            | {"Condition": {"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}}},
        ),
        # NotAction that leaves Roles Anywhere out.
        doc({"Effect": "Allow", "NotAction": ["rolesanywhere:*"], "Resource": "*"}),
        # An explicit Deny of the writes.
        doc(allow("*"), {"Effect": "Deny", "Action": "rolesanywhere:*", "Resource": "*"}),
        # PassRole only on a role that is not a Roles Anywhere one.
        doc(RA_WRITE, allow("iam:PassRole", f"arn:aws:iam::{ACCOUNT}:role/lambda-*")),
        # Read-only Roles Anywhere access.
        doc(allow(["rolesanywhere:List*", "rolesanywhere:Get*"]), PASS_RA),
        # PassRole only on the pinned role.
        doc(RA_WRITE, allow("iam:PassRole", PINNED_ROLE)),
    ],
    ids=["passrole-to-ec2", "notaction", "explicit-deny", "other-role", "read-only", "pinned-only"],
)
def test_false_positive_pitfalls_are_not_reported(policy: dict[str, Any]) -> None:
    assert admin(inventory(policy)) == []


def test_a_boundary_without_roles_anywhere_removes_the_surface() -> None:
    inv = inventory(doc(allow("*")), boundary=doc(allow(["s3:*", "iam:PassRole"])))
    assert admin(inv) == []


def test_an_mfa_condition_makes_it_low() -> None:
    mfa = {"Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}}
    [finding] = admin(inventory(doc(RA_WRITE | mfa, PASS_RA)))
    assert finding.severity is Severity.LOW


def test_service_linked_roles_and_pinned_accounts_are_not_reported() -> None:
    inv = inventory()
    slr = f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/x/AWSServiceRoleForX"
    inv.roles[slr] = Role(
        arn=slr,
        name="AWSServiceRoleForX",
        path="/aws-service-role/x/",
        inline_policies=[("p", doc(allow("*")))],
    )
    assert admin(inv) == []
    inv.roles.pop(OPEN_ROLE)  # every Roles Anywhere role pinned: nothing to wire a CA to
    inv.users[USER].inline_policies = [("p", doc(allow("*")))]
    assert admin(inv) == []


def test_users_and_groups_are_read_from_the_authorization_details(tmp_path: Path) -> None:
    gaad = {
        "UserDetailList": [
            {
                "UserName": "alice",
                "Arn": USER,
                "GroupList": ["ops"],
                "UserPolicyList": [],
                "AttachedManagedPolicies": [],
            }
        ],
        "GroupDetailList": [
            {
                "GroupName": "ops",
                "Arn": f"arn:aws:iam::{ACCOUNT}:group/ops",
                "GroupPolicyList": [
                    {"PolicyName": "ra", "PolicyDocument": json.dumps(doc(RA_WRITE, PASS_RA))}
                ],
                "AttachedManagedPolicies": [],
            }
        ],
        "RoleDetailList": [
            {"RoleName": "ra-open", "Arn": OPEN_ROLE, "AssumeRolePolicyDocument": ra_trust()}
        ],
        "Policies": [],
    }
    path = tmp_path / "iam.json"
    path.write_text(json.dumps(gaad), encoding="utf-8")
    inv = load_files([path])
    assert inv.users[USER].groups == ["ops"]
    assert [f.resource_arn for f in admin(inv)] == [USER]


# --- subject hygiene ------------------------------------------------------------------------


def hygiene(inv: Inventory, settings: Settings | None = None) -> list[Finding]:
    return [f for f in findings(inv, settings) if f.id == "RA-GOV-SUBJECT-HYGIENE"]


NOW = datetime(2026, 12, 1, tzinfo=UTC)


def subject_inventory(**raw: Any) -> Inventory:
    inv = inventory()
    ca = make_ca("Corp Issuing CA")
    inv.trust_anchors[ANCHOR] = TrustAnchor(
        arn=ANCHOR,
        anchor_id="a",
        name="corp",
        region="eu-west-1",
        source_type="CERTIFICATE_BUNDLE",
        certificate_pem=ca.pem,
    )
    arn = f"arn:aws:rolesanywhere:eu-west-1:{ACCOUNT}:subject/s1"
    inv.subjects[arn] = Subject(
        arn=arn,
        subject_id="s1",
        region="eu-west-1",
        x509_subject=raw.pop("x509Subject", "CN=app.prod,OU=payments"),
        last_seen_at=raw.pop("lastSeenAt", "2026-11-30T00:00:00Z"),
        raw=raw,
    )
    return inv


def test_a_clean_subject_is_not_reported() -> None:
    settings = Settings(now=NOW, cn_pattern=r"[a-z-]+\.(prod|dev)")
    inv = subject_inventory(
        credentials=[{"issuer": "CN=Corp Issuing CA,O=Example", "failed": False}]
    )
    assert hygiene(inv, settings) == []


def test_naming_issuer_failures_and_dead_pins() -> None:
    settings = Settings(now=NOW, cn_pattern=r"[a-z-]+\.(prod|dev)")
    inv = subject_inventory(
        x509Subject="CN=app.prod,OU=payments",
        lastSeenAt="2026-01-01T00:00:00Z",
        credentials=[{"issuer": "CN=Rogue CA", "failed": True}] * 3,
    )
    [finding] = hygiene(inv, settings)
    assert "Rogue CA" in finding.detail and "3 failed" in finding.detail
    assert finding.evidence["stale_pins"] == [PINNED_ROLE]
    bad_name = subject_inventory(x509Subject="CN=App Server (1)")
    assert "naming convention" in hygiene(bad_name, settings)[0].detail


def test_an_unknown_ca_does_not_question_issuers() -> None:
    """With an ACM PCA anchor rafix does not know every CA's name: no issuer verdict."""
    inv = subject_inventory(credentials=[{"issuer": "CN=Private CA Root", "failed": False}])
    pca = ANCHOR.replace("aaaaaaaa", "bbbbbbbb")
    inv.trust_anchors[pca] = TrustAnchor(
        arn=pca, anchor_id="b", name="pca", region="eu-west-1", source_type="AWS_ACM_PCA"
    )
    assert hygiene(inv, Settings(now=NOW)) == []


def test_an_old_subject_nobody_pins_is_not_a_dead_pin() -> None:
    inv = subject_inventory(x509Subject="CN=retired.prod", lastSeenAt="2025-01-01T00:00:00Z")
    assert hygiene(inv, Settings(now=NOW)) == []


def test_disabled_leftovers_are_info() -> None:
    inv = subject_inventory()
    inv.trust_anchors[ANCHOR].enabled = False
    profile = f"arn:aws:rolesanywhere:eu-west-1:{ACCOUNT}:profile/p"
    inv.profiles[profile] = Profile(
        arn=profile, profile_id="p", name="old", region="eu-west-1", enabled=False
    )
    found = hygiene(inv, Settings(now=NOW))
    assert {(f.resource_type, f.severity) for f in found} == {
        ("AWS::RolesAnywhere::TrustAnchor", Severity.INFO),
        ("AWS::RolesAnywhere::Profile", Severity.INFO),
    }


def test_a_large_account_lists_the_first_passable_roles_and_counts_them_all() -> None:
    """An administrator of thousands of roles: the finding names 100 of them (by ARN), counts
    them all and says which Resource patterns let the principal pass them."""
    inv = inventory(doc(RA_WRITE, PASS_RA | {"Resource": f"arn:aws:iam::{ACCOUNT}:role/ra-*"}))
    for i in range(150):
        arn = f"arn:aws:iam::{ACCOUNT}:role/ra-open-{i:03d}"
        inv.roles[arn] = Role(arn=arn, name=f"ra-open-{i:03d}", trust_policy=ra_trust())
    [finding] = admin(inv)
    listed = list(finding.evidence["passable_roles"])
    assert len(listed) == 100 and listed == sorted(listed)
    assert listed[0] == OPEN_ROLE and listed[-1].endswith("ra-open-098")
    assert finding.evidence["passable_count"] == 151
    assert finding.evidence["passable_truncated"] is True
    assert finding.evidence["passrole_resources"] == [f"arn:aws:iam::{ACCOUNT}:role/ra-*"]
    assert "pass 151 unpinned" in finding.detail

    [small] = admin(inventory(doc(RA_WRITE, PASS_RA)))
    assert small.evidence["passable_count"] == 1
    assert small.evidence["passable_truncated"] is False
    assert small.evidence["passrole_resources"] == ["*"]
