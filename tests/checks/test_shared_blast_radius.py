"""RA-TA-BLAST-RADIUS counts the roles open to every anchor of an account once per account;
the plain path (``shortcuts.plain_paths()``) lists each anchor's accepting roles on its own.
Both report the same findings, on generated accounts of many shapes and on a large one."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings

from remediations.checks.context import ScanContext
from remediations.checks.pki import LISTED_ROLES, blast_radius
from remediations.findings import Finding
from remediations.model import Inventory, Role, TrustAnchor
from remediations.shortcuts import plain_paths
from tests.account_strategies import generated_accounts
from tests.shared import ra_trust

ACCOUNT = "111122223333"


def _both(inv: Inventory) -> tuple[list[Finding], list[Finding]]:
    shared = list(blast_radius(ScanContext(inv)))
    with plain_paths():
        plain = list(blast_radius(ScanContext(inv)))
    return shared, plain


@settings(max_examples=150, deadline=None)
@given(drawn=generated_accounts())
def test_blast_radius_is_the_plain_listing(drawn: tuple[Inventory, Any]) -> None:
    shared, plain = _both(drawn[0])
    assert shared == plain


def test_a_large_account_lists_the_first_roles_and_counts_them_all() -> None:
    inv = Inventory(account_id=ACCOUNT, regions=["eu-west-1"])
    anchors = [f"arn:aws:rolesanywhere:eu-west-1:{ACCOUNT}:trust-anchor/t{i}" for i in range(2)]
    for arn in anchors:
        inv.trust_anchors[arn] = TrustAnchor(
            arn=arn, anchor_id=arn[-2:], name=arn[-2:], region="eu-west-1"
        )
    for i in range(130):  # open to any anchor of the account
        arn = f"arn:aws:iam::{ACCOUNT}:role/open-{i:03d}"
        inv.roles[arn] = Role(arn=arn, name=f"open-{i:03d}", trust_policy=ra_trust(f"w{i}"))
    pinned = ra_trust("pinned")
    pinned["Statement"][0]["Condition"]["ArnEquals"] = {"aws:SourceArn": anchors[0]}
    arn = f"arn:aws:iam::{ACCOUNT}:role/a-pinned"
    inv.roles[arn] = Role(arn=arn, name="a-pinned", trust_policy=pinned)
    shared, plain = _both(inv)
    assert shared == plain
    first, second = sorted(shared, key=lambda f: f.resource_arn)
    assert first.evidence["role_count"] == 131 and second.evidence["role_count"] == 130
    assert first.evidence["role_arns"][0] == arn  # the pinned one sorts first
    assert len(first.evidence["role_arns"]) == LISTED_ROLES
    assert first.evidence["role_arns"] == sorted(first.evidence["role_arns"])
    assert first.evidence["unpinned_count"] == 130
    assert first.evidence["unpinned_role_arns"][0].endswith("open-000")
    assert first.evidence["roles_truncated"] is True
    assert "131 role(s) accept this trust anchor, 130 of them" in first.detail
