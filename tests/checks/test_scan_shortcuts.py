"""Every shortcut the scan's checks take (per-document facts, shapes shared between roles and
profiles, principals told apart from their raw documents, tag keys told once) reports what
the plain paths report: the JSON report, byte for byte, for generated accounts of many shapes
(with administrators and users added) and for every corpus account."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from remediations.checks.run import run_checks
from remediations.model import IamUser, Inventory, ManagedPolicy
from remediations.report import render_json
from remediations.shortcuts import plain_paths
from remediations.sources.offline import load_files
from remediations.trust.cache import clear_cache
from tests.account_strategies import ACCOUNT, generated_accounts
from tests.corpus_accounts import accounts, write_account

#: Identity documents a principal may hold: administration of Roles Anywhere, PassRole, the
#: privilege probes' actions, under conditions or not, with Denies and NotAction.
_IDENTITY = [
    {"Effect": "Allow", "Action": "*", "Resource": "*"},
    {"Effect": "Allow", "Action": ["rolesanywhere:*", "iam:PassRole"], "Resource": "*"},
    {
        "Effect": "Allow",
        "Action": "iam:PassRole",
        "Resource": f"arn:aws:iam::{ACCOUNT}:role/ra-*",
        "Condition": {"StringEquals": {"iam:PassedToService": "rolesanywhere.amazonaws.com"}},
    },
    {"Effect": "Allow", "Action": "rolesanywhere:Create*", "Resource": "*"},
    {"Effect": "Allow", "NotAction": ["iam:*", "organizations:*"], "Resource": "*"},
    {"Effect": "Deny", "Action": "iam:PassRole", "Resource": "*"},
    {"Effect": "Allow", "Action": ["iam:AttachRolePolicy", "s3:*"], "Resource": "*"},
    {
        "Effect": "Allow",
        "Action": "iam:*",
        "Resource": "*",
        "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}},
    },
    {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::bucket/*"},
]


def _report(inventory: Inventory) -> str:
    return render_json(run_checks(inventory), inventory.warnings)


@st.composite
def accounts_with_principals(draw: st.DrawFn) -> Inventory:
    """A generated account whose roles carry identity documents of many kinds (some shared
    as a managed policy), with users holding them too."""
    inventory, _values = draw(generated_accounts())
    shared = f"arn:aws:iam::{ACCOUNT}:policy/ops-shared"
    statements = st.lists(st.sampled_from(_IDENTITY), min_size=1, max_size=3)
    inventory.policies[shared] = ManagedPolicy(
        shared, "ops-shared", {"Version": "2012-10-17", "Statement": draw(statements)}
    )
    for role in inventory.roles.values():
        if draw(st.booleans()):
            role.inline_policies = [
                *role.inline_policies,
                ("ops", {"Version": "2012-10-17", "Statement": copy.deepcopy(draw(statements))}),
            ]
        if draw(st.booleans()):
            role.attached_policy_arns = [*role.attached_policy_arns, shared]
    for i in range(draw(st.integers(0, 2))):
        arn = f"arn:aws:iam::{ACCOUNT}:user/ops-{i}"
        document = {"Version": "2012-10-17", "Statement": copy.deepcopy(draw(statements))}
        inventory.users[arn] = IamUser(
            arn=arn,
            name=f"ops-{i}",
            inline_policies=[("ops", document)],
            attached_policy_arns=[shared] if draw(st.booleans()) else [],
        )
    return inventory


def _both_paths(inventory: Inventory) -> tuple[str, str]:
    """The report with the shortcuts, and under ``plain_paths()``, each from an empty trust
    cache."""
    clear_cache()
    shortcuts = _report(inventory)
    with plain_paths():
        clear_cache()
        return shortcuts, _report(inventory)


@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(inventory=accounts_with_principals())
def test_generated_accounts_report_what_the_plain_paths_report(inventory: Inventory) -> None:
    shortcuts, plain = _both_paths(inventory)
    assert shortcuts == plain


@pytest.mark.parametrize("name", sorted(accounts()))
def test_corpus_accounts_report_what_the_plain_paths_report(name: str, tmp_path: Path) -> None:
    shortcuts, plain = _both_paths(load_files(write_account(name, tmp_path / "account")))
    assert shortcuts == plain
    assert '"findings": [' in shortcuts


def test_the_generated_accounts_reach_the_shortcuts_findings() -> None:
    """The comparison above is not between empty reports: some generated accounts report an
    administrator of Roles Anywhere and a privileged role."""
    from hypothesis import find

    def reports(inventory: Inventory, *ids: str) -> bool:
        text = _report(inventory)
        return all(f'"id": "{i}"' in text for i in ids)

    found: Any = find(
        accounts_with_principals(),
        lambda inv: reports(inv, "RA-GOV-ADMIN-SURFACE", "RA-ROLE-PRIVILEGED"),
        settings=settings(max_examples=500, database=None),
    )
    assert found.roles
