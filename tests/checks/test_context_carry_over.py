"""A scan that takes over an earlier scan's analyses (``ScanContext(..., previous=...)``, the
plan's re-check of the account as its changes leave it) reports exactly what a fresh scan of
the same account reports (issue 10): on generated accounts of many shapes, after the plan's own
changes, after changes of the managed policies, and after roles are dropped and re-listed."""

from __future__ import annotations

import copy
from dataclasses import replace
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from remediations.checks.context import ScanContext
from remediations.checks.run import run_checks
from remediations.model import Inventory, ManagedPolicy
from remediations.proposals import propose
from remediations.proposals.converge import inventory_after
from remediations.settings import Settings
from remediations.shortcuts import plain_paths
from tests.account_strategies import CUSTOMER_SESSION, generated_accounts

SETTINGS = Settings()
_WIDE = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
}
_NARROW = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}],
}
BOUNDARY = "arn:aws:iam::111122223333:policy/ra-boundary"


def _report(inventory: Inventory, context: ScanContext | None = None) -> list[dict[str, Any]]:
    return [f.to_json() for f in run_checks(inventory, SETTINGS, context=context)]


def _later(data: st.DataObject, inventory: Inventory, values: dict[str, str]) -> Inventory:
    """The account as a plan leaves it, and then perhaps some other edits of it."""
    findings = run_checks(inventory, SETTINGS)
    changes = propose(inventory, findings, SETTINGS, values).changes
    after = inventory_after(inventory, data.draw(st.sampled_from([changes, changes[:1], []])))
    if data.draw(st.booleans()):  # other managed policies (another dict: nothing is shared)
        after.policies = dict(after.policies)
        after.policies[CUSTOMER_SESSION] = ManagedPolicy(
            CUSTOMER_SESSION, "ra-session-reports", copy.deepcopy(_WIDE)
        )
        if BOUNDARY in after.policies:  # the same boundary ARN, another document
            after.policies[BOUNDARY] = ManagedPolicy(
                BOUNDARY, "ra-boundary", copy.deepcopy(_NARROW)
            )
    if data.draw(st.booleans()) and len(after.roles) > 1:  # a role gone, a profile listing it
        gone = data.draw(st.sampled_from(sorted(after.roles)))
        del after.roles[gone]
    if data.draw(st.booleans()) and after.profiles:  # a profile lists every role
        arn = data.draw(st.sampled_from(sorted(after.profiles)))
        after.profiles[arn] = replace(after.profiles[arn], role_arns=sorted(after.roles))
    return after


@settings(
    max_examples=80,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(generated_accounts(), st.data())
def test_a_scan_carrying_over_analyses_reports_what_a_fresh_scan_reports(
    account: tuple[Inventory, dict[str, str]], data: st.DataObject
) -> None:
    inventory, values = account
    if data.draw(st.booleans()):  # a role with administrator power under a boundary
        arn = data.draw(st.sampled_from(sorted(inventory.roles)))
        inventory.policies[BOUNDARY] = ManagedPolicy(BOUNDARY, "ra-boundary", copy.deepcopy(_WIDE))
        inventory.roles[arn] = replace(
            inventory.roles[arn],
            inline_policies=[("admin", copy.deepcopy(_WIDE))],
            permissions_boundary_arn=BOUNDARY,
        )
    earlier = ScanContext(inventory, SETTINGS)
    _report(inventory, earlier)  # fills its analyses
    later = _later(data, inventory, values)
    carried = ScanContext(later, SETTINGS, previous=earlier)
    assert _report(later, carried) == _report(later)
    with plain_paths():
        plain = ScanContext(later, SETTINGS, previous=earlier)
        assert _report(later, plain) == _report(later)


def test_only_what_did_not_change_is_taken_over() -> None:
    inventory, _values = _example()
    earlier = ScanContext(inventory, SETTINGS)
    _report(inventory, earlier)
    kept, changed = sorted(inventory.roles)[:2]
    later = copy.copy(inventory)
    later.roles = dict(inventory.roles)
    later.roles[changed] = replace(inventory.roles[changed], trust_policy=copy.deepcopy(_WIDE))
    carried = ScanContext(later, SETTINGS, previous=earlier)
    assert carried.trust(later.roles[kept]) is earlier.trust(inventory.roles[kept])
    assert carried.trust(later.roles[changed]) is not earlier.trust(inventory.roles[changed])


def _example() -> tuple[Inventory, dict[str, str]]:
    found: list[tuple[Inventory, dict[str, str]]] = []

    @settings(max_examples=50, deadline=None, derandomize=True, database=None)
    @given(generated_accounts())
    def pick(account: tuple[Inventory, dict[str, str]]) -> None:
        if not found and len(account[0].roles) >= 2:
            found.append(account)

    pick()
    assert found
    return found[0]
