"""A finding's fix kind lives beside its words in the catalog, and proposals follow it."""

from __future__ import annotations

from remediations.catalog import CATALOG, FixKind
from remediations.model import Inventory
from remediations.proposals import propose


def test_every_finding_not_fixed_automatically_says_why() -> None:
    for entry in CATALOG.values():
        if entry.fix_kind in (FixKind.REPORT_ONLY, FixKind.MANUAL_TWO_PHASE):
            assert entry.fix_reason, entry.id
        else:
            assert not entry.fix_reason, entry.id


def test_report_only_findings_are_explained_with_the_catalog_reason() -> None:
    inventory = Inventory()
    for entry in CATALOG.values():
        if entry.fix_kind is FixKind.AUTOMATIC or entry.fix_kind is FixKind.SPLIT:
            continue
        finding = entry.finding("arn:aws:iam::111122223333:role/r", "detail", region="global")
        result = propose(inventory, [finding])
        assert not result.changes, entry.id
        [item] = result.not_fixable
        assert entry.fix_reason in item.reason, entry.id
