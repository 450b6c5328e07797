"""What every report format shares: schemas, severities, colours, names, summaries."""

from __future__ import annotations

import os
import sys
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

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
ANSI_STYLES = {
    Severity.CRITICAL: "\033[1;31m",
    Severity.HIGH: "\033[31m",
    Severity.MEDIUM: "\033[33m",
    Severity.LOW: "\033[36m",
    Severity.INFO: "\033[2m",
}
ANSI_RESET = "\033[0m"
#: The table fits this many columns (a terminal's own width when stdout is one).
TABLE_WIDTH = 80

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


def summary_line(findings: Sequence[Finding], *, suppressed: int = 0, in_baseline: int = 0) -> str:
    """E.g. ``5 findings: 1 critical, 2 high, 2 medium`` or ``No findings.``, then what was
    suppressed or already in the baseline (``; 2 suppressed, 3 in the baseline``)."""
    if not findings:
        line = "No findings"
    else:
        parts = [f"{n} {label}" for label, n in summary_counts(findings).items() if n]
        noun = "finding" if len(findings) == 1 else "findings"
        line = f"{len(findings)} {noun}: {', '.join(parts)}"
    hidden = []
    if suppressed:
        hidden.append(f"{suppressed} suppressed")
    if in_baseline:
        hidden.append(f"{in_baseline} in the baseline")
    if hidden:
        return f"{line}; {', '.join(hidden)}."
    return line + ("." if not findings else "")


def resource_names(inventory: Inventory) -> dict[str, str]:
    """ARN -> the name people know a resource by (profile IDs say nothing to a reader)."""
    names: dict[str, str] = {arn: role.name for arn, role in inventory.roles.items()}
    for store in (inventory.profiles, inventory.trust_anchors, inventory.crls):
        names.update({arn: obj.name for arn, obj in store.items() if obj.name})
    return names


def source_summary(inventory: Inventory, accounts: Sequence[Any] = ()) -> dict[str, Any]:
    """What the scan saw, for the JSON report (``account_ids``: every account read)."""
    read = [a.account_id for a in accounts if a.error is None]
    return {
        "origin": inventory.origin,
        "account_id": inventory.account_id,
        **({"account_ids": read} if accounts else {}),
        "regions": list(inventory.regions),
        "coverage": sorted(inventory.coverage),
    }
