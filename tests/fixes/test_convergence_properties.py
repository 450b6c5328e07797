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

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from remediations.checks.run import run_checks
from remediations.findings import Finding
from remediations.iam.policy import as_list
from remediations.iam.wildcard import has_wildcard, wildcard_match
from remediations.model import Inventory
from remediations.proposals import propose
from remediations.proposals.converge import coherence_problems, inventory_after
from remediations.proposals.render import check_document
from remediations.settings import Settings
from remediations.sources.offline import load_files
from tests.account_strategies import generated_accounts
from tests.corpus_accounts import accounts as corpus_accounts
from tests.corpus_accounts import answers as corpus_answers
from tests.corpus_accounts import write_account

SETTINGS = Settings()


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
    assert_guarantees(inventory, corpus_answers(r.name for r in inventory.roles.values()))
