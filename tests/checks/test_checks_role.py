"""Role checks (remediations.checks.role): privileged RA roles and orphaned RA trusts."""

from __future__ import annotations

import pytest

from remediations.checks import role as checks
from remediations.checks.context import ScanContext
from remediations.findings import Severity
from remediations.model import GLOBAL_REGION
from tests.builders import (
    ACCOUNT,
    ADMIN,
    inventory,
    profile,
    role,
    run,
    trust,
)

PRIVILEGED = "RA-ROLE-PRIVILEGED"
ORPHANED = "RA-ROLE-ORPHANED"


def test_privileged_ra_role() -> None:
    r = role("admin", attached=[ADMIN])
    (finding,) = run(checks.privileged_roles, inventory([r]))
    assert (finding.id, finding.severity, finding.region) == (
        PRIVILEGED,
        Severity.HIGH,
        GLOBAL_REGION,
    )
    assert "*:*" in finding.evidence["grants"]
    assert finding.evidence["attached_policy_arns"] == [ADMIN]


def test_inline_passrole_star_is_privileged() -> None:
    passrole = {"Statement": [{"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"}]}
    r = role("deployer", attached=(), inline=[passrole])
    (finding,) = run(checks.privileged_roles, inventory([r]))
    assert finding.evidence["grants"] == ["iam:PassRole"]
    assert finding.evidence["inline_policy_names"] == ["inline0"]


def test_privileged_role_without_ra_trust_is_not_this_check() -> None:
    ec2 = role("admin", trust(principal={"Service": "ec2.amazonaws.com"}), attached=[ADMIN])
    assert run(checks.privileged_roles, inventory([ec2])) == []


def test_least_privilege_and_undecidable_roles_are_not_reported() -> None:
    reader = role("reader")
    unknown = role("custom", attached=[f"arn:aws:iam::{ACCOUNT}:policy/unknown"])
    assert run(checks.privileged_roles, inventory([reader, unknown])) == []


def test_context_caches_the_privilege_verdict() -> None:
    r = role("admin", attached=[ADMIN])
    ctx = ScanContext(inventory([r]))
    assert ctx.privileged(r) is True
    assert ctx.privilege(r) is ctx.privilege(r)


def test_orphaned_ra_role() -> None:
    r = role("lonely", last_used="2026-01-02T03:04:05Z")
    (finding,) = run(checks.orphaned_roles, inventory([r]))
    assert (finding.id, finding.severity) == (ORPHANED, Severity.LOW)
    assert finding.evidence["regions_read"] == ["eu-west-1"]
    assert "2026-01-02" in finding.detail


def test_role_listed_by_an_enabled_profile_in_another_region_is_not_orphaned() -> None:
    r = role("used")
    elsewhere = profile("p", [r], region="us-east-1")
    inv = inventory([r], [elsewhere], regions=["eu-west-1", "us-east-1"])
    assert run(checks.orphaned_roles, inv) == []


def test_role_listed_only_by_disabled_profiles_is_orphaned() -> None:
    r = role("parked")
    p = profile("p", [r], enabled=False)
    (finding,) = run(checks.orphaned_roles, inventory([r], [p]))
    assert finding.evidence["disabled_profile_arns"] == [p.arn]


def test_role_listed_with_another_path_is_not_orphaned() -> None:
    r = role("app")
    p = profile("p", [f"arn:aws:iam::{ACCOUNT}:role/team/app"])
    assert run(checks.orphaned_roles, inventory([r], [p])) == []


@pytest.mark.parametrize("coverage", [("iam",), ("iam", "rolesanywhere", "trust_anchors", "crls")])
def test_orphan_needs_the_profiles(coverage: tuple[str, ...]) -> None:
    r = role("unknown")
    assert run(checks.orphaned_roles, inventory([r], coverage=coverage)) == []


def test_role_without_ra_trust_is_never_orphaned() -> None:
    ec2 = role("ec2", trust(principal={"Service": "ec2.amazonaws.com"}))
    assert run(checks.orphaned_roles, inventory([ec2])) == []


def test_privileged_role_with_a_broken_trust_says_so() -> None:
    broken = role("admin", trust(actions=["sts:AssumeRole"]), attached=[ADMIN])
    (finding,) = run(checks.privileged_roles, inventory([broken]))
    assert finding.evidence["usable"] is False
    assert "broken" in finding.detail
