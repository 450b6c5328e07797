"""Role checks (FINDINGS F-ROLE-01): privileged roles reachable through Roles Anywhere, and RA
trusts that no enabled profile uses."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from remediations.catalog import spec
from remediations.checks import check
from remediations.checks.profile import profiles_listing, was_read
from remediations.findings import Finding
from remediations.model import GLOBAL_REGION

if TYPE_CHECKING:
    from remediations.checks.context import ScanContext


def _summary(grants: tuple[str, ...], shown: int = 3) -> str:
    """The strongest grants first (they come ordered so), the rest counted."""
    head = ", ".join(grants[:shown])
    rest = len(grants) - shown
    return f"{head} and {rest} more IAM write(s)" if rest > 0 else head


@check("RA-ROLE-PRIVILEGED")
def privileged_roles(ctx: ScanContext) -> Iterator[Finding]:
    entry = spec("RA-ROLE-PRIVILEGED")
    for role, analysis in ctx.ra_roles:
        verdict = ctx.privilege(role)
        if not verdict.privileged:
            continue
        detail = (
            f"The role trusts Roles Anywhere and its permissions grant {_summary(verdict.grants)}."
        )
        if not analysis.usable:
            detail += " Its trust is broken today (not all three actions are allowed)."
        yield entry.finding(
            role.arn,
            detail,
            region=GLOBAL_REGION,
            evidence={
                "grants": list(verdict.grants),
                "usable": analysis.usable,
                "attached_policy_arns": list(role.attached_policy_arns),
                "inline_policy_names": [name for name, _doc in role.inline_policies],
                "permissions_boundary_arn": role.permissions_boundary_arn,
            },
        )


@check("RA-ROLE-ORPHANED")
def orphaned_roles(ctx: ScanContext) -> Iterator[Finding]:
    if not was_read(ctx, "profiles"):
        return  # without the profiles, "no profile uses it" would be a guess
    entry = spec("RA-ROLE-ORPHANED")
    regions = sorted(ctx.inventory.regions)
    for role, _analysis in ctx.ra_roles:
        profiles = profiles_listing(ctx, role)
        if any(p.enabled for p in profiles):
            continue
        listing = [p.arn for p in profiles]
        where = f" in {', '.join(regions)}" if regions else ""
        detail = f"No enabled profile{where} lists the role."
        if listing:
            detail += f" Disabled profile(s) list it: {', '.join(listing)}."
        if role.last_used:
            detail += f" Last used {role.last_used}."
        yield entry.finding(
            role.arn,
            detail,
            region=GLOBAL_REGION,
            evidence={
                "regions_read": regions,
                "disabled_profile_arns": listing,
                "last_used": role.last_used,
            },
        )
