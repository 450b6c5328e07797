"""The table for people: 80 columns, wrapped at ``/`` or ``:``, never mid-word."""

from __future__ import annotations

import re
import textwrap
from collections.abc import Mapping, Sequence
from typing import Any

from remediations.findings import Finding
from remediations.report.common import (
    ANSI_RESET,
    ANSI_STYLES,
    TABLE_WIDTH,
    Warning_,
    short_name,
    summary_counts,
    summary_line,
    use_color,
)
from remediations.textsafe import shown

# --- table -------------------------------------------------------------------------------


def render_table(
    findings: Sequence[Finding],
    warnings: Sequence[Warning_] = (),
    *,
    names: Mapping[str, str] | None = None,
    color: bool | None = None,
    width: int = TABLE_WIDTH,
    suppressed: Sequence[Any] = (),
    in_baseline: int = 0,
    not_read: Sequence[Warning_] = (),
    accounts: Sequence[Any] = (),
) -> str:
    """One block per finding, for a terminal of ``width`` columns (80 by default):

    ``SEVERITY  ID  REGION  ACCOUNT``, then indented the resource (its name when the ARN does
    not end with it, and its ARN) and the title. Text wraps at word boundaries and ARNs after a
    ``/`` or ``:``, never mid-word; a summary line follows, then suppressed findings (with
    their reasons) and warnings.

    Args:
        names: resource ARN -> display name (role, profile, anchor or CRL name).
        color: ANSI colours for severities; None decides from stdout and NO_COLOR.
        suppressed: ``remediations.selection.SuppressedFinding`` items to list and count.
        in_baseline: how many findings an earlier report (``--baseline``) already listed.
        not_read: what the source could not read (``--allow-partial``): listed first, and the
            summary says the scan is partial.
        accounts: the accounts of an organisation scan (``session.AccountSummary``): a
            summary line per account follows the total.
    """
    color = use_color() if color is None else color
    width = max(width, 40)
    lines: list[str] = []
    if not_read:
        lines.append(f"PARTIAL SCAN: {len(not_read)} part(s) of the account were not read:")
        for w in not_read:
            lines.extend(wrap(str(w), "  - ", width, rest="    "))
        lines.append("")
    if findings:
        heads = [
            (
                f.severity.label.upper(),
                shown(f.id),
                shown(f.region or "-"),
                _account(f.resource_arn) or "-",
            )
            for f in findings
        ]
        header = ("SEVERITY", "ID", "REGION", "ACCOUNT")
        widths = [max(len(header[i]), *(len(h[i]) for h in heads)) for i in range(3)]
        lines.append(_row(header, widths))
        indent = " " * (widths[0] + 2)
        for finding, cells in zip(findings, heads, strict=True):
            line = _row(cells, widths)
            if color:  # colour the severity cell only, so columns stay aligned
                label = cells[0].ljust(widths[0])
                line = f"{ANSI_STYLES[finding.severity]}{label}{ANSI_RESET}{line[len(label) :]}"
            lines.append(line)
            lines.extend(_resource_lines(finding.resource_arn, names, indent, width))
            lines.extend(wrap(finding.title, indent, width))
        lines.append("")
    summary = summary_line(findings, suppressed=len(suppressed), in_baseline=in_baseline)
    if not_read:
        summary = summary.rstrip(".") + " in what was read (the scan is partial)."
    lines.append(summary)
    if accounts:
        lines.append("")
        lines.append(f"By account ({len(accounts)}):")
        lines.extend(_account_lines(findings, accounts, width))
    if suppressed:
        lines.append("")
        lines.append(f"Suppressed ({len(suppressed)}):")
        for item in suppressed:
            f, rule = item.finding, item.suppression
            until = f", until {rule.expires}" if rule.expires else ""
            lines.extend(wrap(f"{f.id} on {_display(f.resource_arn, names)}", "  - ", width))
            lines.extend(wrap(f"reason: {rule.reason}{until}", "    ", width))
    others = [w for w in warnings if not any(w is n for n in not_read)]
    if others:
        lines.append("")
        lines.append(f"Warnings ({len(others)}):")
        for w in others:
            lines.extend(wrap(str(w), "  - ", width, rest="    "))
    return "\n".join(lines) + "\n"


def account_summaries(findings: Sequence[Finding], accounts: Sequence[Any]) -> list[dict[str, Any]]:
    """Per account of an organisation scan: read or not, and its reported findings by
    severity (after ``--severity``, ``--check``, suppressions and the baseline)."""
    by_account: dict[str, list[Finding]] = {}
    for finding in findings:
        by_account.setdefault(finding.account_id, []).append(finding)
    out = []
    for account in accounts:
        found = by_account.get(account.account_id, [])
        out.append(
            {
                "account_id": account.account_id,
                "name": account.name,
                "management": account.management,
                "read": account.error is None,
                "error": account.error,
                "total": len(found),
                "by_severity": summary_counts(found),
            }
        )
    return out


def _account_lines(findings: Sequence[Finding], accounts: Sequence[Any], width: int) -> list[str]:
    lines: list[str] = []
    for item in account_summaries(findings, accounts):
        label = item["account_id"] + (f" ({item['name']})" if item["name"] else "")
        if item["management"] and item["name"] != "management":
            label += " [management]"
        if not item["read"]:
            text = f"{label}: not read"
        else:
            counts = [f"{n} {sev}" for sev, n in item["by_severity"].items() if n]
            text = f"{label}: {item['total']} finding{'s' if item['total'] != 1 else ''}" + (
                f" ({', '.join(counts)})" if counts else ""
            )
        lines.extend(wrap(text, "  ", width, rest="    "))
    return lines


def _row(cells: tuple[str, ...], widths: list[int]) -> str:
    padded = [cell.ljust(width) for cell, width in zip(cells, widths, strict=False)]
    return "  ".join([*padded, *cells[len(widths) :]]).rstrip()


def _account(arn: str) -> str:
    parts = arn.split(":", 5)
    account = parts[4] if len(parts) > 4 else ""
    return account if account.isdigit() else ""


def _display(arn: str, names: Mapping[str, str] | None) -> str:
    """The name a person knows, then the ARN when the ARN does not already end with it."""
    name = short_name(arn, names)
    return arn if arn.endswith("/" + name) or arn == name else f"{name} ({arn})"


def _resource_lines(
    arn: str, names: Mapping[str, str] | None, indent: str, width: int
) -> list[str]:
    name = short_name(arn, names)
    if arn.endswith("/" + name) or arn == name:
        return _wrap_arn(arn, indent, width)
    lines = wrap(name, indent, width)
    return lines + _wrap_arn(arn, indent, width)


def _wrap_arn(arn: str, indent: str, width: int) -> list[str]:
    """An ARN on as few lines as fit, broken only after a ``:`` or ``/``."""
    room = max(width - len(indent), 20)
    pieces = re.findall(r"[^:/]*[:/]|[^:/]+$", shown(arn))
    lines: list[str] = []
    current = ""
    for piece in pieces:
        if current and len(current) + len(piece) > room:
            lines.append(current)
            current = ""
        current += piece
    if current:
        lines.append(current)
    return [indent + line for line in lines]


def wrap(text: str, indent: str, width: int, rest: str | None = None) -> list[str]:
    """Word-boundary wrapping; a word longer than the line stays whole rather than split."""
    wrapped = textwrap.wrap(
        shown(text),
        width=max(width, len(indent) + 20),
        initial_indent=indent,
        subsequent_indent=indent if rest is None else rest,
        break_long_words=False,
        break_on_hyphens=False,
    )
    return wrapped or [indent.rstrip()]
