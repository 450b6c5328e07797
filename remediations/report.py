"""Scan reports: a table for people, JSON for scripts (INTERFACE.md), SARIF for code scanning.

Plain text and standard library only: the core never imports Rich or Textual.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

from remediations import __version__
from remediations.catalog import CATALOG, CheckSpec
from remediations.findings import Finding, Severity
from remediations.model import Inventory, SourceWarning

JSON_SCHEMA = "rafix.findings/v1"
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
#: GitHub ranks alerts by this score (9.0+ critical, 7.0+ high, 4.0+ medium, below: low).
SECURITY_SEVERITY = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "3.0",
    Severity.INFO: "0.5",
}
SARIF_LEVEL = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.INFO: "note",
}
_ANSI = {
    Severity.CRITICAL: "\033[1;31m",
    Severity.HIGH: "\033[31m",
    Severity.MEDIUM: "\033[33m",
    Severity.LOW: "\033[36m",
    Severity.INFO: "\033[2m",
}
_RESET = "\033[0m"
RESOURCE_WIDTH = 48

Warning_ = SourceWarning | str


def use_color(stream: Any = None) -> bool:
    """Colour only for a terminal, and never when NO_COLOR is set (https://no-color.org)."""
    stream = sys.stdout if stream is None else stream
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty()) and not os.environ.get("NO_COLOR")


def short_name(arn: str, names: Mapping[str, str] | None = None) -> str:
    """A readable name for a resource: its known name, else the last part of its ARN."""
    if names and names.get(arn):
        return names[arn]
    return arn.rsplit("/", 1)[-1] if "/" in arn else arn.rsplit(":", 1)[-1]


def summary_counts(findings: Sequence[Finding]) -> dict[str, int]:
    """Findings per severity label, most severe first, every severity present."""
    counts = Counter(f.severity for f in findings)
    return {s.label: counts.get(s, 0) for s in sorted(Severity, reverse=True)}


def summary_line(findings: Sequence[Finding]) -> str:
    """E.g. ``5 findings: 1 critical, 2 high, 2 medium`` or ``No findings.``"""
    if not findings:
        return "No findings."
    parts = [f"{n} {label}" for label, n in summary_counts(findings).items() if n]
    noun = "finding" if len(findings) == 1 else "findings"
    return f"{len(findings)} {noun}: {', '.join(parts)}"


# --- table -------------------------------------------------------------------------------


def render_table(
    findings: Sequence[Finding],
    warnings: Sequence[Warning_] = (),
    *,
    names: Mapping[str, str] | None = None,
    color: bool | None = None,
) -> str:
    """Aligned columns severity, ID, resource and title; a summary line; then the warnings.

    Args:
        names: resource ARN -> display name (role, profile, anchor or CRL name).
        color: ANSI colours for severities; None decides from stdout and NO_COLOR.
    """
    color = use_color() if color is None else color
    rows = [
        (f.severity.label.upper(), f.id, _clip(short_name(f.resource_arn, names)), f.title)
        for f in findings
    ]
    lines: list[str] = []
    if rows:
        header = ("SEVERITY", "ID", "RESOURCE", "TITLE")
        widths = [max(len(header[i]), *(len(r[i]) for r in rows)) for i in range(3)]
        lines.append(_row(header, widths))
        for finding, cells in zip(findings, rows, strict=True):
            line = _row(cells, widths)
            if color:  # colour the severity cell only, so columns stay aligned
                label = cells[0].ljust(widths[0])
                line = f"{_ANSI[finding.severity]}{label}{_RESET}{line[len(label) :]}"
            lines.append(line)
        lines.append("")
    lines.append(summary_line(findings))
    if warnings:
        lines.append("")
        lines.append(f"Warnings ({len(warnings)}):")
        lines.extend(f"  - {w}" for w in warnings)
    return "\n".join(lines) + "\n"


def _row(cells: tuple[str, ...], widths: list[int]) -> str:
    padded = [cell.ljust(width) for cell, width in zip(cells, widths, strict=False)]
    return "  ".join([*padded, *cells[len(widths) :]]).rstrip()


def _clip(text: str) -> str:
    return text if len(text) <= RESOURCE_WIDTH else text[: RESOURCE_WIDTH - 3] + "..."


# --- JSON --------------------------------------------------------------------------------


def render_json(
    findings: Sequence[Finding],
    warnings: Sequence[Warning_] = (),
    *,
    source: Mapping[str, Any] | None = None,
) -> str:
    """The INTERFACE.md document (schema ``rafix.findings/v1``) plus summary and warnings.

    Args:
        source: what was scanned (origin, account, regions, coverage), when known; scripts use
            ``coverage`` to tell a partial scan from a clean one.
    """
    document: dict[str, Any] = {
        "schema": JSON_SCHEMA,
        "tool": {"name": "rafix", "version": __version__},
        "summary": {"total": len(findings), "by_severity": summary_counts(findings)},
        "findings": [f.to_json() for f in findings],
        "warnings": [_warning_json(w) for w in warnings],
    }
    if source is not None:
        document["source"] = dict(source)
    return _one_item_per_line(document)


def _one_item_per_line(document: Mapping[str, Any]) -> str:
    """The document with each top-level key, and each item of a list value, on its own line.

    ``json.dumps(indent=...)`` runs the pure-Python encoder: on 10,000 findings that costs more
    than the whole analysis. Encoding each item compactly uses the C encoder and still reads
    (and diffs) one finding per line.
    """
    encode = json.JSONEncoder(ensure_ascii=False, separators=(", ", ": ")).encode
    parts = []
    for key, value in document.items():
        if isinstance(value, list) and value:
            items = ",\n    ".join(map(encode, value))
            parts.append(f"  {encode(key)}: [\n    {items}\n  ]")
        else:
            parts.append(f"  {encode(key)}: {encode(value)}")
    return "{\n" + ",\n".join(parts) + "\n}\n"


def _warning_json(warning: Warning_) -> dict[str, Any]:
    if isinstance(warning, str):
        return {"message": warning, "where": "", "resource_arn": None}
    return {
        "message": warning.message,
        "where": warning.where,
        "resource_arn": warning.resource_arn,
    }


# --- SARIF -------------------------------------------------------------------------------


def render_sarif(
    findings: Sequence[Finding],
    *,
    source_uri: str | None = None,
    names: Mapping[str, str] | None = None,
    warnings: Sequence[Warning_] = (),
) -> str:
    """SARIF 2.1.0 for GitHub code scanning: one rule per catalog ID, one result per finding.

    Args:
        source_uri: the artifact every result points at (e.g. the ``--from-file`` path); by
            default each resource gets a stable pseudo-path ``aws/<account>/<resource>``.
        names: resource ARN -> display name, for the results' logical locations.
        warnings: source warnings, reported as tool execution notifications.
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
                "results": [_result(f, index.get(f.id), source_uri, names) for f in findings],
                "invocations": [
                    {
                        "executionSuccessful": True,
                        "toolExecutionNotifications": [
                            {"level": "warning", "message": {"text": str(w)}} for w in warnings
                        ],
                    }
                ],
                "columnKind": "unicodeCodePoints",
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
            "security-severity": SECURITY_SEVERITY[finding.severity],
        },
    }
    if rule_index is not None:
        result["ruleIndex"] = rule_index
    return result


def fingerprint(finding: Finding) -> str:
    """Stable per (ID, resource): the same problem on the same resource is the same alert."""
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


def resource_names(inventory: Inventory) -> dict[str, str]:
    """ARN -> the name people know a resource by (profile IDs say nothing to a reader)."""
    names: dict[str, str] = {arn: role.name for arn, role in inventory.roles.items()}
    for store in (inventory.profiles, inventory.trust_anchors, inventory.crls):
        names.update({arn: obj.name for arn, obj in store.items() if obj.name})
    return names


def source_summary(inventory: Inventory) -> dict[str, Any]:
    """What the scan saw, for the JSON report."""
    return {
        "origin": inventory.origin,
        "account_id": inventory.account_id,
        "regions": list(inventory.regions),
        "coverage": sorted(inventory.coverage),
    }


def render_findings(
    findings: Sequence[Finding],
    inventory: Inventory,
    fmt: str,
    *,
    color: bool = False,
    source_uri: str | None = None,
) -> str:
    """The report in ``fmt`` (table | json | sarif); ``source_uri`` is SARIF's artifact."""
    names = resource_names(inventory)
    if fmt == "json":
        return render_json(findings, inventory.warnings, source=source_summary(inventory))
    if fmt == "sarif":
        return render_sarif(
            findings, source_uri=source_uri, names=names, warnings=inventory.warnings
        )
    return render_table(findings, inventory.warnings, names=names, color=color)
