"""``rafix scan``: list findings as a table, JSON or SARIF; the exit code gates CI jobs."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from remediations.files import write_output
from remediations.findings import Finding, Severity
from remediations.model import Inventory, SourceWarning
from remediations.report import render_json, render_sarif, render_table, summary_line, use_color
from remediations.scan import run_checks
from remediations.settings import load_settings
from remediations.sources import load_inventory


def run(args: argparse.Namespace) -> int:
    """Scan the account named by the source options; 1 when a finding reaches ``--fail-on``."""
    settings = load_settings(getattr(args, "config", None))
    inventory = load_inventory(args)
    findings = run_checks(inventory, settings)
    output = getattr(args, "output", None)
    fmt = getattr(args, "format", "table")
    to_terminal_table = fmt == "table" and not output
    if not to_terminal_table:  # the table lists them itself; other formats keep stdout clean
        print_warnings(inventory.warnings)
    text = render(findings, inventory, fmt, color=use_color() if not output else False, args=args)
    if output:
        write_output(output, text, what="the report")
        print(f"rafix: wrote {fmt} report to {output}: {summary_line(findings)}", file=sys.stderr)
    else:
        sys.stdout.write(text)
        sys.stdout.flush()
    return exit_code(findings, getattr(args, "fail_on", "low"))


def render(
    findings: Sequence[Finding],
    inventory: Inventory,
    fmt: str,
    *,
    color: bool = False,
    args: argparse.Namespace | None = None,
) -> str:
    """The report in ``fmt`` (table | json | sarif)."""
    names = resource_names(inventory)
    if fmt == "json":
        return render_json(findings, inventory.warnings, source=source_summary(inventory))
    if fmt == "sarif":
        return render_sarif(
            findings, source_uri=sarif_source_uri(args), names=names, warnings=inventory.warnings
        )
    return render_table(findings, inventory.warnings, names=names, color=color)


def exit_code(findings: Sequence[Finding], fail_on: str) -> int:
    """1 when any finding is at or above ``fail_on``, else 0."""
    threshold = Severity.parse(fail_on)
    return 1 if any(f.severity >= threshold for f in findings) else 0


def print_warnings(warnings: Sequence[SourceWarning]) -> None:
    for warning in warnings:
        print(f"rafix: warning: {warning}", file=sys.stderr)


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


def sarif_source_uri(args: argparse.Namespace | None) -> str | None:
    """The one ``--from-file`` file, when there is exactly one, as the SARIF artifact."""
    files = getattr(args, "from_files", None) or []
    if len(files) == 1 and Path(files[0]).is_file():
        return Path(files[0]).as_posix()
    return None
