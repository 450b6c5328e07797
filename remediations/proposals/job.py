"""The state shared by the one-resource builders: a resource, its findings, and the result."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from remediations.catalog import CATALOG
from remediations.findings import Finding
from remediations.iam.session_policies import SessionShapes
from remediations.model import Inventory, Profile, Role
from remediations.proposals.results import (
    InputNeeded,
    NeedsInput,
    NotFixable,
    ProposalSet,
    ProposedChange,
)
from remediations.proposals.values import _Values
from remediations.settings import Settings
from remediations.state import state_from_inventory


class ProfileIndex:
    """Which profiles list a role, built once per plan: looking them up by scanning every
    profile for every role made planning grow with the square of the account."""

    def __init__(self, inventory: Inventory) -> None:
        by_arn: dict[str, list[Profile]] = {}
        by_name: dict[str, list[Profile]] = {}
        for profile in sorted(inventory.profiles.values(), key=lambda p: p.arn):
            for arn in dict.fromkeys(profile.role_arns):
                by_arn.setdefault(arn, []).append(profile)
                if "/" in arn:
                    found = by_name.setdefault(arn.rsplit("/", 1)[1], [])
                    if not found or found[-1] is not profile:
                        found.append(profile)
        self._by_arn = by_arn
        self._by_name = by_name

    def listing(self, role_arn: str) -> list[Profile]:
        """The profiles whose roleArns hold exactly this ARN, sorted by profile ARN."""
        return self._by_arn.get(role_arn, [])

    def naming(self, role: Role) -> list[Profile]:
        """The profiles that list the role by its ARN or by any ARN ending in its name."""
        if "/" in role.name:  # not a valid role name: match the way the index cannot
            return [
                p
                for p in self._all()
                if role.arn in p.role_arns or any(a.endswith(f"/{role.name}") for a in p.role_arns)
            ]
        named = self._by_name.get(role.name, [])
        exact = [p for p in self.listing(role.arn) if p not in named]
        return [*named, *exact] if exact else named

    def _all(self) -> list[Profile]:
        return list({id(p): p for ps in self._by_arn.values() for p in ps}.values())


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
    profiles: ProfileIndex
    #: ``--repair-broken``: roles no certificate can use today may be repaired.
    repair_broken: bool = False
    #: Session-policy analyses shared by shape across the plan's profiles (None: each
    #: analysed afresh, the plain path).
    session_shapes: SessionShapes | None = None

    @property
    def ids(self) -> set[str]:
        return {f.id for f in self.findings}

    def values(self, name: str) -> _Values:
        return _Values(self.raw_values, self.arn, name)

    def refuse(self, reason: str, ids: Iterable[str] | None = None) -> None:
        for fid in sorted(set(ids) if ids is not None else self.ids):
            self.result.not_fixable.append(NotFixable(fid, self.arn, reason))

    def need(self, exc: InputNeeded, ids: Iterable[str]) -> None:
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
