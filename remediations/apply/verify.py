"""Reading the account back: what a plan's resources are now, whether the plan is stale or
already applied, and whether its earlier phases are in the account."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from remediations.apply.executor import CallFailed, Executor
from remediations.apply.results import PreviewStep
from remediations.errors import ApplyError
from remediations.plan import Change
from remediations.state import equivalent, is_detailed


def check_earlier_phases(changes: Sequence[Change], executor: Executor) -> None:
    """Refuse a later phase while the account does not show the earlier phases: phase 2
    removes what phase 1 moved, so without phase 1 the workloads would lose their access.

    Raises:
        ApplyError: some earlier change is not in the account (nothing was written).
    """
    last: dict[str, Change] = {}
    for change in changes:
        last[change.resource_arn] = change  # the final state an earlier phase leaves
    missing = []
    for arn, change in last.items():
        kind = change.resource_type
        detailed = is_detailed(kind, change.before, change.after)
        try:
            current = executor.read_state(kind, arn, detailed=detailed)
        except CallFailed as exc:
            raise ApplyError(f"could not read the account ({exc}); nothing was written") from exc
        if not equivalent(kind, current, change.after):
            missing.append(f"{change.id} ({arn})")
    if missing:
        phases = ", ".join(sorted({str(c.phase) for c in changes}))
        raise ApplyError(
            f"phase {phases} of this plan is not applied yet ({', '.join(missing)} not as "
            f"planned); apply it first and switch the clients; nothing was written"
        )


def read_current(steps: Sequence[PreviewStep], executor: Executor) -> dict[str, Any]:
    """Every resource's current state (a later change on the same resource starts from the
    earlier one, so each is read once).

    Raises:
        ApplyError: the account cannot be read (nothing was written).
    """
    current: dict[str, Any] = {}
    try:
        for step in steps:
            if step.resource_arn in current:
                continue
            detailed = is_detailed(step.resource_type, step.before, step.after)
            current[step.resource_arn] = executor.read_state(
                step.resource_type, step.resource_arn, detailed=detailed
            )
    except CallFailed as exc:
        raise ApplyError(f"could not read the account ({exc}); nothing was written") from exc
    return current


def stale_resources(
    steps: Sequence[PreviewStep], current: dict[str, Any], touched: frozenset[str]
) -> list[str]:
    """The resources that are neither as the plan was made against nor already as planned
    (a resume also accepts one the interrupted apply was changing)."""
    stale: list[str] = []
    seen: set[str] = set()
    for step in steps:
        arn = step.resource_arn
        if arn in seen:
            continue
        seen.add(arn)
        state = current[arn]
        if equivalent(step.resource_type, state, step.before):
            continue
        if equivalent(step.resource_type, state, step.after) or arn in touched:
            continue  # already as planned (writing it again changes nothing), or mid-change
        if step.before is None:
            stale.append(f"{arn} (the plan creates it, but it exists now)")
        elif state is None:
            stale.append(f"{arn} (it no longer exists)")
        else:
            stale.append(arn)
    return stale


def stale_message(stale: Sequence[str]) -> str:
    return (
        f"stale plan: {', '.join(stale)} changed since the plan was made; nothing was "
        "written. Make the plan again (rafix plan with the same account options)."
    )


def all_as_planned(steps: Sequence[PreviewStep], current: dict[str, Any]) -> bool:
    return all(equivalent(s.resource_type, current[s.resource_arn], s.after) for s in steps)


# --- execute ---------------------------------------------------------------------------------
