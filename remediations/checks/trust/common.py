"""What the RA-TRUST-* checks share: the finding of a role, and how they describe statements and
conditions."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from remediations.catalog import spec
from remediations.checks.context import ScanContext
from remediations.findings import Finding, Severity
from remediations.iam.evaluator import parse_operator
from remediations.model import GLOBAL_REGION, Role
from remediations.trust import ConditionUse, TrustAnalysis

#: Condition categories the certificate or trust anchor decides (FINDINGS F-TRUST-07).
FAIL_OPEN_CATEGORIES = frozenset({"subject", "issuer", "san", "source_identity", "source_arn"})
#: ``spiffe://<trust domain>/.../`` followed by one trailing wildcard: namespace scoping.
SPIFFE_NAMESPACE = re.compile(r"^spiffe://[^/*?]+(/[^/*?]+)+/\*$")


def trust_finding(
    check_id: str,
    role: Role,
    detail: str,
    *,
    severity: Severity | None = None,
    evidence: dict[str, Any] | None = None,
) -> Finding:
    return spec(check_id).finding(
        role.arn, detail, region=GLOBAL_REGION, severity=severity, evidence=evidence
    )


def sorted_values(values: Iterable[str]) -> list[str]:
    return sorted(set(values))


def statement_list(analysis: TrustAnalysis, indexes: Iterable[int]) -> str:
    return ", ".join(analysis.describe_statement(i) for i in sorted(set(indexes)))


def is_positive(use: ConditionUse) -> bool:
    return parse_operator(use.operator).positive


def _pinning_statements(analysis: TrustAnalysis, keep: Callable[[ConditionUse], bool]) -> set[int]:
    """Allow statements for Roles Anywhere that have a positive condition ``keep`` accepts."""
    return {
        u.statement_index
        for u in analysis.conditions
        if u.effect == "Allow" and is_positive(u) and keep(u)
    }


def unpinned_statements(analysis: TrustAnalysis, keep: Callable[[ConditionUse], bool]) -> list[int]:
    pinned = _pinning_statements(analysis, keep)
    return [i for i in analysis.ra_statement_indexes if i not in pinned]


def uses_json(uses: Iterable[ConditionUse]) -> list[dict[str, Any]]:
    return [u.to_json() for u in uses]


def describe_uses(analysis: TrustAnalysis, uses: Iterable[ConditionUse]) -> str:
    return "; ".join(
        f"{analysis.describe_statement(u.statement_index)}: {u.operator} {u.key} = "
        f"{', '.join(u.values) or '(no value)'}"
        for u in uses
    )


def role_is_privileged(ctx: ScanContext, role: Role) -> bool | None:
    probe = getattr(ctx, "privileged", None)
    if probe is None:
        return None
    try:
        result = probe(role)
    except Exception:  # a privilege verdict must never stop the trust checks
        return None
    return result if isinstance(result, bool) else None


def sorted_ints(values: Iterable[int]) -> list[int]:
    return sorted(set(values))
