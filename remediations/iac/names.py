"""Names for resources in code, derived from the account's own names.

Terraform resource names may hold letters, digits, ``_`` and ``-`` and must start with a letter
or ``_``; they are unique per resource type. CloudFormation logical IDs are alphanumeric only and
unique in the template. Both are derived from the account's names (role name, profile name)
so that a reader recognises them, made valid, and made unique with a numeric suffix.
"""

from __future__ import annotations

import re
from dataclasses import replace

from remediations.plan import Change, Plan

#: What a profile that a plan creates is called in its ARN (``profile/new:NAME``, onboarding).
PENDING_PREFIX = "new:"


def account_name(change: Change) -> str:
    """The name the account gives the resource: the plan's record, else from the ARN."""
    if change.resource_name:
        return change.resource_name
    rid = change.resource_arn.rsplit("/", 1)[-1]
    return rid.removeprefix(PENDING_PREFIX)


def resource_id(change: Change) -> str:
    """The ID AWS addresses the resource by (role name, profile/anchor/CRL UUID)."""
    return change.resource_arn.rsplit("/", 1)[-1]


def is_new(change: Change) -> bool:
    return change.before is None and change.after is not None


class TerraformNames:
    """Unique Terraform names per resource type."""

    def __init__(self) -> None:
        self._taken: dict[str, set[str]] = {}

    def name(self, resource_type: str, wanted: str) -> str:
        base = re.sub(r"[^A-Za-z0-9_-]+", "_", wanted).strip("_") or "resource"
        if not re.match(r"[A-Za-z_]", base):
            base = "_" + base
        taken = self._taken.setdefault(resource_type, set())
        candidate, n = base, 2
        while candidate.lower() in taken:
            candidate, n = f"{base}_{n}", n + 1
        taken.add(candidate.lower())
        return candidate


class LogicalIds:
    """Unique CloudFormation logical IDs (alphanumeric, at most 255 characters)."""

    def __init__(self) -> None:
        self._taken: set[str] = set()

    def logical_id(self, wanted: str, suffix: str = "", *, exact: bool = False) -> str:
        """``wanted`` in PascalCase plus ``suffix`` (unless it already ends so); ``exact``:
        ``wanted`` is already a logical ID (the stack's own), kept as it is when free."""
        if exact and re.fullmatch(r"[A-Za-z0-9]{1,255}", wanted) and wanted not in self._taken:
            self._taken.add(wanted)
            return wanted
        words = re.findall(r"[A-Za-z0-9]+", wanted)
        base = "".join(w[:1].upper() + w[1:] for w in words) or "Resource"
        if suffix and not base.lower().endswith(suffix.lower()):
            base += suffix
        base = base[:240]
        candidate, n = base, 2
        while candidate in self._taken:
            candidate, n = f"{base}{n}", n + 1
        self._taken.add(candidate)
        return candidate


def merged_changes(plan: Plan) -> list[Change]:
    """One change per resource, in plan order, holding its final after-state.

    A plan may change a resource in several phases (a role split narrows a role in phase 3
    that phase 1 already pinned); code describes where each resource ends up, so the changes to
    one resource become one, named after all of them (``c2+c15``), with the highest phase.
    """
    merged: dict[str, Change] = {}
    for change in plan.changes:
        first = merged.get(change.resource_arn)
        if first is None:
            merged[change.resource_arn] = replace(change, finding_ids=list(change.finding_ids))
            continue
        first.id = f"{first.id}+{change.id}"
        first.after = change.after
        first.phase = max(first.phase, change.phase)
        first.finding_ids += [f for f in change.finding_ids if f not in first.finding_ids]
        first.summary = f"{first.summary}; then {change.summary}".strip("; ")
        first.managed_by = first.managed_by or change.managed_by
        first.resource_name = first.resource_name or change.resource_name
    return list(merged.values())
