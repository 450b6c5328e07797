"""RA-TRUST-* checks of operators and keys: fail-open operators, aws:SourceIp, legacy versions."""

from __future__ import annotations

from collections.abc import Iterator

from remediations.checks import check
from remediations.checks.context import ScanContext
from remediations.checks.trust.common import (
    FAIL_OPEN_CATEGORIES,
    describe_uses,
    is_positive,
    sorted_ints,
    sorted_values,
    trust_finding,
    uses_json,
)
from remediations.findings import Finding, Severity

# --- operators and keys ------------------------------------------------------------------------


@check("RA-TRUST-FAIL-OPEN-OPERATOR")
def fail_open_operator(ctx: ScanContext) -> Iterator[Finding]:
    for role, analysis in ctx.ra_roles:
        fail_open = [u for u in analysis.fail_open_conditions if u.category in FAIL_OPEN_CATEGORIES]
        uses = fail_open or list(analysis.for_any_value_conditions)
        if not uses:
            continue
        if fail_open:
            detail = (
                "Allow conditions pass when the key is absent (a profile's attribute mapping "
                f"can drop it): {describe_uses(analysis, uses)}."
            )
            severity = None
        else:
            detail = (
                "ForAnyValue: on single-valued certificate keys (wrong, but fails closed): "
                f"{describe_uses(analysis, uses)}."
            )
            severity = Severity.LOW
        yield trust_finding(
            "RA-TRUST-FAIL-OPEN-OPERATOR",
            role,
            detail,
            severity=severity,
            evidence={
                "statement_indexes": sorted_ints(u.statement_index for u in uses),
                "keys": sorted_values(u.key for u in uses),
                "operators": sorted_values(u.operator for u in uses),
                "conditions": uses_json(uses),
                "fails_closed": not fail_open,
            },
        )


@check("RA-TRUST-SOURCEIP-CONDITION")
def source_ip_condition(ctx: ScanContext) -> Iterator[Finding]:
    for role, analysis in ctx.ra_roles:
        uses = list(analysis.ip_conditions)
        if not uses:
            continue
        breaks = [u for u in uses if u.effect == "Allow" and is_positive(u)]
        effect = (
            "a positive IP condition on an Allow never matches, so the path is broken"
            if breaks
            else "the condition is meaningless for Roles Anywhere"
        )
        yield trust_finding(
            "RA-TRUST-SOURCEIP-CONDITION",
            role,
            f"IP conditions in the trust describe the Roles Anywhere service, not the "
            f"workload ({describe_uses(analysis, uses)}): {effect}.",
            evidence={
                "statement_indexes": sorted_ints(u.statement_index for u in uses),
                "keys": sorted_values(u.key for u in uses),
                "conditions": uses_json(uses),
                "breaks_path": bool(breaks),
            },
        )


@check("RA-TRUST-LEGACY-VERSION-WITH-VARIABLES")
def legacy_version(ctx: ScanContext) -> Iterator[Finding]:
    for role, analysis in ctx.ra_roles:
        if not analysis.legacy_version_with_variables:
            continue
        version = analysis.document.get("Version")
        uses = [u for u in analysis.conditions if any("${" in v for v in u.values)]
        shown = "no Version" if version is None else f"Version {version!r}"
        yield trust_finding(
            "RA-TRUST-LEGACY-VERSION-WITH-VARIABLES",
            role,
            f"The trust policy has {shown}, so ${{...}} is compared literally"
            + (f": {describe_uses(analysis, uses)}." if uses else "."),
            evidence={
                "version": version,
                "statement_indexes": sorted_ints(u.statement_index for u in uses),
                "keys": sorted_values(u.key for u in uses),
            },
        )
