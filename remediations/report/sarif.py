"""SARIF 2.1.0 for code scanning: rules, results, fingerprints, suppressions."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

from remediations import __version__
from remediations.catalog import CATALOG, CheckSpec
from remediations.findings import Finding
from remediations.report.common import (
    SARIF_LEVEL,
    SARIF_SCHEMA,
    SECURITY_SEVERITY,
    Warning_,
    short_name,
)

# --- SARIF -------------------------------------------------------------------------------


def render_sarif(
    findings: Sequence[Finding],
    *,
    source_uri: str | None = None,
    names: Mapping[str, str] | None = None,
    warnings: Sequence[Warning_] = (),
    suppressed: Sequence[Any] = (),
    not_read: Sequence[Warning_] = (),
) -> str:
    """SARIF 2.1.0 for GitHub code scanning: one rule per catalog ID, one result per finding.

    A suppressed finding is a result with a ``suppressions`` entry (kind ``external``: the
    config file; status ``accepted``; the reason as ``justification``), as SARIF 2.1.0
    section 3.35 describes, so code scanning shows it as dismissed rather than open.

    Args:
        source_uri: the artifact every result points at (e.g. the ``--from-file`` path); by
            default each resource gets a stable pseudo-path ``aws/<account>/<resource>``.
        names: resource ARN -> display name, for the results' logical locations.
        warnings: source warnings, reported as tool execution notifications.
        not_read: what the source could not read: notifications of level ``error``, and the
            run's ``properties`` say ``partial`` with the list under ``notRead``.
    """
    specs = list(CATALOG.values())
    index = {spec.id: i for i, spec in enumerate(specs)}
    log = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "rafix",
                        "version": __version__,
                        "semanticVersion": __version__,
                        # No informationUri (optional in SARIF) until rafix has a home page.
                        "rules": [_rule(spec) for spec in specs],
                    }
                },
                "results": [_result(f, index.get(f.id), source_uri, names) for f in findings]
                + [_suppressed_result(item, index, source_uri, names) for item in suppressed],
                "invocations": [
                    {
                        "executionSuccessful": True,
                        "toolExecutionNotifications": [
                            {
                                "level": "error" if any(w is n for n in not_read) else "warning",
                                "message": {"text": str(w)},
                            }
                            for w in warnings
                        ],
                    }
                ],
                "columnKind": "unicodeCodePoints",
                "properties": {"partial": bool(not_read), "notRead": [str(w) for w in not_read]},
            }
        ],
    }
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"


def _rule(spec: CheckSpec) -> dict[str, Any]:
    help_text = spec.fix + (f" Severity: {spec.severity_note}." if spec.severity_note else "")
    return {
        "id": spec.id,
        "name": "".join(part.capitalize() for part in spec.id.split("-")),
        "shortDescription": {"text": spec.title},
        "fullDescription": {"text": spec.explanation},
        "help": {"text": help_text, "markdown": f"**Fix.** {help_text}"},
        "defaultConfiguration": {"level": SARIF_LEVEL[spec.severity]},
        "properties": {
            "security-severity": SECURITY_SEVERITY[spec.severity],
            "tags": ["security", "aws", "iam-roles-anywhere", spec.resource],
            "precision": "high",
        },
    }


def _result(
    finding: Finding,
    rule_index: int | None,
    source_uri: str | None,
    names: Mapping[str, str] | None,
) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": finding.id,
        "level": SARIF_LEVEL[finding.severity],
        "message": {
            "text": f"{finding.title}: {finding.detail}" if finding.detail else finding.title
        },
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": source_uri or resource_uri(finding.resource_arn)},
                    "region": {"startLine": 1},
                },
                "logicalLocations": [
                    {
                        "name": short_name(finding.resource_arn, names),
                        "fullyQualifiedName": finding.resource_arn,
                        "kind": "resource",
                    }
                ],
            }
        ],
        "partialFingerprints": {"rafixFinding/v1": fingerprint(finding)},
        "properties": {
            "severity": finding.severity.label,
            "resourceType": finding.resource_type,
            "region": finding.region,
            "accountId": finding.account_id,
            "security-severity": SECURITY_SEVERITY[finding.severity],
        },
    }
    if finding.managed_by is not None:
        # Code scanning shows it beside the alert: fix it in the stack or module, not the API.
        result["properties"]["managedBy"] = finding.managed_by.to_json()
    if rule_index is not None:
        result["ruleIndex"] = rule_index
    return result


def _suppressed_result(
    item: Any,
    index: Mapping[str, int],
    source_uri: str | None,
    names: Mapping[str, str] | None,
) -> dict[str, Any]:
    result = _result(item.finding, index.get(item.finding.id), source_uri, names)
    rule = item.suppression
    suppression: dict[str, Any] = {
        "kind": "external",
        "status": "accepted",
        "justification": rule.reason,
    }
    properties = {"expires": rule.expires.isoformat()} if rule.expires else {}
    if rule.origin:
        properties["origin"] = rule.origin
    if properties:
        suppression["properties"] = properties
    result["suppressions"] = [suppression]
    return result


def fingerprint(finding: Finding) -> str:
    """Stable per (ID, resource): the same problem on the same resource is the same alert.
    The resource's ARN names its account, so alerts stay apart and stable per account."""
    return hashlib.sha256(f"{finding.id}\n{finding.resource_arn}".encode()).hexdigest()[:32]


def resource_uri(arn: str) -> str:
    """A stable relative pseudo-path for a resource: ``aws/<account>/[<region>/]<resource>``."""
    parts = arn.split(":", 5)
    if len(parts) < 6:
        return "aws/unknown/" + _uri_safe(arn)
    _arn, _partition, _service, region, account, resource = parts
    segments = ["aws", account or "unknown", *([region] if region else []), resource]
    return "/".join(_uri_safe(s) for s in segments)


def _uri_safe(text: str) -> str:
    return quote(text, safe="/-_.~")
