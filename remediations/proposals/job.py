"""The state shared by the one-resource builders: a resource, its findings, and the result."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from remediations.catalog import CATALOG
from remediations.findings import Finding
from remediations.model import Inventory
from remediations.proposals.results import (
    NeedsInput,
    NotFixable,
    ProposalSet,
    ProposedChange,
    _NeedInput,
)
from remediations.proposals.values import _Values
from remediations.settings import Settings
from remediations.state import state_from_inventory


@dataclass(slots=True)
class _Job:
    """One resource and its findings, while its proposal is made."""

    inventory: Inventory
    settings: Settings
    raw_values: dict[str, str]
    kind: str
    arn: str
    findings: list[Finding]
    result: ProposalSet
    #: ``--repair-broken``: roles no certificate can use today may be repaired.
    repair_broken: bool = False

    @property
    def ids(self) -> set[str]:
        return {f.id for f in self.findings}

    def values(self, name: str) -> _Values:
        return _Values(self.raw_values, self.arn, name)

    def refuse(self, reason: str, ids: Iterable[str] | None = None) -> None:
        for fid in sorted(set(ids) if ids is not None else self.ids):
            self.result.not_fixable.append(NotFixable(fid, self.arn, reason))

    def need(self, exc: _NeedInput, ids: Iterable[str]) -> None:
        for fid in sorted(set(ids)):
            self.result.needs_input.append(
                NeedsInput(fid, self.arn, exc.key, exc.question, exc.candidates)
            )

    def emit(self, summary: list[str], after: dict[str, Any], ids: Iterable[str]) -> None:
        before = state_from_inventory(self.inventory, self.kind, self.arn)
        if before is None or before == after or not summary:
            return
        fixed = sorted(set(ids))
        why = " ".join(f"{fid}: {CATALOG[fid].title}." for fid in fixed)
        region = self.findings[0].region
        self.result.changes.append(
            ProposedChange(
                self.arn, self.kind, region, fixed, "; ".join(summary), why, before, after
            )
        )
