"""A catalog entry: what rafix knows about one kind of finding."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from remediations.findings import RESOURCE_TYPES, Finding, Severity


class FixKind(StrEnum):
    """How rafix answers a finding (beside its words, so one entry says it all)."""

    #: A phase-1 change in ``rafix plan`` (values only the user knows are asked for).
    AUTOMATIC = "automatic"
    #: An opt-in two-phase role split: phase 2 creates dedicated roles, phase 3 narrows.
    SPLIT = "two-phase split"
    #: A two-phase change a person makes (the clients must switch first); ``fix_reason`` why.
    MANUAL_TWO_PHASE = "two-phase, by hand"
    #: Reported only; ``fix_reason`` says why rafix does not fix it.
    REPORT_ONLY = "report only"


@dataclass(frozen=True, slots=True)
class CheckSpec:
    id: str
    #: The FINDINGS.md entry (e.g. "F-TRUST-01"); "rafix" for entries rafix added.
    catalog_ref: str
    severity: Severity
    #: role | profile | trust-anchor | crl
    resource: str
    title: str
    explanation: str
    fix: str
    #: A one-line note on when the severity changes (shown in docs and SARIF help).
    severity_note: str = ""
    #: How rafix answers it, and (when not automatically) why not.
    fix_kind: FixKind = FixKind.AUTOMATIC
    fix_reason: str = ""
    #: When the finding may not mean what it seems, and what rafix already accounts for
    #: (docs/findings.md).
    pitfalls: str = ""

    @property
    def resource_type(self) -> str:
        return RESOURCE_TYPES[self.resource]

    def finding(
        self,
        resource_arn: str,
        detail: str,
        *,
        region: str,
        severity: Severity | None = None,
        evidence: dict[str, Any] | None = None,
        resource: str | None = None,
    ) -> Finding:
        """Make a finding of this kind with the registry's words.

        ``resource`` overrides the entry's resource kind for IDs that can concern several
        (e.g. a malformed policy of a role or of a profile).
        """
        return Finding(
            id=self.id,
            severity=self.severity if severity is None else severity,
            resource_arn=resource_arn,
            resource_type=RESOURCE_TYPES[resource or self.resource],
            region=region,
            title=self.title,
            detail=detail,
            fix=self.fix,
            evidence=evidence or {},
        )
