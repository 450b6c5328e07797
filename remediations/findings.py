"""Findings: what a check reports. The words come from the registry in ``catalog``."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from remediations.managed import ManagedBy


class Severity(IntEnum):
    INFO = 0
    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Severity:
        try:
            return cls[text.strip().upper()]
        except KeyError:
            names = ", ".join(s.label for s in cls)
            raise ValueError(f"unknown severity {text!r} (one of: {names})") from None


RESOURCE_TYPES = {
    "role": "AWS::IAM::Role",
    "profile": "AWS::RolesAnywhere::Profile",
    "trust-anchor": "AWS::RolesAnywhere::TrustAnchor",
    "crl": "AWS::RolesAnywhere::CRL",
    "user": "AWS::IAM::User",
    "subject": "AWS::RolesAnywhere::Subject",
}


@dataclass(frozen=True, slots=True)
class Finding:
    """One finding. ``id``/``title``/``fix`` come from the catalog entry of ``id``.

    ``detail`` says what was seen on this resource, in one or two sentences.
    ``evidence`` carries machine-readable facts for proposals and the TUI (statement indexes,
    condition keys, values); it is JSON-ready.
    """

    id: str
    severity: Severity
    resource_arn: str
    resource_type: str
    region: str
    title: str
    detail: str
    fix: str
    evidence: dict[str, Any] = field(default_factory=dict)
    #: CloudFormation or Terraform manages the resource (its tags say so); None: not known to be.
    managed_by: ManagedBy | None = None

    @property
    def account_id(self) -> str:
        """The 12-digit account of the resource (from its ARN); "" when the ARN has none."""
        parts = self.resource_arn.split(":", 5)
        account = parts[4] if len(parts) > 4 else ""
        return account if account.isdigit() else ""

    @property
    def sort_key(self) -> tuple[int, str, str]:
        return (-int(self.severity), self.id, self.resource_arn)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "severity": self.severity.label,
            "resource_arn": self.resource_arn,
            "resource_type": self.resource_type,
            "region": self.region,
            "account_id": self.account_id or None,
            "title": self.title,
            "detail": self.detail,
            "fix": self.fix,
            "evidence": self.evidence,
            "managed_by": self.managed_by.to_json() if self.managed_by else None,
        }
