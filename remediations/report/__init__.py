"""Scan reports: a table for people, JSON for scripts (INTERFACE.md), SARIF for code scanning.

Plain text and standard library only: the core never imports Rich or Textual.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from remediations.findings import Finding
from remediations.model import Inventory, SourceWarning
from remediations.report.common import (
    JSON_SCHEMA,
    SARIF_LEVEL,
    SARIF_SCHEMA,
    SECURITY_SEVERITY,
    TABLE_WIDTH,
    Warning_,
    resource_names,
    short_name,
    source_summary,
    summary_counts,
    summary_line,
    use_color,
)
from remediations.report.json_report import json_pieces, render_json
from remediations.report.table import account_summaries, render_table, wrap


def __getattr__(name: str) -> Any:
    """The SARIF writer's names, imported on first use (a JSON or table report never needs
    it, nor the hashing it brings in)."""
    if name in ("fingerprint", "render_sarif", "resource_uri"):
        from remediations.report import sarif

        return getattr(sarif, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def render_findings(
    findings: Sequence[Finding],
    inventory: Inventory,
    fmt: str,
    *,
    color: bool = False,
    source_uri: str | None = None,
    suppressed: Sequence[Any] = (),
    in_baseline: int = 0,
    warnings: Sequence[Warning_] | None = None,
    width: int = TABLE_WIDTH,
    accounts: Sequence[Any] = (),
) -> str:
    """The report in ``fmt`` (table | json | sarif): :func:`report_pieces` joined."""
    return "".join(
        report_pieces(
            findings,
            inventory,
            fmt,
            color=color,
            source_uri=source_uri,
            suppressed=suppressed,
            in_baseline=in_baseline,
            warnings=warnings,
            width=width,
            accounts=accounts,
        )
    )


def report_pieces(
    findings: Sequence[Finding],
    inventory: Inventory,
    fmt: str,
    *,
    color: bool = False,
    source_uri: str | None = None,
    suppressed: Sequence[Any] = (),
    in_baseline: int = 0,
    warnings: Sequence[Warning_] | None = None,
    width: int = TABLE_WIDTH,
    accounts: Sequence[Any] = (),
) -> Iterable[str]:
    """The report in ``fmt`` (table | json | sarif), in pieces to write as they come (JSON
    encodes each finding when it is reached); ``source_uri`` is SARIF's artifact;
    ``accounts``: the accounts of an organisation scan (``session.AccountSummary``).

    ``suppressed`` and ``in_baseline`` come from ``remediations.selection.select_findings``;
    ``warnings`` default to the inventory's (pass them with the selection's added).
    """
    warned = list(inventory.warnings if warnings is None else warnings)
    not_read = [w for w in warned if isinstance(w, SourceWarning) and w.incomplete]
    if fmt == "json":
        return json_pieces(
            findings,
            warned,
            source=source_summary(inventory, accounts),
            suppressed=suppressed,
            in_baseline=in_baseline,
            not_read=not_read,
            accounts=accounts,
        )
    names = resource_names(inventory)
    if fmt == "sarif":
        from remediations.report.sarif import render_sarif

        return [
            render_sarif(
                findings,
                source_uri=source_uri,
                names=names,
                warnings=warned,
                suppressed=suppressed,
                not_read=not_read,
            )
        ]
    return [
        render_table(
            findings,
            warned,
            names=names,
            color=color,
            width=width,
            suppressed=suppressed,
            in_baseline=in_baseline,
            not_read=not_read,
            accounts=accounts,
        )
    ]


__all__ = [
    "JSON_SCHEMA",
    "SARIF_LEVEL",
    "SARIF_SCHEMA",
    "SECURITY_SEVERITY",
    "TABLE_WIDTH",
    "Warning_",
    "account_summaries",
    "fingerprint",
    "render_findings",
    "render_json",
    "render_sarif",
    "render_table",
    "report_pieces",
    "resource_names",
    "resource_uri",
    "short_name",
    "source_summary",
    "summary_counts",
    "summary_line",
    "use_color",
    "wrap",
]
