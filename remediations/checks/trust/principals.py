"""RA-TRUST-* checks of principals and actions: mixed principals, wildcard principal, missing
required actions."""

from __future__ import annotations

from collections.abc import Iterator

from remediations.checks import check
from remediations.checks.context import ScanContext
from remediations.checks.trust.common import sorted_values, statement_list, trust_finding
from remediations.findings import Finding, Severity
from remediations.model import REQUIRED_ACTIONS
from remediations.trust import absent_keys

# --- principals and actions --------------------------------------------------------------------


def _named_role(label: str) -> bool:
    if not label.lower().startswith("aws:"):
        return False
    arn = label[4:]
    return ":iam::" in arn and ":role/" in arn and "*" not in arn


@check("RA-TRUST-MIXED-PRINCIPALS")
def mixed_principals(ctx: ScanContext) -> Iterator[Finding]:
    for role, analysis in ctx.ra_roles:
        others = list(analysis.other_principals)
        if not others:
            continue
        one_role = len(others) == 1 and _named_role(others[0])
        note = (
            " The other principal is one named role (e.g. break-glass): rated medium, but a "
            "dedicated Roles Anywhere role is still best practice."
            if one_role
            else ""
        )
        yield trust_finding(
            "RA-TRUST-MIXED-PRINCIPALS",
            role,
            f"Besides Roles Anywhere ({statement_list(analysis, analysis.ra_statement_indexes)}), "
            f"the trust admits {', '.join(others)}.{note}",
            severity=Severity.MEDIUM if one_role else None,
            evidence={
                "statement_indexes": list(analysis.ra_statement_indexes),
                "other_principals": others,
                "certificate_bound_principals": list(analysis.certificate_bound_principals),
            },
        )


@check("RA-TRUST-WILDCARD-PRINCIPAL")
def wildcard_principal(ctx: ScanContext) -> Iterator[Finding]:
    for role, analysis in ctx.ra_roles:
        if not analysis.wildcard_principal:
            continue
        ra_state = (
            "the Roles Anywhere path is open to any subject"
            if analysis.open_to_any_subject
            else "its conditions do not open the Roles Anywhere path to any subject, but every "
            "other principal is judged only by them"
        )
        yield trust_finding(
            "RA-TRUST-WILDCARD-PRINCIPAL",
            role,
            f'An Allow statement has "Principal": "*" (or {{"AWS": "*"}} or NotPrincipal); '
            f"{ra_state}.",
            evidence={"statement_indexes": list(analysis.ra_statement_indexes)},
        )


@check("RA-TRUST-MISSING-REQUIRED-ACTION")
def missing_required_action(ctx: ScanContext) -> Iterator[Finding]:
    for role, analysis in ctx.ra_roles:
        if analysis.usable:
            continue
        missing = [a for a in REQUIRED_ACTIONS if a not in analysis.allowed_actions]
        if missing:
            detail = (
                f"No satisfiable path allows Roles Anywhere {', '.join(missing)}, so "
                "CreateSession fails for this role."
            )
        else:
            detail = (
                "Each required action is allowed, but under conditions no single certificate "
                "meets, so CreateSession fails for this role."
            )
        absent = absent_keys(analysis.conditions)
        if absent:
            detail += (
                f" Its conditions use {', '.join(absent)}, which a Roles Anywhere request never "
                "carries: a key or ${...} variable with no value matches no positive operator "
                "(IAM User Guide, policy variables with no value)."
            )
        yield trust_finding(
            "RA-TRUST-MISSING-REQUIRED-ACTION",
            role,
            detail,
            evidence={
                "missing_actions": missing,
                "allowed_actions": sorted_values(analysis.allowed_actions),
                "statement_indexes": list(analysis.ra_statement_indexes),
            },
        )
