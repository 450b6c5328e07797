"""RA-TRUST-* checks of who vouches for the certificate: the trust anchor (aws:SourceArn) and
the issuer."""

from __future__ import annotations

from collections.abc import Iterator

from remediations.checks import check
from remediations.checks.context import ScanContext
from remediations.checks.trust.common import (
    describe_uses,
    sorted_ints,
    sorted_values,
    statement_list,
    trust_finding,
    unpinned_statements,
    uses_json,
)
from remediations.findings import Finding, Severity
from remediations.trust import ConditionUse, TrustAnalysis

# --- trust anchor ------------------------------------------------------------------------------


def _is_source_arn(use: ConditionUse) -> bool:
    return use.category == "source_arn"


@check("RA-TRUST-NO-SOURCEARN")
def no_source_arn(ctx: ScanContext) -> Iterator[Finding]:
    for role, analysis in ctx.ra_roles:
        if not analysis.usable or not analysis.anchor_open_actions:
            continue
        unpinned = unpinned_statements(analysis, _is_source_arn)
        if not unpinned:
            continue  # every path names aws:SourceArn: only a wildcard can open it (F-TRUST-03)
        account_only = any(
            u.category == "source_account" and u.statement_index in unpinned
            for u in analysis.conditions
        )
        actions = sorted_values(analysis.anchor_open_actions)
        if analysis.open_to_any_anchor:
            severity = None
            summary = (
                "A certificate from any trust anchor of the account is allowed all three actions"
            )
        else:
            severity = Severity.MEDIUM
            summary = (
                f"The {', '.join(actions)} path admits any trust anchor; another action's "
                "aws:SourceArn pin still closes CreateSession today (rated medium), but the "
                "path itself is unanchored"
            )
        extra = (
            " aws:SourceAccount does not distinguish trust anchors: every usable one is in "
            "this account."
            if account_only
            else ""
        )
        yield trust_finding(
            "RA-TRUST-NO-SOURCEARN",
            role,
            f"{summary}: no aws:SourceArn condition in {statement_list(analysis, unpinned)}.{extra}",
            severity=severity,
            evidence={
                "statement_indexes": unpinned,
                "actions": actions,
                "open_to_any_anchor": analysis.open_to_any_anchor,
                "source_account_only": account_only,
                "pinned_source_arns": sorted(analysis.pinned_source_arns),
            },
        )


@check("RA-TRUST-SOURCEARN-WILDCARD")
def source_arn_wildcard(ctx: ScanContext) -> Iterator[Finding]:
    for role, analysis in ctx.ra_roles:
        if not analysis.source_arn_wildcards:
            continue
        uses = [
            u
            for u in analysis.conditions
            if _is_source_arn(u) and any(v in analysis.source_arn_wildcards for v in u.values)
        ]
        yield trust_finding(
            "RA-TRUST-SOURCEARN-WILDCARD",
            role,
            f"aws:SourceArn pattern {', '.join(analysis.source_arn_wildcards)} admits trust "
            f"anchors the policy does not name ({describe_uses(analysis, uses)}).",
            evidence={
                "statement_indexes": sorted_ints(u.statement_index for u in uses),
                "values": list(analysis.source_arn_wildcards),
                "pinned_source_arns": sorted(analysis.pinned_source_arns),
                "conditions": uses_json(uses),
            },
        )


def _arn_region(arn: str) -> str:
    parts = arn.split(":")
    return parts[3] if len(parts) > 3 else ""


@check("RA-TRUST-SOURCEARN-STALE")
def source_arn_stale(ctx: ScanContext) -> Iterator[Finding]:
    inventory = ctx.inventory
    if "rolesanywhere" not in inventory.coverage:
        return
    regions = set(inventory.regions)
    existing = set(inventory.trust_anchors)
    for role, analysis in ctx.ra_roles:
        stale = sorted(
            arn
            for arn in analysis.pinned_source_arns
            if _arn_region(arn) in regions and arn not in existing
        )
        if not stale:
            continue
        only = set(stale) == set(analysis.pinned_source_arns)
        note = (
            " These are all the anchors it names, so the role cannot be used through Roles "
            "Anywhere; check RoleLastUsed before changing it."
            if only
            else ""
        )
        uses = [u for u in analysis.conditions if _is_source_arn(u) and set(u.values) & set(stale)]
        yield trust_finding(
            "RA-TRUST-SOURCEARN-STALE",
            role,
            f"aws:SourceArn names trust anchor(s) that do not exist: {', '.join(stale)}.{note}",
            evidence={
                "statement_indexes": sorted_ints(u.statement_index for u in uses),
                "values": stale,
                "only_pins": only,
                "last_used": role.last_used,
            },
        )


# --- issuer ------------------------------------------------------------------------------------


def _anchors_name_the_issuer(ctx: ScanContext, analysis: TrustAnalysis) -> bool:
    """Every trust anchor the role pins (aws:SourceArn) is a bundle of CA certificates with
    path length 0: each certificate they accept was issued by one of those named CAs, so an
    issuer pattern cannot admit a CA the account did not name."""
    from remediations.iam.x509 import parse_certificate_bundle

    if analysis.open_to_any_anchor or analysis.source_arn_wildcards:
        return False
    pinned = analysis.pinned_source_arns
    if not pinned:
        return False
    for arn in pinned:
        anchor = ctx.inventory.trust_anchors.get(arn)
        if anchor is None or not anchor.certificate_pem:
            return False
        bundle = parse_certificate_bundle(anchor.certificate_pem)
        if bundle.error or not bundle.certificates:
            return False
        if not all(c.is_ca and c.path_length == 0 for c in bundle.certificates):
            return False
    return True


@check("RA-TRUST-ISSUER-NOT-PINNED")
def issuer_not_pinned(ctx: ScanContext) -> Iterator[Finding]:
    single_anchor = len(ctx.inventory.trust_anchors) == 1
    for role, analysis in ctx.ra_roles:
        if not analysis.usable:
            continue
        if analysis.open_to_any_issuer:
            unpinned = unpinned_statements(analysis, lambda u: u.category == "issuer")
            detail = (
                "No path pins the issuing CA (no aws:PrincipalTag/x509Issuer condition in "
                f"{statement_list(analysis, unpinned)}), so every CA under the trust anchor can "
                "issue certificates this role accepts."
            )
            severity = Severity.LOW if single_anchor else None
        elif analysis.issuer_wildcards and _anchors_name_the_issuer(ctx, analysis):
            continue
        elif analysis.issuer_wildcards:
            shown = ", ".join(f"{k} like {p!r}" for k, p in analysis.issuer_wildcards)
            unpinned = sorted_ints(
                u.statement_index
                for u in analysis.conditions
                if u.category == "issuer"
                and set(u.values) & {p for _, p in analysis.issuer_wildcards}
            )
            detail = f"The issuer is pinned only by a pattern ({shown}), which admits CAs the policy does not name."
            severity = Severity.LOW
        else:
            continue
        if single_anchor and analysis.open_to_any_issuer:
            detail += " The account has a single trust anchor, so rated low."
        yield trust_finding(
            "RA-TRUST-ISSUER-NOT-PINNED",
            role,
            detail,
            severity=severity,
            evidence={
                "statement_indexes": unpinned,
                "issuer_wildcards": [list(w) for w in analysis.issuer_wildcards],
                "single_trust_anchor": single_anchor,
            },
        )
